package config

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appflowc/appflowc/internal/diskcache"
)

// strictDiff is diffNodes that also compares structs' positions and braces and the
// evaluated marks: a tree read back from the memo must be the very tree read from syntax.
func strictDiff(a, b *Node, path string) string {
	if a.Pos != b.Pos || a.brace != b.brace || a.evaluated != b.evaluated {
		return fmt.Sprintf("%s: position/brace/mark %v %v %v vs %v %v %v", path, a.Pos, a.brace, a.evaluated, b.Pos, b.brace, b.evaluated)
	}
	if d := diffNodes(a, b, path); d != "" {
		return d
	}
	for i, f := range a.Fields {
		if b.Fields[i].Key != f.Key { // the same order, too
			return fmt.Sprintf("%s: field %d is %q vs %q", path, i, f.Key, b.Fields[i].Key)
		}
		if d := strictDiff(f.Value, b.Fields[i].Value, path+"."+f.Key); d != "" {
			return d
		}
	}
	for i := range a.Items {
		if d := strictDiff(a.Items[i], b.Items[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// TestFileMemoIsReading: loading a config with the file memo, cold and then warm (every
// file from the memo), gives the same tree, or the same errors, as loading it without;
// so does a run in which one file changed and the others come from the memo.
func TestFileMemoIsReading(t *testing.T) {
	var configs []fstest.MapFS
	addDir := func(dir string) {
		fsys := fstest.MapFS{}
		for _, pat := range []string{"*.cue", "*.yaml", "*.json"} {
			names, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, n := range names {
				data, err := os.ReadFile(n)
				if err != nil {
					t.Fatal(err)
				}
				fsys["c/"+filepath.Base(n)] = &fstest.MapFile{Data: data}
			}
		}
		if len(fsys) > 0 {
			configs = append(configs, fsys)
		}
	}
	dirs, _ := filepath.Glob("../examples/*")
	for _, d := range dirs {
		addDir(d)
	}
	// Two files meeting in one entry (merged), a conflict across files, comprehensions,
	// a predeclared name that is also a label (read by evaluation), YAML and CUE together.
	configs = append(configs,
		fstest.MapFS{
			"c/a.cue":  {Data: []byte("package x\n\napplications: web: source: {repoURL: \"https://c.example.com\", chart: \"web\", targetRevision: \"1.0.0\"}\n")},
			"c/b.cue":  {Data: []byte("package x\n\napplications: web: destination: namespace: \"web\"\napplicationSets: s: {source: {repoURL: \"https://c.example.com\", chart: \"s\", targetRevision: \"1.0.0\"}, environments: [for e in [\"dev\", \"prod\"] {name: e, cluster: \"https://kubernetes.default.svc\", namespace: \"s-\\(e)\"}]}\n")},
			"c/c.yaml": {Data: []byte("infra:\n  p:\n    namespace: p\n")},
		},
		fstest.MapFS{
			"c/a.cue": {Data: []byte("package x\n\nlen: 3\napplications: web: source: {repoURL: \"https://c.example.com\", chart: \"web\", targetRevision: \"1.0.0\"}\n")},
			"c/b.cue": {Data: []byte("package x\n\napplications: web: {destination: namespace: \"web\", labels: {n: \"\\(len([1]))\"}}\n")},
		},
		fstest.MapFS{
			"c/a.yaml": {Data: []byte("applications:\n  web:\n    destination: {namespace: a}\n")},
			"c/b.yaml": {Data: []byte("applications:\n  web:\n    destination: {namespace: b}\n")},
		},
	)
	load := func(fsys fstest.MapFS, cache *diskcache.Cache) (*Node, string) {
		tr, err := LoadTree(context.Background(), Input{FS: fsys, Paths: []string{"c"}, Cache: cache})
		if err != nil {
			return nil, err.Error()
		}
		return tr.Root, ""
	}
	compare := func(what string, fsys fstest.MapFS, cache *diskcache.Cache) {
		t.Helper()
		want, wantErr := load(fsys, nil)
		got, gotErr := load(fsys, cache)
		if gotErr != wantErr {
			t.Errorf("%s: errors differ:\n%s\nwithout the memo:\n%s", what, gotErr, wantErr)
			return
		}
		if want != nil {
			if d := strictDiff(got, want, ""); d != "" {
				t.Errorf("%s: %s", what, d)
			}
		}
	}
	hits := 0
	for i, fsys := range configs {
		cache := diskcache.New(t.TempDir(), []byte("t"))
		compare(fmt.Sprintf("config %d cold", i), fsys, cache)
		memo := newFileMemo(cache, Input{DisplayRoot: "", Paths: []string{"c"}}.Location())
		hits += len(memo.old)
		compare(fmt.Sprintf("config %d warm", i), fsys, cache)
		// One file changes: another value, then a syntax error, then back.
		for name, f := range fsys {
			orig := f.Data
			f.Data = []byte(strings.Replace(string(orig), "namespace", "namespace2", 1))
			compare(fmt.Sprintf("config %d, %s changed", i, name), fsys, cache)
			f.Data = append(append([]byte(nil), orig...), "\n}}\n"...)
			compare(fmt.Sprintf("config %d, %s broken", i, name), fsys, cache)
			f.Data = orig
			compare(fmt.Sprintf("config %d, %s restored", i, name), fsys, cache)
			break
		}
	}
	if hits < 5 {
		t.Errorf("only %d file records kept across %d configs", hits, len(configs))
	}
	// A pattern constraint added beside files kept in the memo applies to their entries
	// too (they were kept as read without one).
	fsys := fstest.MapFS{
		"c/a.cue": {Data: []byte("package x\n\napplications: web: {source: {repoURL: \"https://c.example.com\", targetRevision: \"1.0.0\"}, destination: namespace: \"web\"}\n")},
		"c/b.cue": {Data: []byte("package x\n\napplications: api: {source: {repoURL: \"https://c.example.com\", targetRevision: \"1.0.0\"}, destination: namespace: \"api\"}\n")},
	}
	cache := diskcache.New(t.TempDir(), []byte("t"))
	compare("entries without a pattern", fsys, cache)
	fsys["c/p.cue"] = &fstest.MapFile{Data: []byte("package x\n\napplications: [string]: source: chart: \"svc\"\n")}
	compare("a pattern added", fsys, cache)
	if got, _ := load(fsys, cache); got == nil || got.Get("applications").Get("web").Get("source").Get("chart") == nil {
		t.Errorf("the pattern added did not reach an entry kept in the memo")
	}
}

// TestFileMemoDamaged: a damaged record set is ignored.
func TestFileMemoDamaged(t *testing.T) {
	cache := diskcache.New(t.TempDir(), []byte("t"))
	loc := []byte("x")
	cache.Put(memoKind, []byte("short"), loc)
	if m := newFileMemo(cache, loc); len(m.old) != 0 {
		t.Fatalf("read %d records from a damaged set", len(m.old))
	}
	if _, _, _, err := readCUERecord([]byte{3, 'a'}, "f"); err == nil {
		t.Fatal("a truncated record read")
	}
}

// TestRecordReaderNeverPanics: random and damaged records are refused, never a panic.
func TestRecordReaderNeverPanics(t *testing.T) {
	valid := cueRecord("f.cue", "x", []string{"a", "b"}, &Node{Kind: Map, Fields: []*Field{
		{Key: "a", Value: &Node{Kind: List, Items: []*Node{{Kind: Int, Int: -3}, {Kind: Float, Float: 1.5}, {Kind: String, Str: "s"}, {Kind: Bool, Bool: true}}}},
	}})
	if _, _, n, err := readCUERecord(valid, "f.cue"); err != nil || n.Fields[0].Value.Items[0].Int != -3 {
		t.Fatalf("valid record: %v", err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := range 20000 {
		b := append([]byte(nil), valid...)
		switch i % 3 {
		case 0:
			b = b[:rng.Intn(len(b))]
		case 1:
			b[rng.Intn(len(b))] = byte(rng.Intn(256))
		default:
			b = make([]byte, rng.Intn(64))
			rng.Read(b)
		}
		readCUERecord(b, "f.cue")
		readYAMLRecord(b, "f.yaml")
	}
}
