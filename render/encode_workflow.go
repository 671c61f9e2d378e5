package render

import (
	"slices"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/manifest"
)

// fields is a mapping whose keys are already in yaml.v3's order and plain (plainKey):
// what appendValue writes as a block mapping, the same bytes as the map[string]any of
// the same pairs. Entries' Workflows, most of a large render, are encoded through it
// without building maps (half of encoding them went to map inserts).
type fields []field

type field struct {
	k string
	v any // string, float64, fields or []any of fields
}

// appendWorkflow writes wf, one of the Workflows Build makes for entries
// (manifest.PlainWorkflow), as appendYAML(ToMap(wf)) does; ok is false where that
// would not hold (a label or annotation key that is not plain), and the caller takes
// the long way. TestWorkflowEncodingIsTheLongWay holds the two to the same bytes.
func appendWorkflow(b []byte, wf *wfv1.Workflow) ([]byte, bool) {
	var top, meta, spec fields
	var ok bool
	if meta, ok = putStringField(meta, "annotations", wf.Annotations); !ok {
		return b, false
	}
	meta = putField(meta, "generateName", wf.GenerateName)
	if meta, ok = putStringField(meta, "labels", wf.Labels); !ok {
		return b, false
	}
	meta = putField(meta, "namespace", wf.Namespace)

	if ps := wf.Spec.Arguments.Parameters; len(ps) > 0 {
		list := make([]any, len(ps))
		pairs := make([]field, 2*len(ps))
		for i, p := range ps {
			pf := fields(pairs[2*i : 2*i : 2*i+2])
			pf = append(pf, field{"name", p.Name})
			if p.Value != nil {
				pf = append(pf, field{"value", string(*p.Value)})
			}
			list[i] = pf
		}
		spec = append(spec, field{"arguments", fields{{"parameters", list}}})
	}
	if g := wf.Spec.PodGC; g != nil && g.Strategy != "" {
		spec = append(spec, field{"podGC", fields{{"strategy", string(g.Strategy)}}})
	}
	if t := wf.Spec.TTLStrategy; t != nil {
		var tf fields
		for _, s := range []struct {
			k string
			v *int32
		}{{"secondsAfterCompletion", t.SecondsAfterCompletion}, {"secondsAfterFailure", t.SecondsAfterFailure}, {"secondsAfterSuccess", t.SecondsAfterSuccess}} {
			if s.v != nil {
				tf = append(tf, field{s.k, float64(*s.v)})
			}
		}
		if len(tf) > 0 {
			spec = append(spec, field{"ttlStrategy", tf})
		}
	}
	if ref := wf.Spec.WorkflowTemplateRef; ref != nil && ref.Name != "" {
		spec = append(spec, field{"workflowTemplateRef", fields{{"name", ref.Name}}})
	}

	top = putField(top, "apiVersion", wf.APIVersion)
	top = putField(top, "kind", wf.Kind)
	if len(meta) > 0 {
		top = append(top, field{"metadata", meta})
	}
	if len(spec) > 0 {
		top = append(top, field{"spec", spec})
	}
	return appendFields(b, top, 0, false)
}

// putField adds a string as JSON's omitempty leaves it.
func putField(f fields, k, v string) fields {
	if v == "" {
		return f
	}
	return append(f, field{k, v})
}

// putStringField adds a string map, its keys in yaml.v3's order; ok is false for a key
// appendMap would not take either.
func putStringField(f fields, k string, m map[string]string) (fields, bool) {
	if len(m) == 0 {
		return f, true
	}
	sub := make(fields, 0, len(m))
	for key, val := range m {
		if !plainKey(key) {
			return f, false
		}
		sub = append(sub, field{key, val})
	}
	slices.SortFunc(sub, func(a, b field) int { return keyCompare(a.k, b.k) })
	return append(f, field{k, sub}), true
}

// appendFields is appendMap of fields.
func appendFields(b []byte, f fields, indent int, firstInline bool) ([]byte, bool) {
	for i, kv := range f {
		var ok bool
		if b, ok = appendPair(b, kv.k, kv.v, indent, i > 0 || !firstInline); !ok {
			return b, false
		}
	}
	return b, true
}

// plainWorkflow is the Workflow appendWorkflow encodes, or nil.
func plainWorkflow(obj any) *wfv1.Workflow {
	if wf, ok := obj.(*wfv1.Workflow); ok && manifest.PlainWorkflow(wf) {
		return wf
	}
	return nil
}
