package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/argoexamples"
)

// exampleObject is one Argo object from the argo-workflows module's examples/.
type exampleObject struct {
	file, kind, name string
	raw              []byte // JSON
}

func argoExamples(t *testing.T) []exampleObject {
	t.Helper()
	exs, err := argoexamples.Load("")
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]exampleObject, len(exs))
	for i, e := range exs {
		objs[i] = exampleObject{file: e.File, kind: e.Kind, name: e.Name, raw: e.JSON}
	}
	return objs
}

type (
	exampleTemplates        = argoexamples.Templates
	exampleClusterTemplates = argoexamples.ClusterTemplates
)

// knownDisagreements are examples where appflowc's verdict differs from Argo's, each
// with the reason (a difference in what is checked, not a bug).
var knownDisagreements = map[string]string{
	"workflow-event-binding/github-path-filter-workflowtemplate.yaml WorkflowTemplate/github-path-filter": "parameter value [] (a list): Argo's AnyString silently turns a list into an empty string; appflowc refuses it (write JSON as a string: value: \"[]\")",
}

// TestArgoExamplesPeerSuite wraps the spec of every Workflow, WorkflowTemplate,
// ClusterWorkflowTemplate and CronWorkflow among Argo's own examples as a user template
// and checks that appflowc's verdict (Argo's schema in CUE, generated, plus Argo's
// offline validation of the wrapped template) agrees with Argo's offline validation of
// the original object. It prints the agreement count. appflowc's policy checks (pinned
// images, no template expressions in shell source, limits) are reported separately: the
// examples are not written to that standard and Argo does not check it.
func TestArgoExamplesPeerSuite(t *testing.T) {
	objs := argoExamples(t)
	if len(objs) < 150 {
		t.Fatalf("found only %d example objects", len(objs))
	}
	wts, cwts := exampleTemplates{}, exampleClusterTemplates{}
	for _, o := range objs {
		switch o.kind {
		case "WorkflowTemplate":
			var wt wfv1.WorkflowTemplate
			if json.Unmarshal(o.raw, &wt) == nil {
				wts[wt.Name] = &wt
			}
		case "ClusterWorkflowTemplate":
			var cwt wfv1.ClusterWorkflowTemplate
			if json.Unmarshal(o.raw, &cwt) == nil {
				cwts[cwt.Name] = &cwt
			}
		}
	}
	argoVerdict := func(o exampleObject) error {
		return argoexamples.ArgoVerdict(argoexamples.Example{Kind: o.kind, JSON: o.raw}, wts, cwts)
	}
	oursVerdict := func(o exampleObject) error {
		// As a config's YAML is read: whole numbers are integers.
		dec := json.NewDecoder(bytes.NewReader(o.raw))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return err
		}
		obj = integers(obj).(map[string]any)
		spec, _ := obj["spec"].(map[string]any)
		if o.kind == "CronWorkflow" {
			spec, _ = spec["workflowSpec"].(map[string]any)
		}
		problems, err := config.CheckArgoSpec(spec)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems[0].Path, ".") + ": " + problems[0].Msg)
		}
		raw, _ := json.Marshal(spec)
		var wt wfv1.WorkflowTemplate
		wt.Name = "wrapped"
		strict := json.NewDecoder(bytes.NewReader(raw))
		strict.DisallowUnknownFields()
		if err := strict.Decode(&wt.Spec); err != nil {
			return err
		}
		return validate.ValidateWorkflowTemplate(wts, cwts, &wt, nil, validate.ValidateOpts{Lint: true, WorkflowTemplateValidation: true})
	}
	// appflowc's policy, which Argo does not have: how many examples it would refuse.
	policy := func(o exampleObject) bool {
		var obj map[string]any
		_ = json.Unmarshal(o.raw, &obj)
		spec, _ := obj["spec"].(map[string]any)
		if o.kind == "CronWorkflow" {
			spec, _ = spec["workflowSpec"].(map[string]any)
		}
		doc, _ := json.Marshal(map[string]any{"workflowTemplates": map[string]any{"example": map[string]any{"spec": spec}}})
		_, err := config.Load(context.Background(), config.Input{FS: fstest.MapFS{"c/t.json": {Data: doc}}, Paths: []string{"c"}})
		var dl diag.List
		if !errors.As(err, &dl) {
			return false
		}
		for _, d := range dl {
			if strings.Contains(d.Msg, "not pinned") || strings.Contains(d.Msg, "mutable tag") || strings.Contains(d.Msg, "Argo template expression") || strings.Contains(d.Msg, "would run as root") {
				return true
			}
		}
		return false
	}
	agree, refusedByPolicy := 0, 0
	var disagreements []string
	for _, o := range objs {
		if policy(o) {
			refusedByPolicy++
		}
		a, u := argoVerdict(o), oursVerdict(o)
		id := o.file + " " + o.kind + "/" + o.name
		if (a == nil) == (u == nil) {
			agree++
			continue
		}
		if reason, ok := knownDisagreements[id]; ok {
			t.Logf("known disagreement %s: %s", id, reason)
			continue
		}
		disagreements = append(disagreements, id+"\n    argo:     "+argoexamples.Verdict(a)+"\n    appflowc: "+argoexamples.Verdict(u))
	}
	sort.Strings(disagreements)
	t.Logf("Argo examples peer suite: %d objects, appflowc agrees with Argo on %d, %d known disagreements, %d unexplained; appflowc's policy (pinned images, no template expressions in shell source, non-root) would refuse %d of them as written",
		len(objs), agree, len(objs)-agree-len(disagreements), len(disagreements), refusedByPolicy)
	for _, d := range disagreements {
		t.Errorf("verdicts differ: %s", d)
	}
}

// integers turns json.Numbers into int64 (whole) or float64, as config trees hold them.
func integers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = integers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = integers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
