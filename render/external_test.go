package render

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
)

func compileYAML(t *testing.T, src string) ([]Object, error) {
	t.Helper()
	cfg, err := config.Load(context.Background(), config.Input{FS: fstest.MapFS{"c/a.yaml": {Data: []byte(src)}}, Paths: []string{"c"}})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return Compile(context.Background(), cfg, nil)
}

// TestClusterTemplatesExample: a user ClusterWorkflowTemplate is rendered cluster-scoped,
// and each pipeline step references its template in the template's scope.
func TestClusterTemplatesExample(t *testing.T) {
	cfg, err := config.Load(context.Background(), config.Input{FS: os.DirFS("../examples"), Paths: []string{"cluster-templates"}})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Compile(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var steps []wfv1.WorkflowStep
	for _, o := range objs {
		switch obj := o.Obj.(type) {
		case *wfv1.ClusterWorkflowTemplate:
			if o.Kind != "ClusterWorkflowTemplate" || o.Namespace != "" || obj.Namespace != "" || obj.Name != "http-check" {
				t.Errorf("cluster template rendered as %s (namespace %q)", o.ID(), obj.Namespace)
			}
		case *wfv1.WorkflowTemplate:
			if obj.Name == "image-build" || obj.Name == "db-migrate" {
				t.Errorf("a declared template was rendered: %s", o.ID())
			}
		case *wfv1.Workflow:
			for _, ps := range obj.Spec.Templates[0].Steps {
				steps = append(steps, ps.Steps...)
			}
		}
	}
	want := map[string]bool{"build": true, "migrate": false, "check": true} // step: clusterScope
	if len(steps) != len(want) {
		t.Fatalf("%d steps", len(steps))
	}
	for _, s := range steps {
		if s.TemplateRef == nil || s.TemplateRef.ClusterScope != want[s.Name] {
			t.Errorf("step %s: templateRef %+v, want clusterScope %t", s.Name, s.TemplateRef, want[s.Name])
		}
	}
}

func TestClusterTemplateValidatedByArgo(t *testing.T) {
	// Argo's own ValidateClusterWorkflowTemplate judges it: an entrypoint that names no
	// template is refused, at the field.
	_, err := compileYAML(t, "workflowTemplates:\n  c:\n    clusterScope: true\n    spec: {entrypoint: nothere, templates: [{name: main, suspend: {}}]}\n")
	if err == nil || !strings.Contains(err.Error(), "c/a.yaml:4:24: workflowTemplates.c.spec.entrypoint: Argo rejects the template: template name 'nothere' undefined") {
		t.Fatalf("got %v", err)
	}
}

// TestDeclaredTemplateStubs: references to declared templates validate against what is
// declared, and only that: an output or an input artifact not declared is refused.
func TestDeclaredTemplateStubs(t *testing.T) {
	const decl = "externalTemplates:\n  shared:\n    clusterScope: true\n    templates:\n      build:\n        inputs: {parameters: {repo: {}, tag: {default: v1}}, artifacts: [src]}\n        outputs: {parameters: [digest]}\n"
	user := func(args, out string) string {
		return decl + "workflowTemplates:\n  u:\n    spec:\n      entrypoint: main\n      templates:\n        - name: main\n          steps:\n            - - name: b\n                templateRef: {name: shared, template: build, clusterScope: true}\n                arguments: " + args + "\n" +
			"          outputs: {parameters: [{name: d, valueFrom: {parameter: '{{steps.b.outputs.parameters." + out + "}}'}}]}\n"
	}
	for _, c := range []struct{ name, src, want string }{
		{"ok", user("{parameters: [{name: repo, value: r}], artifacts: [{name: src, raw: {data: x}}]}", "digest"), ""},
		{"required parameter missing", user("{artifacts: [{name: src, raw: {data: x}}]}", "digest"), "inputs.parameters.repo was not supplied"},
		{"undeclared output", user("{parameters: [{name: repo, value: r}], artifacts: [{name: src, raw: {data: x}}]}", "sha"), "failed to resolve {{steps.b.outputs.parameters.sha}}"},
		{"not cluster-scoped", strings.Replace(user("{parameters: [{name: repo, value: r}]}", "digest"), "clusterScope: true}", "clusterScope: false}", 1), "template reference shared.build not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := compileYAML(t, c.src)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestDeclaredTemplateWrongScopeHint: a templateRef to a declared template in the other
// scope is said to be a matter of scope, not of a template missing from the declaration
// (the hint asked to add under templates what was already declared there).
func TestDeclaredTemplateWrongScopeHint(t *testing.T) {
	src, err := os.ReadFile("../examples/cluster-templates/templates.cue")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `templateRef: {name: "image-build", template: "build", clusterScope: true}`, `templateRef: {name: "image-build", template: "build"}`, 1)
	if bad == string(src) {
		t.Fatal("the example changed: no templateRef to image-build")
	}
	cfg, err := config.Load(context.Background(), config.Input{FS: fstest.MapFS{"c/t.cue": {Data: []byte(bad)}}, Paths: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(context.Background(), cfg, nil)
	if err == nil {
		t.Fatal("a reference to the other scope passed")
	}
	if s := err.Error(); strings.Contains(s, "declared without a template build") || !strings.Contains(s, "clusterScope") {
		t.Errorf("want the hint to name the reference's scope: %s", s)
	}
}

// TestTemplateRefArgumentsAreChecked: a user template's step or DAG task that passes a
// misspelt argument through a templateRef (to a declared cluster template, or to another
// user template) is an error at the argument, with the nearest input; Argo alone passes
// it by.
func TestTemplateRefArgumentsAreChecked(t *testing.T) {
	const img = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
	src := `externalTemplates:
  image-build:
    clusterScope: true
    entrypoint: build
    templates:
      build: {inputs: {parameters: {repo: {}, tag: {default: v1}}}}
workflowTemplates:
  check:
    spec:
      entrypoint: main
      templates:
      - name: main
        inputs: {parameters: [{name: url}]}
        container: {image: "` + img + `", command: [sh, -c, "true"]}
  caller:
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - name: build
            templateRef: {name: image-build, template: build, clusterScope: true}
            arguments: {parameters: [{name: repo, value: r}, {name: tga, value: v2}]}
      - name: flow
        dag:
          tasks:
          - name: probe
            templateRef: {name: check, template: main}
            arguments: {parameters: [{name: url, value: "https://x"}, {name: uri, value: y}]}
`
	_, err := compileYAML(t, src)
	if err == nil {
		t.Fatal("misspelt templateRef arguments were accepted")
	}
	for _, want := range []string{
		`c/a.yaml:23:62: workflowTemplates.caller.spec.templates[0].steps[0][0].arguments.parameters[1]: template image-build.build has no input parameter "tga" (Argo would pass it by silently) (did you mean "tag"? its inputs: repo, tag)`,
		`c/a.yaml:29:71: workflowTemplates.caller.spec.templates[1].dag.tasks[0].arguments.parameters[1]: template check.main has no input parameter "uri" (Argo would pass it by silently) (did you mean "url"? its inputs: url)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing:\n%s\ngot:\n%v", want, err)
		}
	}
}
