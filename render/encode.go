package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"reflect"
	"sort"
	"strings"

	"runtime"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// File is one rendered file, by its slash-separated path inside the output directory.
type File struct {
	Path string
	Data []byte
}

// KustomizationFile lists the applyable files; its header also marks a directory as
// written by appflowc, so render never replaces a directory it did not write.
const (
	KustomizationFile = "kustomization.yaml"
	headerMark        = "# Rendered by appflowc"
	previewDir        = "preview"
)

// FilePath is where an object is written: <kind>/<namespace or _cluster>/<name>.yaml.
// Workflows are named by their generateName without the trailing dash.
func FilePath(o Object) string {
	ns := o.Namespace
	if ns == "" {
		ns = "_cluster"
	}
	name := strings.TrimSuffix(o.Name, "-")
	p := path.Join(strings.ToLower(o.Kind), ns, name+".yaml")
	if o.Preview {
		p = path.Join(previewDir, p)
	}
	return p
}

// Encode turns objects into files plus the kustomization.yaml, sorted by path.
// Keys are sorted and the Go types' noise (status, creationTimestamp: null, empty
// structs) is pruned, so the same config always gives the same bytes.
func Encode(objs []Object) ([]File, error) {
	encs, err := encodeObjects(objs)
	if err != nil {
		return nil, err
	}
	return assemble(encs)
}

// encoded is one object's file and what assembling the directory needs to know of it;
// it is also what the entry cache keeps (incremental.go).
type encoded struct {
	File
	ID       string // the object's ID, for messages
	Entry    string // Object.Entry
	Workflow bool   // created, not applied: kustomization.yaml lists it in a comment
	Preview  bool   // for review only: not in kustomization.yaml
}

// encodeObjects encodes every object, on every core.
func encodeObjects(objs []Object) ([]encoded, error) {
	datas, err := encodeAll(objs)
	if err != nil {
		return nil, err
	}
	out := make([]encoded, len(objs))
	for i, o := range objs {
		out[i] = encoded{File: File{Path: FilePath(o), Data: datas[i]}, ID: o.ID(), Entry: o.Entry, Workflow: o.Kind == "Workflow", Preview: o.Preview}
	}
	return out, nil
}

// assemble checks that no two objects share a file, adds kustomization.yaml and sorts
// the files by path.
func assemble(encs []encoded) ([]File, error) {
	files := make([]File, 0, len(encs)+1)
	seen := make(map[string]string, len(encs))
	var resources, workflows []string
	for _, e := range encs {
		if prev, dup := seen[e.Path]; dup {
			return nil, fmt.Errorf("render: %s and %s would both be written to %s", prev, e.ID, e.Path)
		}
		seen[e.Path] = e.ID
		files = append(files, e.File)
		switch {
		case e.Workflow:
			workflows = append(workflows, e.Path)
		case !e.Preview:
			resources = append(resources, e.Path)
		}
	}
	sort.Strings(resources)
	var k bytes.Buffer
	k.WriteString(headerMark + ". Do not edit: change the config and run appflowc render.\n")
	k.WriteString("# preview/ holds the Applications that ApplicationSets will generate (for review; not applied).\n")
	if len(workflows) > 0 {
		// kustomize requires metadata.name, and Workflows use generateName: they are
		// created by appflowc apply (or kubectl create -f), never applied.
		k.WriteString("# Workflows (created, not applied: they use generateName):\n")
		sort.Strings(workflows)
		for _, w := range workflows {
			fmt.Fprintf(&k, "#   %s\n", w)
		}
	}
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "- %s\n", r)
	}
	files = append(files, File{Path: KustomizationFile, Data: k.Bytes()})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// encodeAll encodes objects on every core; result i belongs to objs[i], so the output
// does not depend on scheduling.
func encodeAll(objs []Object) ([][]byte, error) {
	out := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i], errs[i] = EncodeObject(objs[i])
			}
		}()
	}
	for i := range objs {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EncodeObject writes one object as YAML with a header naming its source: the pruned
// map, sorted keys, 2-space indent, in yaml.v3's exact bytes (going through JSON and
// yaml.v2, as sigs.k8s.io/yaml does, cost a third of a 10,000-app render; yaml.v3's
// emitter another third, hence appendYAML).
func EncodeObject(o Object) ([]byte, error) {
	m, err := ToMap(o.Obj)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", o.ID(), err)
	}
	body, err := encodeYAML(m)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", o.ID(), err)
	}
	// The header is a comment line: what it names must not end the line. The config's
	// file and entry names are checked where they are read; this keeps it so whatever
	// calls EncodeObject.
	for _, s := range []string{o.SourceRel, o.Entry, o.Owner} {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) {
			return nil, fmt.Errorf("render %s: the header would carry a line break or control character: %q", o.ID(), s)
		}
	}
	var b bytes.Buffer
	switch {
	case o.Preview:
		fmt.Fprintf(&b, "%s: preview of what ApplicationSet %s generates (from %s). Not applied.\n", headerMark, o.Owner, o.SourceRel)
	case o.Entry != "":
		fmt.Fprintf(&b, "%s from %s (%s). Do not edit.\n", headerMark, o.SourceRel, o.Entry)
	default:
		fmt.Fprintf(&b, "%s from its WorkflowTemplate library. Do not edit.\n", headerMark)
	}
	b.Write(body)
	return b.Bytes(), nil
}

// encodeYAML is yaml.v3's encoding of m (2-space indent): through appendYAML when it
// covers m, else yaml.v3 itself.
func encodeYAML(m map[string]any) ([]byte, error) {
	if out, ok := appendYAML(make([]byte, 0, 2048), m); ok {
		return out, nil
	}
	return encodeYAMLv3(m)
}

func encodeYAMLv3(m map[string]any) ([]byte, error) {
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return body.Bytes(), nil
}

// ToMap converts a typed object to plain JSON values with the noise pruned.
func ToMap(obj any) (map[string]any, error) {
	if m, ok := obj.(map[string]any); ok {
		return prune(m).(map[string]any), nil
	}
	if wf, ok := obj.(*wfv1.Workflow); ok {
		if m, ok := workflowMap(wf); ok {
			return m, nil
		}
	}
	return toMapJSON(obj)
}

// toMapJSON is ToMap through JSON: typed object -> JSON -> plain values.
func toMapJSON(obj any) (map[string]any, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return prune(m).(map[string]any), nil
}

// workflowMap is ToMap of the Workflows Build makes for entries without the round trip
// through JSON (a third of encoding 10,000 of them): only when wf sets nothing beyond the
// fields handled here, else ok is false and ToMap takes the long way. The result has the
// same values and types as the long way's (numbers as float64, JSON's omitempty, prune);
// TestWorkflowMapIsToMap holds the two equal.
func workflowMap(wf *wfv1.Workflow) (m map[string]any, ok bool) {
	rest := *wf
	rest.TypeMeta = metav1.TypeMeta{}
	rest.GenerateName, rest.Namespace, rest.Labels, rest.Annotations = "", "", nil, nil
	rest.Spec.WorkflowTemplateRef, rest.Spec.Arguments, rest.Spec.TTLStrategy, rest.Spec.PodGC = nil, wfv1.Arguments{}, nil, nil
	spec := wf.Spec
	if !reflect.ValueOf(rest).IsZero() || spec.Arguments.Artifacts != nil ||
		(spec.WorkflowTemplateRef != nil && spec.WorkflowTemplateRef.ClusterScope) ||
		(spec.PodGC != nil && (spec.PodGC.LabelSelector != nil || spec.PodGC.DeleteDelayDuration != "")) {
		return nil, false
	}
	for _, p := range spec.Arguments.Parameters {
		p.Name, p.Value = "", nil
		if !reflect.ValueOf(p).IsZero() {
			return nil, false
		}
	}
	m = map[string]any{}
	putString(m, "apiVersion", wf.APIVersion)
	putString(m, "kind", wf.Kind)
	meta := map[string]any{}
	putString(meta, "generateName", wf.GenerateName)
	putString(meta, "namespace", wf.Namespace)
	putStrings(meta, "labels", wf.Labels)
	putStrings(meta, "annotations", wf.Annotations)
	putMap(m, "metadata", meta)
	sp := map[string]any{}
	if ref := spec.WorkflowTemplateRef; ref != nil {
		r := map[string]any{}
		putString(r, "name", ref.Name)
		putMap(sp, "workflowTemplateRef", r)
	}
	if len(spec.Arguments.Parameters) > 0 {
		params := make([]any, len(spec.Arguments.Parameters))
		for i, p := range spec.Arguments.Parameters {
			pm := map[string]any{"name": p.Name}
			if p.Value != nil {
				pm["value"] = string(*p.Value)
			}
			params[i] = pm
		}
		sp["arguments"] = map[string]any{"parameters": params}
	}
	if t := spec.TTLStrategy; t != nil {
		tm := map[string]any{}
		for k, v := range map[string]*int32{"secondsAfterCompletion": t.SecondsAfterCompletion, "secondsAfterSuccess": t.SecondsAfterSuccess, "secondsAfterFailure": t.SecondsAfterFailure} {
			if v != nil {
				tm[k] = float64(*v)
			}
		}
		putMap(sp, "ttlStrategy", tm)
	}
	if g := spec.PodGC; g != nil {
		gm := map[string]any{}
		putString(gm, "strategy", string(g.Strategy))
		putMap(sp, "podGC", gm)
	}
	putMap(m, "spec", sp)
	return m, true
}

// putString, putStrings and putMap set a key as JSON's omitempty and prune would leave it.
func putString(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func putStrings(m map[string]any, k string, v map[string]string) {
	if len(v) > 0 {
		sm := make(map[string]any, len(v))
		for key, val := range v {
			sm[key] = val
		}
		m[k] = sm
	}
}

func putMap(m map[string]any, k string, v map[string]any) {
	if len(v) > 0 {
		m[k] = v
	}
}

// prune drops nulls and empty structs. Empty strings and lists stay: an empty parameter
// value is meaningful to Argo (it is not the same as no value). The one empty string
// dropped is a container's name (Kubernetes' type always writes it; Argo names the
// container itself).
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		_, container := x["image"]
		for k, val := range x {
			if val == nil || (container && k == "name" && val == "") {
				continue
			}
			p := prune(val)
			if m, ok := p.(map[string]any); ok && len(m) == 0 {
				continue
			}
			out[k] = p
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = prune(val)
		}
		return out
	}
	return v
}

// WriteStream writes files as one multi-document YAML stream (kustomization.yaml left
// out): what `render -o -` and `install --print` print.
func WriteStream(w io.Writer, files []File) error {
	first := true
	for _, f := range files {
		if f.Path == KustomizationFile {
			continue
		}
		if !first {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		first = false
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	return nil
}
