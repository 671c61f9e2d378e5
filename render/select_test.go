package render

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/outdir"
)

func TestSelectKeepsEntriesAndTheirDependencies(t *testing.T) {
	objs := []Object{
		{Kind: "WorkflowTemplate", Name: "application-create"},
		{Kind: "ClusterRole", Name: "appflowc-workflows"},
		{Kind: "Workflow", Name: "app-web-", Entry: "applications.web"},
		{Kind: "Workflow", Name: "app-api-", Entry: "applications.api"},
		{Kind: "Namespace", Name: "pay", Entry: "infra.pay"},
		{Kind: "Secret", Name: "db", Entry: "infra.pay"},
		{Kind: "Workflow", Name: "infra-pay-", Entry: "infra.pay"},
	}
	got, err := Select(objs, []string{"applications/web", "infra.pay"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range got {
		names = append(names, o.Kind+"/"+o.Name)
	}
	if want := "WorkflowTemplate/application-create ClusterRole/appflowc-workflows Workflow/app-web- Namespace/pay Secret/db Workflow/infra-pay-"; strings.Join(names, " ") != want {
		t.Fatalf("selected %v", names)
	}
	if _, err := Select(objs, []string{"applications/wbe"}); err == nil || !strings.Contains(err.Error(), "no entry applications.wbe in the config (entries: applications/api, applications/web, infra/pay)") {
		t.Fatalf("unknown entry: %v", err)
	}
}

// TestSelectLabels: entries are selected by the labels on their Workflow, both from a
// config and from a render output directory (whose headers name each object's entry).
func TestSelectLabels(t *testing.T) {
	fsys := fstest.MapFS{"c/app.yaml": {Data: []byte(`applications:
  web:
    labels: {team: shop, tier: front}
    source: {repoURL: "https://charts.example.com", chart: web, targetRevision: 1.0.0}
    destination: {namespace: web}
  api:
    labels: {team: shop, tier: back}
    source: {repoURL: "https://charts.example.com", chart: api, targetRevision: 1.0.0}
    destination: {namespace: api}
infra:
  pay:
    namespace: pay
    labels: {team: payments}
`)}}
	res, err := Render(context.Background(), config.Input{FS: fsys, Paths: []string{"c"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := outdir.WriteDir(context.Background(), dir, res.Files); err != nil {
		t.Fatal(err)
	}
	fromDir, err := outdir.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	workflows := func(objs []Object) string {
		var names []string
		for _, o := range objs {
			if o.Kind == "Workflow" {
				names = append(names, o.Name)
			}
		}
		sort.Strings(names)
		return strings.Join(names, " ")
	}
	for _, c := range []struct{ selector, want string }{
		{"team=shop", "app-api- app-web-"},
		{"team=shop,tier!=back", "app-web-"},
		{"team in (payments)", "infra-pay-"},
		{"appflowc.dev/kind=application", "app-api- app-web-"},
	} {
		for mode, objs := range map[string][]Object{"config": res.Objects, "render dir": fromDir} {
			got, err := SelectLabels(objs, c.selector)
			if err != nil {
				t.Fatalf("%s: -l %s: %v", mode, c.selector, err)
			}
			if w := workflows(got); w != c.want {
				t.Errorf("%s: -l %s selected %q, want %q", mode, c.selector, w, c.want)
			}
			if !slices.ContainsFunc(got, func(o Object) bool { return o.Kind == "WorkflowTemplate" }) {
				t.Errorf("%s: -l %s dropped the library", mode, c.selector)
			}
		}
	}
	if _, err := SelectLabels(res.Objects, "team=nobody"); err == nil || !strings.Contains(err.Error(), "no entry's labels match") {
		t.Errorf("a selector matching nothing: %v", err)
	}
	if _, err := SelectLabels(res.Objects, "team=="); err == nil {
		t.Error("a malformed selector was accepted")
	}
	// --select by name works on a render directory too.
	if got, err := Select(fromDir, []string{"applications/api"}); err != nil || workflows(got) != "app-api-" {
		t.Errorf("Select on a render dir: %q, %v", workflows(got), err)
	}
}
