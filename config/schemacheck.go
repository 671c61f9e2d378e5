package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
)

// CheckSchema unifies the tree with the CUE #Config schema. The Go decoder enforces the
// same rules with better messages and runs first; this is the second line that keeps the
// published schema honest. Errors are placed at the user's position of the failing path.
//
// #Config's rules are per entry (pattern constraints under each section) and per
// top-level field, so a large config is checked in chunks of entries: the verdicts are
// the same, and memory stays bounded (unifying 10,000 entries at once took ~500 MB).
func CheckSchema(t *Tree) diag.List {
	v, ctx, err := schema.Value()
	if err != nil {
		return diag.List{{Msg: err.Error(), Hint: "this is a bug in appflowc; please report it"}}
	}
	def := v.LookupPath(cue.ParsePath("#Config"))
	var out diag.List
	for _, chunk := range schemaChunks(t.Root) {
		data, err := json.Marshal(chunk.Interface())
		if err != nil {
			return diag.List{{Msg: fmt.Sprintf("encode config: %v", err)}}
		}
		unlock := schema.Lock()
		verr := def.Unify(ctx.CompileBytes(data)).Validate(cue.Concrete(true))
		unlock()
		out = append(out, schemaDiags(t, verr)...)
	}
	return out.Sort()
}

// schemaChunkSize is how many entries one schema check unifies.
const schemaChunkSize = 500

// schemaChunks splits root: the entries of applications, applicationSets and infra in
// groups of schemaChunkSize, every other top-level field in the first chunk.
func schemaChunks(root *Node) []*Node {
	if root == nil || root.Kind != Map {
		return []*Node{root}
	}
	first := &Node{Kind: Map, Pos: root.Pos}
	chunks := []*Node{first}
	for _, f := range root.Fields {
		sec := f.Value
		if (f.Key != "applications" && f.Key != "applicationSets" && f.Key != "infra") || sec.Kind != Map || len(sec.Fields) <= schemaChunkSize {
			first.Fields = append(first.Fields, f)
			continue
		}
		for i := 0; i < len(sec.Fields); i += schemaChunkSize {
			part := &Node{Kind: Map, Pos: sec.Pos, Fields: sec.Fields[i:min(i+schemaChunkSize, len(sec.Fields))]}
			chunks = append(chunks, &Node{Kind: Map, Pos: root.Pos, Fields: []*Field{{Key: f.Key, KeyPos: f.KeyPos, Value: part}}})
		}
	}
	return chunks
}

// schemaDiags places CUE's errors at the user's position of each failing path.
func schemaDiags(t *Tree, verr error) diag.List {
	if verr == nil {
		return nil
	}
	var out diag.List
	for _, e := range cueerrors.Errors(verr) {
		var path []string
		for _, s := range e.Path() {
			// CUE quotes labels that are not identifiers ("app-web"); the tree holds them bare.
			if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
				s = u
			}
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
			Hint: "the CUE schema (cue/schema.cue) rejected this value"})
	}
	return out
}
