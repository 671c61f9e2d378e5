package config

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"golang.org/x/tools/txtar"

	"github.com/appflowc/appflowc/internal/benchgen"
)

// TestDataCUEIsEvaluation: reading plain-data CUE from its syntax gives exactly the tree
// evaluation gives (values, kinds, field order, positions), on every CUE config of the
// examples, of the CLI tests, generated bench configs, and random data; and it declines
// (so that evaluation answers) wherever the two could differ.
func TestDataCUEIsEvaluation(t *testing.T) {
	var sets [][]File
	add := func(files []File) {
		if len(files) > 0 {
			sets = append(sets, files)
		}
	}
	dirs, _ := filepath.Glob("../examples/*")
	for _, d := range dirs {
		add(cueFilesIn(t, d))
	}
	scripts, _ := filepath.Glob("../cmd/appflowc/cli/testdata/script/*.txtar")
	for _, s := range scripts {
		ar, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		byDir := map[string][]File{}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".cue") && !strings.Contains(f.Name, "cue.mod") {
				byDir[filepath.Dir(f.Name)] = append(byDir[filepath.Dir(f.Name)], File{Display: s + "/" + f.Name, Data: f.Data})
			}
		}
		for _, fs := range byDir {
			add(fs)
		}
	}
	gen := t.TempDir()
	if err := benchgen.Write(gen, 300, "cue"); err != nil {
		t.Fatal(err)
	}
	add(cueFilesIn(t, gen))
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 4000; i++ {
		add(randomData(rng))
	}
	if err := benchgen.WriteApps(gen, 300, benchgen.AppsCUEDefaults); err != nil {
		t.Fatal(err)
	}
	add(cueFilesIn(t, gen))
	for i := 0; i < 3000; i++ {
		add(randomPatterned(rng))
	}
	fast, declined, evaluated := 0, 0, 0
	patterned := 0
	for _, files := range sets {
		asts, perrs := parseCUE(files)
		if len(perrs) > 0 {
			continue // both paths start here: nothing to compare
		}
		patternedSet := hasPattern(asts) // before dataCUE, which lets the syntax go
		got, ok := dataCUE(asts)
		if !ok {
			declined++
			continue
		}
		fast++
		if hasEvaluated(got) {
			evaluated++
		}
		if patternedSet {
			patterned++
		}
		reparsed, _ := parseCUE(files) // dataCUE shares nodes with its input; evaluate fresh syntax
		want, wantErrs := evalCUEPackage(reparsed)
		// The data reading reports no errors of its own: it declines whatever evaluation
		// could reject (a scalar set twice), so what it accepts must evaluate cleanly.
		if len(wantErrs) > 0 {
			t.Errorf("%s: read as data, but evaluation rejects it:\n%v", files[0].Display, wantErrs)
			continue
		}
		if d := diffNodes(got, want, ""); d != "" {
			t.Errorf("%s: the data reading differs from evaluation: %s", files[0].Display, d)
		} else if d := structPosDiff(got, want, ""); d != "" && patternedSet {
			// Under a pattern constraint the decoder places an entry's missing fields
			// at its struct: those positions must be evaluation's too.
			t.Errorf("%s: the data reading places a struct otherwise than evaluation: %s", files[0].Display, d)
		}
	}
	t.Logf("%d configs read as data (identical to evaluation; %d of them with expressions evaluated on their own, %d with entries under pattern constraints), %d left to evaluation", fast, evaluated, patterned, declined)
	if fast < 300 || declined < 100 || evaluated < 100 || patterned < 300 {
		t.Errorf("expected every path to be exercised: %d fast, %d with expressions evaluated alone, %d declined", fast, evaluated, declined)
	}
}

// structPosDiff compares the positions of structs, which diffNodes leaves out.
func structPosDiff(a, b *Node, path string) string {
	if a.Kind == Map && path != "" && a.Pos != b.Pos {
		return fmt.Sprintf("%s: struct at %s vs %s", path, a.Pos, b.Pos)
	}
	for _, af := range a.Fields {
		if d := structPosDiff(af.Value, b.field(af.Key).Value, path+"."+af.Key); d != "" {
			return d
		}
	}
	for i := range a.Items {
		if d := structPosDiff(a.Items[i], b.Items[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}

func hasPattern(asts []*ast.File) bool { return len(topPatterns(asts)) > 0 }

// randomPatterned writes one to three CUE files of entries under a field with pattern
// constraints (defaults for every entry, as CUE users write them): patterns of every
// label form, with defaults, aliases, references inside and outside, and entries
// that meet the defaults, override them, conflict with them or are written twice.
func randomPatterned(rng *rand.Rand) []File {
	labels := []string{"[string]", "[N=string]", `[=~"^a"]`, "[_]", `[!="b"]`}
	pats := []string{`{x: 1}`, `{x: *1 | int}`, `{name: N}`, `{s: {t: "d"}}`, `{s: t: *"d" | string, u: true}`,
		`{l: [1, 2]}`, `{x: int}`, `{y: other}`, `{x: 1, y: x}`, `{x: string | *"v"}`, `{z: close({a: 1})}`,
		`{x: 2}`, `{_h: 1, h: _h}`, `{s: {}}`, `{k: len}`, `{x: >0}`, `{m: *{a: 1} | {b: 2}}`}
	entries := []string{`{}`, `{x: 1}`, `{x: 2}`, `{y: "e"}`, `{s: t: "e"}`, `{s: {u: true}}`, `{l: [1, 2]}`,
		`{x: 1.0}`, `{name: "n"}`, `{s: t: 3}`, `{w: [for i in [1, 2] {i}]}`, `{x: *3 | int}`, `{s: v: null}`}
	keys := []string{"a", "b", `"a-1"`, "c", "ab", `"b"`}
	var files []File
	nf := 1 + rng.Intn(3)
	for i := 0; i < nf; i++ {
		var b bytes.Buffer
		if rng.Intn(4) == 0 {
			b.WriteString("package p\n\n")
		}
		for j := 0; j < 1+rng.Intn(4); j++ {
			switch r := rng.Intn(10); {
			case r < 3 && (i == 0 || rng.Intn(2) == 0):
				fmt.Fprintf(&b, "apps: %s: %s\n", labels[rng.Intn(len(labels))], pats[rng.Intn(len(pats))])
			case r < 4:
				fmt.Fprintf(&b, "apps: {%s: %s, %s: %s}\n", labels[rng.Intn(len(labels))], pats[rng.Intn(len(pats))], keys[rng.Intn(len(keys))], entries[rng.Intn(len(entries))])
			case r < 8:
				fmt.Fprintf(&b, "apps: %s: %s\n", keys[rng.Intn(len(keys))], entries[rng.Intn(len(entries))])
			case r < 9:
				fmt.Fprintf(&b, "apps: {%s: %s, %s: %s}\n", keys[rng.Intn(len(keys))], entries[rng.Intn(len(entries))], keys[rng.Intn(len(keys))], entries[rng.Intn(len(entries))])
			default:
				fmt.Fprintf(&b, "other: %s\n", []string{`"o"`, `1`, `{a: 1}`}[rng.Intn(3)])
			}
		}
		files = append(files, File{Display: fmt.Sprintf("p%d.cue", i), Data: b.Bytes()})
	}
	return files
}

func hasEvaluated(n *Node) bool {
	if n.evaluated {
		return true
	}
	for _, f := range n.Fields {
		if hasEvaluated(f.Value) {
			return true
		}
	}
	for _, it := range n.Items {
		if hasEvaluated(it) {
			return true
		}
	}
	return false
}

func cueFilesIn(t *testing.T, dir string) []File {
	names, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	var out []File
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Display: n, Data: data})
	}
	return out
}

// randomData writes one to three CUE files of random plain data, sometimes sharing keys
// (equal or conflicting values, int against float), sometimes with a non-data construct.
func randomData(rng *rand.Rand) []File {
	scalars := []string{`"a"`, `"b c"`, `1`, `2`, `1.5`, `1.0`, `true`, `false`, `null`, `1_000`, `0x10`, `1Ki`, `"""` + "\n\tx\n\t" + `"""`, `#"raw\n"#`, `'bytes'`}
	nonData := []string{`*"d" | "e"`, `int`, `x.y`, `"\(1)"`, `[...int]`, `>1`,
		// Expressions the reader may evaluate on their own, and ones it must not.
		`[for x in [1, 2] {x}]`, `{for k in ["p", "q"] {(k): 1}}`, `[for e in ["dev"] {name: e, ns: "n-\(e)"}]`,
		`close({a: 1})`, `{x: 1, y: x}`, `[for x in a {x}]`, `"\(1+1)"`, `1 + 2`, `{#D: {a: int}, v: #D & {a: 1}}`,
		`len([1, 2])`, `[for x in [1] {len}]`, `{a: *1 | int}`, `strings.ToUpper("a")`, `{_h: 1, v: _h}`, `[if true {1}]`}
	keys := []string{"a", "b", `"c-d"`, "e", "len", "x"}
	var value func(depth int) string
	value = func(depth int) string {
		switch r := rng.Intn(10); {
		case depth < 3 && r < 3:
			var b strings.Builder
			b.WriteString("{")
			for i := 0; i < 1+rng.Intn(3); i++ {
				fmt.Fprintf(&b, "%s: %s, ", keys[rng.Intn(len(keys))], value(depth+1))
			}
			b.WriteString("}")
			return b.String()
		case depth < 3 && r < 5:
			return "[" + value(depth+1) + ", " + value(depth+1) + "]"
		case r == 9 && rng.Intn(4) == 0:
			return nonData[rng.Intn(len(nonData))]
		}
		return scalars[rng.Intn(len(scalars))]
	}
	var files []File
	for i := 0; i < 1+rng.Intn(3); i++ {
		var b bytes.Buffer
		for j := 0; j < 1+rng.Intn(4); j++ {
			if rng.Intn(3) == 0 { // shorthand: a: b: {...}
				fmt.Fprintf(&b, "%s: %s: %s\n", keys[rng.Intn(len(keys))], keys[rng.Intn(len(keys))], value(1))
				continue
			}
			fmt.Fprintf(&b, "%s: %s\n", keys[rng.Intn(len(keys))], value(0))
		}
		files = append(files, File{Display: fmt.Sprintf("r%d.cue", i), Data: b.Bytes()})
	}
	return files
}

// diffNodes describes the first difference between two trees, or "".
func diffNodes(a, b *Node, path string) string {
	if a.Kind != b.Kind {
		return fmt.Sprintf("%s: kind %s vs %s", path, a.Kind, b.Kind)
	}
	if a.Pos != b.Pos && a.Kind != Map { // a struct's position is where it is first opened; messages use fields'
		return fmt.Sprintf("%s: position %s vs %s", path, a.Pos, b.Pos)
	}
	switch a.Kind {
	case Map: // the same fields (in any order: nothing downstream depends on it)
		if len(a.Fields) != len(b.Fields) {
			return fmt.Sprintf("%s: %d vs %d fields", path, len(a.Fields), len(b.Fields))
		}
		for _, af := range a.Fields {
			bf := b.field(af.Key)
			if bf == nil {
				return fmt.Sprintf("%s: field %q only in the data reading", path, af.Key)
			}
			if af.KeyPos != bf.KeyPos {
				return fmt.Sprintf("%s.%s: key position %s vs %s", path, af.Key, af.KeyPos, bf.KeyPos)
			}
			if d := diffNodes(af.Value, bf.Value, path+"."+af.Key); d != "" {
				return d
			}
		}
	case List:
		if len(a.Items) != len(b.Items) {
			return fmt.Sprintf("%s: %d vs %d items", path, len(a.Items), len(b.Items))
		}
		for i := range a.Items {
			if d := diffNodes(a.Items[i], b.Items[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if !scalarEqual(a, b) {
			return fmt.Sprintf("%s: %s vs %s", path, a.display(), b.display())
		}
	}
	return ""
}

// TestCheapIsBounded: what may be evaluated in the parent (standalone CUE expressions,
// contracts) excludes what can grow without bound, and keeps what real configs write.
func TestCheapIsBounded(t *testing.T) {
	for src, want := range map[string]bool{
		`[for env in ["dev", "staging", "prod"] {name: env}]`: true,
		`int & >0 & <=3*60`: true,
		`"\(1 + 2)"`:        true,
		`"ab" * 1000000000`: false,
		`[1] * 100`:         false,
		`[for a in [1, 2] for b in [for c in [1, 2] {c}] {a}]`: true,
		`[for a in [0,1,2,3,4,5,6,7,8,9] for b in [0,1,2,3,4,5,6,7,8,9] for c in [0,1,2,3,4,5,6,7,8,9] for d in [0,1,2,3,4,5,6,7,8,9] for e in [0,1,2,3,4,5,6,7,8,9] {a}]`: false,
		`[for x in y {x}]`: false,
	} {
		e, err := parser.ParseExpr("t", src)
		if err != nil {
			t.Fatal(err)
		}
		if got := cheap(e); got != want {
			t.Errorf("cheap(%s) = %v, want %v", src, got, want)
		}
	}
	if err := CheckContract(`[for a in [0,1,2,3,4,5,6,7,8,9] for b in [0,1,2,3,4,5,6,7,8,9] for c in [0,1,2,3,4,5,6,7,8,9] for d in [0,1,2,3,4,5,6,7,8,9] for e in [0,1,2,3,4,5,6,7,8,9] {a}]`, "1"); err == nil || !strings.Contains(err.Error(), "invalid contract") {
		t.Errorf("an expensive contract was evaluated: %v", err)
	}
	if err := CheckContract(`int & <=(3*60)`, "120"); err != nil {
		t.Errorf("a contract multiplying numbers: %v", err)
	}
}
