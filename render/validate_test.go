package render

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// libraryObjects renders the empty config: the library and its RBAC.
func libraryObjects(t *testing.T) []Object {
	t.Helper()
	cfg, err := config.Decode(&config.Tree{Root: &config.Node{Kind: config.Map}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Build(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestLibraryPassesArgoValidation(t *testing.T) {
	objs := libraryObjects(t)
	if ds := Validate(objs, nil, nil); len(ds) > 0 {
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
	together := Validate(append(append([]Object{}, objs...), cases...), nil, nil)
	var alone []string
	for _, c := range cases {
		for _, d := range Validate(append(append([]Object{}, objs...), c), nil, nil) {
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

// cron makes a scheduled entry's CronWorkflow of a Workflow object.
func cron(o Object) Object {
	wf := o.Obj.(*wfv1.Workflow)
	cw := &wfv1.CronWorkflow{Spec: wfv1.CronWorkflowSpec{WorkflowSpec: wf.Spec, Schedules: []string{"@daily"}}}
	cw.Name, cw.Namespace = "x", "argo"
	o.Kind, o.Name, o.Obj = "CronWorkflow", "x", cw
	return o
}

// TestWorkflowParametersCheckedAgainstTemplate covers what argo lint misses
// (argo-workflows#14603): unknown parameter names, missing required ones, unknown templates;
// for Workflows and for the CronWorkflows of scheduled entries.
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
		{cron(wf("application-create", "app_name", "namespace", "repo_url", "chart_path", "app_nmae")), `parameter "app_nmae" is not declared by WorkflowTemplate application-create`},
		{cron(wf("application-create", "app_name", "namespace", "repo_url")), `required parameter "chart_path" of WorkflowTemplate application-create is not set`},
	} {
		ds := Validate(append(append([]Object{}, objs...), c.obj), nil, nil)
		if !strings.Contains(ds.Error(), c.want) {
			t.Errorf("want %q, got:\n%v", c.want, ds)
		}
	}
}

// TestVerdictCacheNeverChangesAVerdict: with a persistent cache, the first (miss) and
// second (hit) validation give exactly what validation without a cache gives, for valid
// and rejected Workflows; and a change to a template invalidates the verdicts of the
// Workflows that use it (a cached "valid" must not survive a broken template).
func TestVerdictCacheNeverChangesAVerdict(t *testing.T) {
	objs := libraryObjects(t)
	mk := func(name, value string) Object {
		wf := &wfv1.Workflow{}
		wf.GenerateName, wf.Namespace = name, "argo"
		wf.Spec.WorkflowTemplateRef = &wfv1.WorkflowTemplateRef{Name: "application-create"}
		for _, p := range [][2]string{{"app_name", "a"}, {"namespace", "n"}, {"repo_url", "https://x"}, {"chart_path", value}} {
			wf.Spec.Arguments.Parameters = append(wf.Spec.Arguments.Parameters, wfv1.Parameter{Name: p[0], Value: wfv1.AnyStringPtr(p[1])})
		}
		return Object{Kind: "Workflow", Namespace: "argo", Name: name, Entry: "applications." + name, Obj: wf}
	}
	set := append(append([]Object{}, objs...), mk("ok-", "c"), mk("bad-", "{{workflow.nope}}"))
	want := Validate(set, nil, nil).Error()
	cache := diskcache.New(t.TempDir(), []byte("test-build"))
	for i, run := range []string{"miss", "hit"} {
		if got := Validate(set, nil, cache).Error(); got != want {
			t.Fatalf("%s (run %d): cached verdicts differ:\n%s\nwant:\n%s", run, i, got, want)
		}
	}
	// Break the template: its entrypoint names no template. Argo rejects the template
	// and every Workflow that uses it; the cache must not answer with the old verdicts.
	broken := append([]Object{}, set...)
	for i, o := range broken {
		if wt, ok := o.Obj.(*wfv1.WorkflowTemplate); ok && wt.Name == "application-create" {
			c := wt.DeepCopy()
			c.Spec.Entrypoint = "no-such-template"
			broken[i].Obj = c
		}
	}
	fresh := Validate(broken, nil, nil).Error()
	if got := Validate(broken, nil, cache).Error(); got != fresh {
		t.Fatalf("after a template change the cache answered:\n%s\nwant:\n%s", got, fresh)
	}
	if !strings.Contains(fresh, "Argo rejects the rendered Workflow") || !strings.Contains(fresh, "no-such-template") {
		t.Fatalf("the broken template did not fail its Workflows:\n%s", fresh)
	}
	// Another build of appflowc shares nothing with this one. Every stored verdict is
	// replaced by a marker: this build must now answer with it (so the lookups hit what
	// validation stored), another build in the same directory never.
	err := filepath.WalkDir(cache.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") { // the sweep mark
			return err
		}
		return os.WriteFile(p, []byte("FROM-THE-CACHE"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := Validate(set, nil, cache).Error(); !strings.Contains(got, "FROM-THE-CACHE") {
		t.Fatalf("this build did not answer from its cache:\n%s", got)
	}
	other := diskcache.New(cache.Dir(), []byte("other-build"))
	if got := Validate(set, nil, other).Error(); got != want {
		t.Fatalf("another build answered from this build's cache:\n%s\nwant:\n%s", got, want)
	}
}
