package config

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

// The readers' fuzz targets: each reader takes any bytes without a panic, a crash or an
// unbounded cost, and its errors carry a position in the file. go test runs the seeds
// (hostile shapes: deep nesting, alias bombs, label chains, control bytes, huge numbers);
// make fuzz explores further.

// hostileSeeds are inputs every reader is seeded with.
var hostileSeeds = []string{
	strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
	strings.Repeat("{a: ", 300) + "1" + strings.Repeat("}", 300),
	strings.Repeat("a: ", 3000) + "1",
	"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
	"a: &x [*x]", "\x00\xff\xfe", "\ufeffapplications: {}", "a: 1\na: 2", "a: 1e999999", "a: 99999999999999999999999",
	"applications: {\"x\\n---\\nkind: Evil\": {}}", "applications: {web: {source: {repoURL: \"{{workflow.name}}\"}}}",
	"x: \"\\u202e\\u0007\\u001b]0;title\\u0007\"", "'''", "\"\"\"", "|||\nx\n", "/*", "#", "a: [", "a: {", "- - - - -",
	"a: !vault x", "a: !!binary aGk=", "a: !include b.yaml", "{\"a\": -99999999999999999999}",
	"{\"" + strings.Repeat("k", 1100) + "\": 1}", strings.Repeat("k", 1100) + ": 1", "v: \"a: 1\\n---\\nb: 2\"",
	"_a: b: _a", "x: \"\xff\"",
}

// fuzzLoad loads src as the one file name of a config and checks what every reader
// promises: no panic (the fuzzer catches those), and a problem reported as diagnostics
// placed in that file.
func fuzzLoad(t *testing.T, name, src string) {
	fsys := fstest.MapFS{"c/" + name: {Data: []byte(src)}}
	lim := Limits{MaxDepth: 40, EvalTimeout: 5e9, EvalMemory: 256 << 20}
	tree, err := LoadTree(context.Background(), Input{FS: fsys, Paths: []string{"c"}, Limits: lim})
	if err != nil {
		ds, ok := err.(interface{ Error() string })
		if !ok {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(ds.Error(), "c/"+name) {
			t.Fatalf("%s: the error names no position in the file: %v", name, err)
		}
		return
	}
	if _, err := Decode(tree); err != nil && !strings.Contains(err.Error(), "c/"+name) {
		t.Fatalf("%s: decode error names no position in the file: %v", name, err)
	}
}

func FuzzYAML(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Add("applications:\n  web:\n    source: {repoURL: https://x.example.com, chart: c, targetRevision: 1.0.0}\n    destination: {namespace: w}\n")
	f.Fuzz(func(t *testing.T, src string) { fuzzLoad(t, "a.yaml", src) })
}

func FuzzJSON(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Add(`{"applications": {"web": {"source": {"repoURL": "https://x.example.com", "chart": "c", "targetRevision": "1.0.0"}, "destination": {"namespace": "w"}}}}`)
	f.Add(`{"a": "\ud83d\udd53"}`)
	f.Fuzz(func(t *testing.T, src string) { fuzzLoad(t, "a.json", src) })
}

func FuzzCUE(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Add("applications: web: {source: {repoURL: \"https://x.example.com\", chart: \"c\", targetRevision: \"1.0.0\"}, destination: namespace: \"w\"}")
	f.Add("x: [for a in [1, 2, 3] for b in [4, 5] {a * b}]\napplications: {}")
	f.Add("import \"strings\"\nx: strings.Repeat(\"ab\", 100)\napplications: {}")
	f.Fuzz(func(t *testing.T, src string) { fuzzLoad(t, "a.cue", src) })
}

// FuzzNesting: whatever the bracket scanner lets through for a format, that format's
// parser does not find deeper than the bound; and it never panics on odd quoting.
func FuzzNesting(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s, uint8(0))
	}
	f.Add(`a: "[[[[" # [[[[`+"\n"+`b: '[[['`, uint8(0))
	f.Add("a: \"\"\"\n[[[[\n\"\"\"\nb: #\"[[[\"#", uint8(1))
	f.Add("{a: |||\n  [[[[\n|||, b: @'[[[', /* [[[ */ c: 1}", uint8(2))
	f.Fuzz(func(t *testing.T, src string, syn uint8) {
		_ = checkNesting("f", []byte(src), syntax(syn%3), 8)
	})
}

// FuzzRecords: the stored forms of files read before (in the result cache, which another
// process could damage) never panic and never allocate by what they claim.
func FuzzRecords(f *testing.F) {
	f.Add([]byte{})
	f.Add(yamlRecord("f", []*Node{{Kind: Map, Fields: []*Field{{Key: "a", Value: &Node{Kind: String, Str: "x"}}}}}))
	f.Add(cueRecord("f", "p", []string{"a"}, &Node{Kind: List, Items: []*Node{{Kind: Int, Int: 3}}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, rec []byte) {
		_, _ = readYAMLRecord(rec, "f")
		_, _, _, _ = readCUERecord(rec, "f")
	})
}
