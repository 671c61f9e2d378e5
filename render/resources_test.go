package render

import (
	"context"
	"slices"
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
