package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/appflowc/appflowc/internal/diskcache"
)

// TestCheckSchemaCachedAgrees: with the verdict cache, cold and warm, every case of the
// config tests gets exactly CheckSchema's diagnostics.
func TestCheckSchemaCachedAgrees(t *testing.T) {
	cache := diskcache.New(t.TempDir(), []byte("t"))
	for i, c := range cases {
		tree, err := load(t, map[string]string{c.file: c.src})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(CheckSchema(tree))
		for _, run := range []string{"cold", "warm"} {
			if got := fmt.Sprint(CheckSchemaCached(tree, cache, []byte(fmt.Sprint(i)))); got != want {
				t.Errorf("%s (%s): %s\nCheckSchema: %s", c.name, run, got, want)
			}
		}
	}
}

// TestCheckSchemaCachedRechecksChanges: entries found valid are skipped (the set holds
// them all after a clean run); a changed entry is checked again and its error reported
// at its position; an invalid entry is never recorded.
func TestCheckSchemaCachedRechecksChanges(t *testing.T) {
	cache := diskcache.New(t.TempDir(), []byte("t"))
	loc := []byte("here")
	src := func(ns string) string {
		var b strings.Builder
		b.WriteString("applications:\n")
		for i := range 600 {
			n := "team"
			if i == 42 {
				n = ns
			}
			fmt.Fprintf(&b, "  app-%d: {source: {repoURL: \"https://c.example.com\", chart: c, targetRevision: \"1.0.0\"}, destination: {namespace: %s}}\n", i, n)
		}
		return b.String()
	}
	good, err := load(t, map[string]string{"c.yaml": src("team")})
	if err != nil {
		t.Fatal(err)
	}
	if ds := CheckSchemaCached(good, cache, loc); len(ds) > 0 {
		t.Fatal(ds)
	}
	if n := len(cache.GetRecords(schemaOKKind, loc)); n != 600 {
		t.Fatalf("%d valid entries recorded, want 600", n)
	}
	bad, err := load(t, map[string]string{"c.yaml": src("Not_A_Name")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ds := CheckSchemaCached(bad, cache, loc)
		if len(ds) == 0 || !strings.HasPrefix(ds[0].Path, "applications.app-42.destination.namespace") || ds[0].Pos.Line != 44 {
			t.Fatalf("the changed entry's error: %v", ds)
		}
		if n := len(cache.GetRecords(schemaOKKind, loc)); n != 599 {
			t.Fatalf("%d valid entries recorded, want 599", n)
		}
	}
}

// TestCheckSchemaSameOnEveryCore: a config of many chunks, with errors in several, gets
// the same diagnostics checked by one worker on the shared schema and by one worker per
// core, each with a schema of its own.
func TestCheckSchemaSameOnEveryCore(t *testing.T) {
	var b strings.Builder
	b.WriteString("applications:\n")
	for i := 0; i < 3*schemaChunkSize+7; i++ {
		switch i % 700 {
		case 3: // not https
			fmt.Fprintf(&b, "  app-%d: {source: {repoURL: 'http://x.example.com', path: p}, destination: {namespace: ns}}\n", i)
		case 5: // a misspelt field
			fmt.Fprintf(&b, "  app-%d: {source: {repoURL: 'https://x.example.com', path: p}, destinaton: {namespace: ns}}\n", i)
		default:
			fmt.Fprintf(&b, "  app-%d: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: ns}}\n", i)
		}
	}
	tree, err := load(t, map[string]string{"a.yaml": b.String()})
	if err != nil {
		t.Fatal(err)
	}
	many := fmt.Sprint(CheckSchema(tree))
	prev := runtime.GOMAXPROCS(1)
	one := fmt.Sprint(CheckSchema(tree))
	runtime.GOMAXPROCS(prev)
	if many != one {
		t.Errorf("one worker per core:\n%s\none worker:\n%s", many, one)
	}
	if n := strings.Count(one, "a.yaml:"); n < 4 {
		t.Errorf("want the errors of several chunks, got %d:\n%s", n, one)
	}
}

// TestEntryShapedByPatternIsWhereItIsDeclared: an entry whose shared fields come from a
// pattern constraint in another file is placed at its own label (CUE would give the
// pattern's position: its diagnostics and rendered files would name the wrong file).
func TestEntryShapedByPatternIsWhereItIsDeclared(t *testing.T) {
	tree, err := load(t, map[string]string{
		"a.cue": "package p\n\napplications: [string]: {\n\tsource: chart: \"svc\"\n\tsyncPolicy: automated: true\n}\n",
		"b.cue": "package p\n\napplications: web: {\n\tsource: {repoURL: \"https://charts.example.com\", targetRevision: \"1.0.0\"}\n\tdestination: namespace: \"web\"\n}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Decode(tree)
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Applications[0].Pos; !strings.HasSuffix(p.File, "b.cue") || p.Line != 3 {
		t.Errorf("the entry is placed at %s, want b.cue:3 (its label)", p)
	}
}

// TestPackageFilesBounded: a message naming a package's files stays short however many
// files it has.
func TestPackageFilesBounded(t *testing.T) {
	var names []string
	for i := 0; i < 2000; i++ {
		names = append(names, fmt.Sprintf("part-%04d.cue", i))
	}
	if got := packageFiles(names); got != "part-0000.cue, part-0001.cue, part-0002.cue and 1997 other files" {
		t.Errorf("got %q", got)
	}
	if got := packageFiles(names[:2]); got != "part-0000.cue, part-0001.cue" {
		t.Errorf("got %q", got)
	}
}
