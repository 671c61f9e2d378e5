package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
)

// TestInitCueTool: what appflowc init scaffolds is checked by the cue tool's own loader
// (what cue vet and editors use) through the vendored schema, Argo's generated types
// included: a misspelt field of an Application or of a user template's spec is refused.
func TestInitCueTool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proj")
	var out, errOut bytes.Buffer
	if code := RunEnv(context.Background(), []string{"init", dir}, testEnv(t), &out, &errOut); code != 0 {
		t.Fatalf("init: %d\n%s", code, errOut.String())
	}
	vet := func() error {
		insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
		if err := insts[0].Err; err != nil {
			return err
		}
		v := cuecontext.New().BuildInstance(insts[0])
		if err := v.Err(); err != nil {
			return err
		}
		return v.Validate(cue.Concrete(false))
	}
	if err := vet(); err != nil {
		t.Fatalf("the scaffold does not vet: %v", err)
	}
	app := filepath.Join(dir, "app.cue")
	orig, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"application field":  {`destination: namespace: "web"`, "destination: namespace: \"web\"\n\t\tdestinaton: x: 1"},
		"user template spec": {"\t// One Helm application", "\tworkflowTemplates: smoke: spec: {entrypoint: \"main\", templates: [{name: \"main\", container: {image: \"busybox\", resurces: {}}}]}\n\t// One Helm application"},
	} {
		if err := os.WriteFile(app, []byte(strings.Replace(string(orig), edit[0], edit[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := vet(); err == nil || !strings.Contains(err.Error(), "field not allowed") {
			t.Errorf("%s: the cue tool accepts a misspelt field: %v", name, err)
		}
	}
}
