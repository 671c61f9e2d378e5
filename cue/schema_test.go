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

// TestPermissiveStandsInForEveryDefinition: the stand-in that configs importing the schema
// are first evaluated against (config/cueload.go) declares every definition of the real
// schema, each open: a struct definition as {...}, anything else as _. A definition
// missing from it would make a valid config fail to evaluate there (and be evaluated a
// second time); a struct definition declared _ would close a definition of the user's
// own that embeds it (#Web: schema.#Application & {...}).
func TestPermissiveStandsInForEveryDefinition(t *testing.T) {
	real, _, err := schema.NewValue()
	if err != nil {
		t.Fatal(err)
	}
	inst, err := schema.PermissiveInstance()
	if err != nil {
		t.Fatal(err)
	}
	stand := cuecontext.New().BuildInstance(inst)
	if err := stand.Err(); err != nil {
		t.Fatal(err)
	}
	kinds := func(v cue.Value) map[string]string {
		out := map[string]string{}
		it, err := v.Fields(cue.Definitions(true))
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
			if it.Selector().IsDefinition() {
				k := "other"
				if it.Value().IncompleteKind() == cue.StructKind {
					k = "struct"
				}
				out[it.Selector().String()] = k
			}
		}
		return out
	}
	want, got := kinds(real), kinds(stand)
	if len(want) < 20 {
		t.Fatalf("the real schema has only %d definitions: %v", len(want), want)
	}
	for name, k := range want {
		if got[name] != k {
			t.Errorf("%s: the stand-in declares it as %q, the schema as %q", name, got[name], k)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: in the stand-in only", name)
		}
	}
	// Open: any value meets any definition, and a struct definition takes any field.
	for _, c := range []string{`#Config & {applications: web: {sourc: 1}}`, `#PinnedImage & "nginx"`, `#DNSLabel & 5`, `#Application & {x: {y: 1}}`} {
		if v := stand.Context().CompileString(c, cue.Scope(stand)); v.Validate(cue.Concrete(true)) != nil {
			t.Errorf("%s: refused by the stand-in: %v", c, v.Validate(cue.Concrete(true)))
		}
	}
}
