package schema_test

import (
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	schema "github.com/appflowc/appflowc/cue"
)

// TestUsableAsCUEModule loads this folder the way the cue tool does (module root with
// cue.mod, package by directory), so editors and `cue vet` users get the same schema.
func TestUsableAsCUEModule(t *testing.T) {
	insts := load.Instances([]string{"."}, &load.Config{Dir: "."})
	if len(insts) != 1 || insts[0].Err != nil {
		t.Fatalf("load: %v", insts[0].Err)
	}
	if insts[0].Module != "github.com/appflowc/appflowc/cue@v0" {
		t.Fatalf("module %q", insts[0].Module)
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{"#Config", "#Application", "#ApplicationSet", "#Infra", "#Appflow", "#Patch"} {
		if !v.LookupPath(cue.ParsePath(def)).Exists() {
			t.Errorf("%s missing", def)
		}
	}
	ok := v.LookupPath(cue.ParsePath("#Config")).Unify(v.Context().CompileString(`applications: web: {source: {repoURL: "https://x.example.com", path: "p"}, destination: namespace: "web"}`))
	if err := ok.Validate(cue.Concrete(true)); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	bad := v.LookupPath(cue.ParsePath("#Config")).Unify(v.Context().CompileString(`applications: web: {source: {repoURL: "ftp://x", path: "p"}, destination: namespace: "web"}`))
	if bad.Validate(cue.Concrete(true)) == nil {
		t.Fatal("bad repoURL accepted")
	}
	if _, _, err := schema.Value(); err != nil {
		t.Fatalf("embedded schema: %v", err)
	}
}
