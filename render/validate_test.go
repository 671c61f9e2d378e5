package render

import (
	"context"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
)

// libraryObjects renders the empty config: the library and its RBAC.
func libraryObjects(t *testing.T) []Object {
	t.Helper()
	cfg, err := config.Decode(&config.Tree{Root: &config.Node{Kind: config.Map}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestLibraryPassesArgoValidation(t *testing.T) {
	objs := libraryObjects(t)
	if ds := Validate(objs); len(ds) > 0 {
		t.Fatalf("library fails Argo validation:\n%v", ds)
	}
}

// TestShapeCacheAgreesWithArgo validates Workflows one by one with Argo and through the
// shape cache, and requires the same verdicts, including for values Argo would reject.
func TestShapeCacheAgreesWithArgo(t *testing.T) {
	objs := libraryObjects(t)
	mk := func(name string, params ...string) Object {
		wf := &wfv1.Workflow{}
		wf.GenerateName = name
		wf.Namespace = "argo"
		wf.Spec.WorkflowTemplateRef = &wfv1.WorkflowTemplateRef{Name: "application-create"}
		for i := 0; i+1 < len(params); i += 2 {
			wf.Spec.Arguments.Parameters = append(wf.Spec.Arguments.Parameters, wfv1.Parameter{Name: params[i], Value: wfv1.AnyStringPtr(params[i+1])})
		}
		return Object{Kind: "Workflow", Namespace: "argo", Name: name, Entry: "applications." + name, Obj: wf}
	}
	base := []string{"app_name", "a", "namespace", "n", "repo_url", "https://x", "chart_path", "c"}
	cases := []Object{
		mk("ok-1-", base...),
		mk("ok-2-", append(append([]string{}, base...), "helm_values", "x: 1")...),
		mk("template-value-", append(append([]string{}, base...), "helm_values", "{{workflow.nope}}")...),
		mk("missing-required-", "app_name", "a"),
	}
	together := Validate(append(append([]Object{}, objs...), cases...))
	var alone []string
	for _, c := range cases {
		for _, d := range Validate(append(append([]Object{}, objs...), c)) {
			alone = append(alone, d.String())
		}
	}
	var got []string
	for _, d := range together {
		got = append(got, d.String())
	}
	sort.Strings(alone)
	sort.Strings(got)
	if strings.Join(got, "\\n") != strings.Join(alone, "\\n") {
		t.Fatalf("cached verdicts differ:\\n%v\\nvs one by one:\\n%v", got, alone)
	}
	if len(got) == 0 {
		t.Fatal("expected the missing-required case to be reported")
	}
}

// TestWorkflowParametersCheckedAgainstTemplate covers what argo lint misses
// (argo-workflows#14603): unknown parameter names, missing required ones, unknown templates.
func TestWorkflowParametersCheckedAgainstTemplate(t *testing.T) {
	objs := libraryObjects(t)
	wf := func(tmpl string, params ...string) Object {
		w := &wfv1.Workflow{}
		w.GenerateName, w.Namespace = "x-", "argo"
		w.Spec.WorkflowTemplateRef = &wfv1.WorkflowTemplateRef{Name: tmpl}
		for _, p := range params {
			w.Spec.Arguments.Parameters = append(w.Spec.Arguments.Parameters, wfv1.Parameter{Name: p, Value: wfv1.AnyStringPtr("v")})
		}
		return Object{Kind: "Workflow", Namespace: "argo", Name: "x-", Entry: "applications.x", Obj: w}
	}
	for _, c := range []struct {
		obj  Object
		want string
	}{
		{wf("application-create", "app_name", "namespace", "repo_url", "chart_path", "app_nmae"), `parameter "app_nmae" is not declared by WorkflowTemplate application-create`},
		{wf("application-create", "app_name", "namespace", "repo_url"), `required parameter "chart_path" of WorkflowTemplate application-create is not set`},
		{wf("application-craete", "app_name"), `workflowTemplateRef "application-craete" names no known WorkflowTemplate`},
	} {
		ds := Validate(append(append([]Object{}, objs...), c.obj))
		if !strings.Contains(ds.Error(), c.want) {
			t.Errorf("want %q, got:\n%v", c.want, ds)
		}
	}
}
