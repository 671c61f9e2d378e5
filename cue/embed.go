// Package schema embeds the appflowc CUE schemas (this folder is also a CUE module that
// the cue tool and editors can use) and evaluates them.
package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
)

//go:embed *.cue cue.mod/module.cue
var files embed.FS

// argoBound is the schema file that imports package argo: appflowc checks user
// templates against it separately (config/usertemplate.go), so its own builds leave it
// out and stay fast.
const argoBound = "usertemplate.cue"

// schemaFiles are the schema's files appflowc builds, sorted.
func schemaFiles() []string {
	names, _ := fs.Glob(files, "*.cue")
	sort.Strings(names)
	out := names[:0]
	for _, n := range names {
		if n != argoBound {
			out = append(out, n)
		}
	}
	return out
}

// Files returns the embedded schema sources by name.
func Files() fs.FS { return files }

var (
	once   sync.Once
	built  cue.Value
	ctx    *cue.Context
	bldErr error
	mu     sync.Mutex
)

// Value returns the evaluated schema package. A cue.Context is not safe for concurrent
// use, so callers unify under Lock.
func Value() (cue.Value, *cue.Context, error) {
	once.Do(func() { built, ctx, bldErr = NewValue() })
	return built, ctx, bldErr
}

// NewValue builds the schema package in a context of its own, which the caller may use
// without Lock (one per goroutine: a cue.Context is not safe for concurrent use).
func NewValue() (cue.Value, *cue.Context, error) {
	c := cuecontext.New()
	inst := build.NewContext().NewInstance("", nil)
	for _, n := range schemaFiles() {
		src, _ := files.ReadFile(n)
		f, err := parser.ParseFile("cue/"+n, src, parser.ParseComments)
		if err != nil {
			return cue.Value{}, nil, fmt.Errorf("parse embedded schema %s: %w", n, err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, nil, fmt.Errorf("load embedded schema %s: %w", n, err)
		}
	}
	v := c.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, nil, fmt.Errorf("build embedded schema: %w", err)
	}
	return v, c, nil
}

// Lock serialises use of the shared cue.Context.
func Lock() func() { mu.Lock(); return mu.Unlock }

// EmbeddedPrefix names the schema's files in positions of configs that import it, so
// that messages can prefer the user's own position.
const EmbeddedPrefix = "<appflowc>/cue/"

// ImportPath is how CUE configs import the schema (as vendored by appflowc init).
const ImportPath = "github.com/appflowc/appflowc/cue:schema"

// Instance returns the schema as a CUE build instance, for configs that import it.
func Instance() (*build.Instance, error) {
	inst := build.NewContext().NewInstance("github.com/appflowc/appflowc/cue", nil)
	inst.ImportPath = ImportPath
	for _, n := range schemaFiles() {
		src, _ := files.ReadFile(n)
		f, err := parser.ParseFile(EmbeddedPrefix+n, src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse embedded schema %s: %w", n, err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return nil, fmt.Errorf("load embedded schema %s: %w", n, err)
		}
	}
	return inst, nil
}

// PermissiveFile names the stand-in of PermissiveInstance in positions.
const PermissiveFile = EmbeddedPrefix + "permissive.cue"

// PermissiveInstance is a stand-in of the schema package in which every definition of
// the real schema is open: a struct definition (#Config, #Application, ...) is {...}
// and any other (#DNSLabel, #PinnedImage, ...) is _. A config that imports the schema
// and is evaluated against it yields the user's own values, as written, with the
// user's positions: no schema default, closedness or type takes part in producing the
// data, so that appflowc's decoder (and then the real schema, as the second line) judge
// it exactly as they judge the same values written without the import. The names come
// from the real schema's files, so the stand-in cannot drift from it.
func PermissiveInstance() (*build.Instance, error) {
	var b strings.Builder
	b.WriteString("package schema\n")
	for _, n := range schemaFiles() {
		src, _ := files.ReadFile(n)
		f, err := parser.ParseFile(EmbeddedPrefix+n, src)
		if err != nil {
			return nil, fmt.Errorf("parse embedded schema %s: %w", n, err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(fd.Label)
			if err != nil || !strings.HasPrefix(name, "#") {
				continue
			}
			open := "_"
			if _, isStruct := fd.Value.(*ast.StructLit); isStruct {
				// {...} rather than _: a definition of the user's own that embeds one
				// (#Web: schema.#Application & {project: "web"}) stays open to the
				// fields the real definition allows.
				open = "{...}"
			}
			fmt.Fprintf(&b, "%s: %s\n", name, open)
		}
	}
	f, err := parser.ParseFile(PermissiveFile, b.String())
	if err != nil {
		return nil, fmt.Errorf("parse the schema's stand-in: %w", err)
	}
	inst := build.NewContext().NewInstance("github.com/appflowc/appflowc/cue", nil)
	inst.ImportPath = ImportPath
	if err := inst.AddSyntax(f); err != nil {
		return nil, fmt.Errorf("load the schema's stand-in: %w", err)
	}
	return inst, nil
}
