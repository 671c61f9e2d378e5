package config

import (
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
)

// CheckSchema unifies the tree with the CUE #Config schema. The Go decoder enforces the
// same rules with better messages and runs first; this is the second line that keeps the
// published schema honest. Errors are placed at the user's position of the failing path.
func CheckSchema(t *Tree) diag.List {
	v, ctx, err := schema.Value()
	if err != nil {
		return diag.List{{Msg: err.Error(), Hint: "this is a bug in appflowc; please report it"}}
	}
	data, err := json.Marshal(t.Root.Interface())
	if err != nil {
		return diag.List{{Msg: fmt.Sprintf("encode config: %v", err)}}
	}
	defer schema.Lock()()
	cfg := v.LookupPath(cue.ParsePath("#Config")).Unify(ctx.CompileBytes(data))
	verr := cfg.Validate(cue.Concrete(true))
	if verr == nil {
		return nil
	}
	var out diag.List
	for _, e := range cueerrors.Errors(verr) {
		var path []string
		for _, s := range e.Path() {
			if !strings.HasPrefix(s, "#") && !strings.HasPrefix(s, "_") {
				path = append(path, s)
			}
		}
		pos := diag.Pos{}
		for i := len(path); i >= 0; i-- {
			if n := t.Root.Lookup(path[:i]...); n != nil {
				pos = n.Pos
				break
			}
		}
		format, args := e.Msg()
		out = append(out, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: fmt.Sprintf(format, args...),
			Hint: "the CUE schema rejected this value (see appflowc explain)"})
	}
	return out.Sort()
}
