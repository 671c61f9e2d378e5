package config

import (
	"strings"
	"testing"
)

// TestArgoErrorAt: the path at the start of Argo's validation errors leads to the field
// in the user's spec, by template and step names as Argo writes them.
func TestArgoErrorAt(t *testing.T) {
	tree, err := load(t, map[string]string{"t.yaml": `spec:
  entrypoint: main
  arguments: {parameters: [{name: url}]}
  templates:
  - name: main
    steps:
    - [{name: a, template: ok}]
    - [{name: b, template: ok}, {name: x, template: nothere}]
  - name: build
    inputs: {parameters: [{name: repo}]}
    dag:
      tasks:
      - {name: test, template: ok, dependencies: [lint]}
`})
	if err != nil {
		t.Fatal(err)
	}
	spec := tree.Root.Get("spec")
	for _, c := range []struct{ msg, path, at string }{
		{"templates.main.steps[1].x template name 'nothere' undefined", "templates.0.steps.1.1.template", "cfg/t.yaml:8:53"},
		{"templates.build.tasks.test dependency 'lint' not defined", "templates.1.dag.tasks.0", "cfg/t.yaml:13:9"},
		{"templates.build.inputs.parameters.repo.value is required", "templates.1.inputs.parameters.0", "cfg/t.yaml:10:27"},
		{"spec.arguments.parameters.url.value is required", "arguments.parameters.0", "cfg/t.yaml:3:28"},
		{"templates.nosuch.steps[0] bad", "templates", "cfg/t.yaml:5:3"},
		{"something Argo says without a path", "", "cfg/t.yaml:2:3"},
	} {
		n, p := ArgoErrorAt(spec, c.msg)
		if strings.Join(p, ".") != c.path || n.Pos.String() != c.at {
			t.Errorf("%q: at %s %s, want %s %s", c.msg, n.Pos, strings.Join(p, "."), c.at, c.path)
		}
	}
}
