package render

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"sort"
	"strings"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/library"
)

// kustomize reports deprecations through the standard logger; logMu serialises the
// brief redirection of it so that concurrent renders do not interleave.
var logMu sync.Mutex

// annotation that carries a Workflow's generateName through kustomize, which requires names.
const generateNameKey = "appflowc.dev/generate-name"

// ApplyPatches runs the config's patches over objs with kustomize (krusty, on an in-memory
// filesystem) and returns the patched objects in the same order. Workflows and
// WorkflowTemplates are decoded back into Argo's types (strictly) so that Argo's
// validation sees the patched result.
func ApplyPatches(objs []Object, patches []config.Patch) ([]Object, error) {
	if len(patches) == 0 {
		return objs, nil
	}
	fs := filesys.MakeFsInMemory()
	k := types.Kustomization{}
	k.APIVersion, k.Kind = types.KustomizationVersion, types.KustomizationKind
	for i, o := range objs {
		m, err := ToMap(o.Obj)
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", o.ID(), err)
		}
		meta, _ := m["metadata"].(map[string]any)
		if gn, ok := meta["generateName"].(string); ok && meta["name"] == nil {
			meta["name"] = gn
			ann, _ := meta["annotations"].(map[string]any)
			if ann == nil {
				ann = map[string]any{}
				meta["annotations"] = ann
			}
			ann[generateNameKey] = gn
		}
		data, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("r%04d.yaml", i)
		if err := fs.WriteFile("/render/"+name, data); err != nil {
			return nil, err
		}
		k.Resources = append(k.Resources, name)
	}
	for _, p := range patches {
		kp := types.Patch{Patch: completeSMPatch(p)}
		if t := p.Target; t != nil {
			kp.Target = &types.Selector{ResId: resID(t), LabelSelector: t.LabelSelector, AnnotationSelector: t.AnnotationSelector}
		}
		k.Patches = append(k.Patches, kp)
	}
	kdata, err := yaml.Marshal(k)
	if err != nil {
		return nil, err
	}
	if err := fs.WriteFile("/render/kustomization.yaml", kdata); err != nil {
		return nil, err
	}
	logMu.Lock()
	prev := log.Writer()
	log.SetOutput(io.Discard)
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/render")
	log.SetOutput(prev)
	logMu.Unlock()
	if err != nil {
		return nil, patchErr(patches, err)
	}
	byID := map[string]Object{}
	for _, o := range objs {
		byID[o.Kind+"/"+o.Namespace+"/"+o.Name] = o
	}
	var out []Object
	for _, r := range resMap.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, err
		}
		meta, _ := m["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		if ann, ok := meta["annotations"].(map[string]any); ok {
			if gn, ok := ann[generateNameKey].(string); ok {
				delete(ann, generateNameKey)
				if len(ann) == 0 {
					delete(meta, "annotations")
				}
				delete(meta, "name")
				name = gn
			}
		}
		kind := r.GetKind()
		orig, ok := byID[kind+"/"+ns+"/"+name]
		if !ok {
			return nil, diag.List{{Pos: patches[0].Pos, Path: "patches", Msg: fmt.Sprintf("patches renamed or added %s/%s/%s", kind, ns, name),
				Hint: "patches may change objects but not their kind, namespace or name"}}
		}
		typed, err := retype(kind, m)
		if err != nil {
			return nil, diag.List{{Pos: patches[0].Pos, Path: "patches", Msg: fmt.Sprintf("patched %s is not a valid %s: %v", orig.ID(), kind, err),
				Hint: "check the field names the patches set"}}
		}
		orig.Obj = typed
		out = append(out, orig)
	}
	// kustomize may reorder; keep render's order.
	index := map[string]int{}
	for i, o := range objs {
		index[o.Kind+"/"+o.Namespace+"/"+o.Name] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		return index[out[i].Kind+"/"+out[i].Namespace+"/"+out[i].Name] < index[out[j].Kind+"/"+out[j].Namespace+"/"+out[j].Name]
	})
	return out, nil
}

func resID(t *config.PatchTarget) resid.ResId {
	return resid.ResId{Gvk: resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind}, Name: t.Name, Namespace: t.Namespace}
}

// completeSMPatch lets a targeted strategic-merge patch name only the fields it changes:
// kustomize insists on apiVersion, kind and metadata.name in the patch, though with a
// target it applies the patch to every selected object whatever they say.
func completeSMPatch(p config.Patch) string {
	var m map[string]any
	if p.Target == nil || yaml.Unmarshal([]byte(p.Patch), &m) != nil || m == nil {
		return p.Patch // JSON6902 lists and untargeted patches go through as written
	}
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"] = "appflowc.dev/v1"
	}
	if _, ok := m["kind"]; !ok {
		m["kind"] = "Patch"
	}
	meta, _ := m["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	if _, ok := meta["name"]; !ok {
		meta["name"] = "patch"
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return p.Patch
	}
	return string(out)
}

// retype decodes Argo kinds back into their Go types; others stay plain maps.
func retype(kind string, m map[string]any) (any, error) {
	data, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "WorkflowTemplate":
		var wt wfv1.WorkflowTemplate
		return &wt, library.StrictJSON(js, &wt)
	case "Workflow":
		var wf wfv1.Workflow
		return &wf, library.StrictJSON(js, &wf)
	}
	return m, nil
}

func patchErr(patches []config.Patch, err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i > 0 && bytes.Contains([]byte(msg), []byte("accumulation err")) {
		msg = msg[i+2:]
	}
	return diag.List{{Pos: patches[0].Pos, Path: "patches", Msg: "kustomize cannot apply the patches: " + msg,
		Hint: "check each patch's target and that the fields it names exist"}}
}
