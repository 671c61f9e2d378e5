package render

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/library"
)

func templatesOf(t *testing.T, src string) map[string]*wfv1.WorkflowTemplate {
	t.Helper()
	res, err := Render(context.Background(), config.Input{FS: fstest.MapFS{"c/a.yaml": {Data: []byte(src)}}, Paths: []string{"c"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*wfv1.WorkflowTemplate{}
	for _, o := range res.Objects {
		if wt, ok := o.Obj.(*wfv1.WorkflowTemplate); ok {
			out[wt.Name] = wt
		}
	}
	return out
}

// TestTemplateResources: appflow.resources.templates bounds one template's pods (script
// containers and, through podSpecPatch, resource steps), and leaves the others alone.
func TestTemplateResources(t *testing.T) {
	defaults := templatesOf(t, "infra: {b: {namespace: b}}\n")
	// Go writes the podSpecPatch exactly as the library's CUE does: same bounds, same bytes.
	same := defaults["infra-provision"].DeepCopy()
	if err := bound(same, config.DefaultResources); err != nil {
		t.Fatal(err)
	}
	for i, tmpl := range same.Spec.Templates {
		if tmpl.PodSpecPatch != defaults["infra-provision"].Spec.Templates[i].PodSpecPatch {
			t.Fatalf("template %s: Go's podSpecPatch %s, the library's %s", tmpl.Name, tmpl.PodSpecPatch, defaults["infra-provision"].Spec.Templates[i].PodSpecPatch)
		}
	}

	got := templatesOf(t, "appflow: {resources: {templates: {infra-provision: {limits: {memory: 256Mi}}}}}\ninfra: {b: {namespace: b}}\n")
	scripts, resources := 0, 0
	for _, tmpl := range got["infra-provision"].Spec.Templates {
		switch {
		case tmpl.Script != nil:
			scripts++
			if m := tmpl.Script.Resources.Limits.Memory().String(); m != "256Mi" {
				t.Errorf("script %s memory limit %s, want 256Mi", tmpl.Name, m)
			}
			if c := tmpl.Script.Resources.Requests.Cpu().String(); c != "50m" {
				t.Errorf("script %s cpu request %s, want the default 50m", tmpl.Name, c)
			}
		case tmpl.Resource != nil:
			resources++
			if want := `{"containers":[{"name":"main","resources":{"requests":{"cpu":"50m","memory":"32Mi"},"limits":{"cpu":"200m","memory":"256Mi"}}}]}`; tmpl.PodSpecPatch != want {
				t.Errorf("resource step %s podSpecPatch %s", tmpl.Name, tmpl.PodSpecPatch)
			}
		}
	}
	if scripts == 0 || resources == 0 {
		t.Fatalf("infra-provision has %d script and %d resource templates", scripts, resources)
	}
	for _, name := range []string{"application-create", "applicationset-create"} {
		if !equalTemplates(got[name], defaults[name]) {
			t.Errorf("%s changed although only infra-provision was overridden", name)
		}
	}
}

func equalTemplates(a, b *wfv1.WorkflowTemplate) bool {
	if a == nil || b == nil || len(a.Spec.Templates) != len(b.Spec.Templates) {
		return false
	}
	for i := range a.Spec.Templates {
		if a.Spec.Templates[i].PodSpecPatch != b.Spec.Templates[i].PodSpecPatch {
			return false
		}
		if (a.Spec.Templates[i].Script == nil) != (b.Spec.Templates[i].Script == nil) {
			return false
		}
		if s := a.Spec.Templates[i].Script; s != nil && !s.Resources.Limits.Memory().Equal(*b.Spec.Templates[i].Script.Resources.Limits.Memory()) {
			return false
		}
	}
	return true
}

// TestLibraryTemplateNames: the names config accepts under appflow.resources.templates
// are the library's.
func TestLibraryTemplateNames(t *testing.T) {
	names := []string{library.ApplicationCreate, library.ApplicationSetCreate, library.InfraProvision}
	if !slices.Equal(names, config.LibraryTemplates) {
		t.Errorf("config.LibraryTemplates %v, library %v", config.LibraryTemplates, names)
	}
	var rendered []string
	for name := range templatesOf(t, "infra: {b: {namespace: b}}\n") {
		rendered = append(rendered, name)
	}
	slices.Sort(rendered)
	if !slices.Equal(rendered, names) {
		t.Errorf("the library renders %v, config knows %v", rendered, names)
	}
}

// TestLibraryContractsMatchTheShell: a pipeline step's values for library templates are
// checked against the patterns the library's validate-inputs script checks at run time,
// read from that script; vet's verdict (CUE, RE2) equals grep -E's on the same values.
func TestLibraryContractsMatchTheShell(t *testing.T) {
	values := []string{"", "web", "Bad_NS", "a b", "https://charts.example.com", "ftp://x", "git@github.com:a/b.git",
		"{}", `{"a": 1}`, "[]", "true", "maybe", "1.2.3", ">=1.0 <2", "chart", "values.yaml,values-prod.yaml", "../x"}
	checked := 0
	for name, wt := range templatesOf(t, "infra: {b: {namespace: b}}\n") {
		contracts := libraryContracts(&wt.Spec)
		if len(contracts) < 5 {
			t.Fatalf("%s: only %d contracts read from its validate-inputs script", name, len(contracts))
		}
		for param, c := range contracts {
			pattern := strings.TrimPrefix(strings.TrimPrefix(c.Expr, `"" | `), "=~")
			pattern, err := strconv.Unquote(pattern)
			if err != nil {
				t.Fatalf("%s.%s: %s", name, param, c.Expr)
			}
			for _, v := range values {
				cmd := exec.Command("sh", "-c", `printf '%s' "$V" | grep -Eq "$P"`)
				cmd.Env = append(os.Environ(), "V="+v, "P="+pattern)
				shell := cmd.Run() == nil
				if strings.HasPrefix(c.Expr, `"" | `) && v == "" {
					shell = true // guarded by [ -z "$IN_x" ] ||
				}
				vet := config.CheckContract(c.Expr, v) == nil
				if shell != vet {
					t.Errorf("%s.%s = %q: the shell says %v, vet says %v (%s)", name, param, v, shell, vet, c.Expr)
				}
				checked++
			}
		}
	}
	t.Logf("%d value checks agree", checked)
}
