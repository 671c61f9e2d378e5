package config

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// CheckSchema unifies the tree with the CUE #Config schema. The Go decoder enforces the
// same rules with better messages and runs first; this is the second line that keeps the
// published schema honest. Errors are placed at the user's position of the failing path.
//
// #Config's rules are per entry (pattern constraints under each section) and per
// top-level field, so a large config is checked in chunks of entries: the verdicts are
// the same, and memory stays bounded (unifying 10,000 entries at once took ~500 MB).
func CheckSchema(t *Tree) diag.List {
	ds, _ := checkSchema(t.Root, t)
	return ds
}

// checkSchema checks root (t.Root or a part of it; positions come from t) and returns
// the hashes of the entries of chunks that passed.
func checkSchema(root *Node, t *Tree) (diag.List, [][sha256.Size]byte) {
	chunks := schemaChunks(root)
	type verdict struct {
		diags  diag.List
		passed bool
	}
	verdicts := make([]verdict, len(chunks))
	// One chunk: the shared schema, under its lock. More: one worker per core, each with
	// a schema of its own (building one costs a few milliseconds; unifying a chunk of
	// schemaChunkSize entries far more), taking chunks in turn.
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	var buildErr error
	var once sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				v    cue.Value
				cctx *cue.Context
				err  error
			)
			unlockEach := func() func() { return func() {} }
			if workers == 1 {
				v, cctx, err = schema.Value()
				unlockEach = schema.Lock
			} else {
				v, cctx, err = schema.NewValue()
			}
			if err != nil {
				once.Do(func() { buildErr = err })
				return
			}
			def := v.LookupPath(cue.ParsePath("#Config"))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				data, err := json.Marshal(chunks[i].Interface())
				if err != nil {
					verdicts[i].diags = diag.List{{Msg: fmt.Sprintf("encode config: %v", err)}}
					continue
				}
				unlock := unlockEach()
				verr := def.Unify(cctx.CompileBytes(data)).Validate(cue.Concrete(true))
				unlock()
				if verr != nil {
					verdicts[i].diags = schemaDiags(t, verr)
					continue
				}
				verdicts[i].passed = true
			}
		}()
	}
	wg.Wait()
	if buildErr != nil {
		return diag.List{{Msg: buildErr.Error(), Hint: "this is a bug in appflowc; please report it"}}, nil
	}
	var out diag.List
	var passed [][sha256.Size]byte
	for i, v := range verdicts {
		out = append(out, v.diags...)
		if v.passed {
			eachEntry(chunks[i], func(h [sha256.Size]byte) { passed = append(passed, h) })
		}
	}
	return out.Sort(), passed
}

// CheckSchemaCached is CheckSchema that does not check again the entries this build
// found valid before in the config at location: entries pass or fail on their own (see
// schemaChunks), so an entry with the same section, name and data gets the same verdict.
// Only verdicts of valid entries are kept (one set per location: one read, one write).
func CheckSchemaCached(t *Tree, cache *diskcache.Cache, location []byte) diag.List {
	if cache == nil || t.Root == nil || t.Root.Kind != Map {
		return CheckSchema(t)
	}
	known := cache.GetRecords(schemaOKKind, location) // valid entries, by entryHash; no values
	// The tree without the entries known to be valid.
	rest := &Node{Kind: Map, Pos: t.Root.Pos}
	valid := diskcache.Records{}
	for _, f := range t.Root.Fields {
		if !IsEntrySection(f.Key) || f.Value.Kind != Map {
			rest.Fields = append(rest.Fields, f)
			continue
		}
		sec := &Node{Kind: Map, Pos: f.Value.Pos}
		for _, e := range f.Value.Fields {
			h := entryHash(f.Key, e)
			if _, ok := known[h]; ok {
				valid[h] = nil
			} else {
				sec.Fields = append(sec.Fields, e)
			}
		}
		rest.Fields = append(rest.Fields, &Field{Key: f.Key, KeyPos: f.KeyPos, Value: sec})
	}
	ds, passed := checkSchema(rest, t)
	for _, h := range passed {
		valid[h] = nil
	}
	if len(passed) > 0 || len(valid) != len(known) {
		cache.PutRecords(schemaOKKind, valid, location)
	}
	return ds
}

// schemaOKKind names the sets of valid entries in the result cache.
const schemaOKKind = "schema-ok/v2"

// IsEntrySection reports whether a top-level key of the config holds entries
// (applications, applicationSets, infra: one Workflow each, checked on their own).
func IsEntrySection(key string) bool {
	return key == "applications" || key == "applicationSets" || key == "infra"
}

// entryHash identifies an entry for the schema: its section, name and data.
func entryHash(section string, e *Field) [sha256.Size]byte {
	b := appendCanonicalString(appendCanonicalString(nil, section), e.Key)
	return sha256.Sum256(e.Value.AppendCanonical(b))
}

// eachEntry calls fn for every entry of the entry sections of a (chunk) root.
func eachEntry(root *Node, fn func([sha256.Size]byte)) {
	if root == nil || root.Kind != Map {
		return
	}
	for _, f := range root.Fields {
		if IsEntrySection(f.Key) && f.Value.Kind == Map {
			for _, e := range f.Value.Fields {
				fn(entryHash(f.Key, e))
			}
		}
	}
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
		if !IsEntrySection(f.Key) || sec.Kind != Map || len(sec.Fields) <= schemaChunkSize {
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
