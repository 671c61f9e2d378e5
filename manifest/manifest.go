// Package manifest holds the objects appflowc renders, as apply, diff and the ui consume
// them: the Object, its identity, its plain-map form for server-side apply, and the labels
// appflowc marks its objects with. It depends on no part of the compiler, so the cluster
// side imports it without pulling in the config, the schema or Argo's validation.
package manifest

import (
	"encoding/json"
	"fmt"
	"reflect"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/diag"
)

// The label appflowc marks every object it renders or submits with.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "appflowc"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string // metadata.name, or metadata.generateName for Workflows
	// Source is the config position the object comes from; zero for library objects.
	Source diag.Pos
	// Entry is the config path of the entry, e.g. "applications.web"; empty for library objects.
	Entry string
	// SourceRel is Source's file relative to the config argument: what output records.
	SourceRel string
	// Preview marks objects written for review only (Applications an ApplicationSet will
	// generate); they are not listed in kustomization.yaml and never applied.
	Preview bool
	// Owner is the ApplicationSet a preview object belongs to.
	Owner string
	// Obj is the typed object (Argo or Kubernetes API types, or a map for Argo CD kinds).
	Obj any
	// Locate, for an object written in the config (a user template), finds where the
	// field an Argo validation error names is written: its position and config path.
	Locate func(argoMsg string) (diag.Pos, string)
}

// ID is "Kind/namespace/name", the form messages and change sets use.
func (o Object) ID() string {
	if o.Namespace == "" {
		return fmt.Sprintf("%s/%s", o.Kind, o.Name)
	}
	return fmt.Sprintf("%s/%s/%s", o.Kind, o.Namespace, o.Name)
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
	if !PlainWorkflow(wf) {
		return nil, false
	}
	spec := wf.Spec
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

// PlainWorkflow reports whether wf sets nothing beyond what the Workflows Build makes
// for entries set (type, generateName, namespace, labels, annotations, a namespaced
// workflowTemplateRef, parameter names and values, ttlStrategy, podGC's strategy): the
// fields workflowMap, and render's encoder of such Workflows, handle.
func PlainWorkflow(wf *wfv1.Workflow) bool {
	rest := *wf
	rest.TypeMeta = metav1.TypeMeta{}
	rest.GenerateName, rest.Namespace, rest.Labels, rest.Annotations = "", "", nil, nil
	rest.Spec.WorkflowTemplateRef, rest.Spec.Arguments, rest.Spec.TTLStrategy, rest.Spec.PodGC = nil, wfv1.Arguments{}, nil, nil
	spec := wf.Spec
	// Through a pointer: reflect.ValueOf(rest) would copy the whole Workflow to the heap.
	if !reflect.ValueOf(&rest).Elem().IsZero() || spec.Arguments.Artifacts != nil ||
		(spec.WorkflowTemplateRef != nil && spec.WorkflowTemplateRef.ClusterScope) ||
		(spec.PodGC != nil && (spec.PodGC.LabelSelector != nil || spec.PodGC.DeleteDelayDuration != "")) {
		return false
	}
	for _, p := range spec.Arguments.Parameters {
		p.Name, p.Value = "", nil
		if !reflect.ValueOf(&p).Elem().IsZero() {
			return false
		}
	}
	return true
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

// SecretDecl is an infra entry's declared Secrets: where each value is read from on the
// operator's machine at apply time. Values are never rendered.
type SecretDecl struct {
	Name      string // the infra entry
	Namespace string
	Labels    map[string]string
	Secrets   []Secret
}

// Secret is one declared Secret.
type Secret struct {
	Name string
	Type string
	Keys []SecretKey
}

// SecretKey names where one key's value is read from: exactly one of FromEnv or FromFile.
type SecretKey struct {
	Key      string
	FromEnv  string
	FromFile string
}

// File is one rendered file, by its slash-separated path inside the output directory.
type File struct {
	Path string
	Data []byte
}

// KustomizationFile lists the applyable files; its header also marks a directory as
// written by appflowc, so render never replaces a directory it did not write.
const (
	KustomizationFile = "kustomization.yaml"
	HeaderMark        = "# Rendered by appflowc"
	PreviewDir        = "preview"
)
