package argo

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/encoding/yaml"
)

// TestGeneratedIsCurrent: argo.cue is what go generate makes from the argo-workflows
// module in go.mod (bump the module, run go generate ./cue/argo, read the diff).
func TestGeneratedIsCurrent(t *testing.T) {
	schemaJSON, version, err := ModuleSchema()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(schemaJSON, version)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(FileName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go generate ./cue/argo", FileName)
	}
}

func TestSpecChecks(t *testing.T) {
	v, ctx, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	defer Lock()()
	spec := v.LookupPath(cue.ParsePath("#WorkflowTemplateSpec"))
	check := func(src string) error {
		f, err := yaml.Extract("t.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return spec.Unify(ctx.BuildFile(f)).Validate(cue.Concrete(true))
	}
	valid := `entrypoint: main
arguments: {parameters: [{name: url}, {name: retries, value: 3}]}
templates:
- name: main
  retryStrategy: {limit: 3}
  container:
    image: busybox
    command: [wget]
    args: ["{{inputs.parameters.url}}"]
    resources: {limits: {cpu: 1, memory: 64Mi}}
`
	if err := check(valid); err != nil {
		t.Errorf("a valid spec (ints where Argo takes int-or-string or quantities) is refused: %v", err)
	}
	for _, c := range []struct{ src, want string }{
		{"entrypoint: main\ntemplates: [{name: main, container: {image: busybox, resurces: {}}}]\n", "resurces: field not allowed"},
		{"entrypoint: 3\n", "entrypoint: conflicting values"},
		{"entrypoint: main\ntemplates: [{name: main, steps: {a: b}}]\n", "steps: conflicting values"},
	} {
		err := check(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.src, err, c.want)
		}
	}
}
