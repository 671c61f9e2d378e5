package config

import (
	"fmt"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// TestInProcessReadingIsBounded: what the plain-data reader would build in its own
// process beyond the budget (the evaluator's memory bound) is left to the bounded
// evaluator: a string doubled through comprehension variables, a pattern's data copied
// into thousands of entries, and, under a small budget, an ordinary comprehension;
// while the same shapes at a small size are read in-process.
func TestInProcessReadingIsBounded(t *testing.T) {
	read := func(src string, memory int64) bool {
		t.Helper()
		asts, errs := parseCUE([]File{{Display: "a.cue", Data: []byte(src)}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		_, ok := readDataCUE(make([]File, len(asts)), asts, make([]*Node, len(asts)), nil, nil, memory)
		return ok
	}
	doubling := func(k int) string { // [for x0 in ["ab"] for x1 in [x0+x0] ... {xk}]
		var b strings.Builder
		b.WriteString(`x: [for x0 in ["ab"]`)
		for i := 1; i <= k; i++ {
			fmt.Fprintf(&b, " for x%d in [x%d + x%d]", i, i-1, i-1)
		}
		fmt.Fprintf(&b, " {x%d}]\n", k)
		return b.String()
	}
	copies := func(labels, entries int) string { // a pattern of many fields, many entries
		var b strings.Builder
		b.WriteString("apps: [string]: {")
		for i := range labels {
			fmt.Fprintf(&b, "f%d: %d, ", i, i)
		}
		b.WriteString("}\n")
		for i := range entries {
			fmt.Fprintf(&b, "apps: e%d: {}\n", i)
		}
		return b.String()
	}
	def := DefaultLimits().EvalMemory
	for _, c := range []struct {
		name   string
		src    string
		memory int64
		read   bool
	}{
		{"doubling 4 times", doubling(4), def, true},
		{"doubling 40 times", doubling(40), def, false},
		{"a pattern's 10 fields into 10 entries", copies(10, 10), def, true},
		{"a pattern's 3000 fields into 3000 entries", copies(3000, 3000), def, false},
		{"a comprehension within the budget", "x: [for i in [1, 2, 3] {n: i}]\n", def, true},
		{"the same over a spent budget", "x: [for i in [1, 2, 3] {n: i}]\n", 256, false},
		{"fields referring to fields", "x: {a: \"ab\", b: a + a, c: b + b, d: c + c}\n", def, false},
	} {
		if got := read(c.src, c.memory); got != c.read {
			t.Errorf("%s: read in-process %v, want %v", c.name, got, c.read)
		}
	}
}

// TestCostTellsOnlyWhatItCan: the part of CUE evaluated in-process is the part whose
// cost the syntax tells: a comprehension variable costs its source (a chain of them
// doubling grows as it does), while a reference to a field or a let, a pattern
// constraint inside, a regular expression built at evaluation time, a validator
// builtin or many disjunctions are not estimated.
func TestCostTellsOnlyWhatItCan(t *testing.T) {
	var chain strings.Builder
	chain.WriteString(`[for x0 in ["` + strings.Repeat("x", 256) + `"]`)
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&chain, " for x%d in [x%d + x%d]", i, i-1, i-1)
	}
	chain.WriteString(" {x50}]")
	disj := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(" & ")
			}
			fmt.Fprintf(&b, "(*{a%d: 1} | {b%d: 1})", i, i)
		}
		return b.String()
	}
	for _, c := range []struct {
		src     string
		atLeast int64
		ok      bool
	}{
		{chain.String(), 1 << 40, true},
		{`[for e in ["dev", "prod"] {name: e, ns: "n-\(e)"}]`, 5, true},
		{`{n: int, s: string | *"d", r: =~"^[a-z]+$"}`, 3, true},
		{disj(6), 64, true},
		{disj(7), 0, false},
		{`{a: 1, b: a}`, 0, false},
		{`{let x = "a", b: x}`, 0, false},
		{`{a: outside}`, 0, false},
		{`{[string]: {x: 1}}`, 0, false},
		{`[for x in someField {x}]`, 0, false},
		{`"ab" * 1000`, 0, false},
		{`"a" =~ "(a|b)" + "c"`, 0, false},
		{`matchN(1, [int])`, 0, false},
	} {
		e, err := parseExprForTest(c.src)
		if err != nil {
			t.Fatal(err)
		}
		n, ok := estimate(e, nil)
		if ok != c.ok || (ok && n < c.atLeast) {
			t.Errorf("%.60s: cost %d, ok %v; want at least %d, ok %v", c.src, n, ok, c.atLeast, c.ok)
		}
	}
}

func parseExprForTest(src string) (ast.Expr, error) { return parser.ParseExpr("t.cue", src) }
