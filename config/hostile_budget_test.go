package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Hostile tests of the in-process budget (evalcost.go): each config is small, is read
// in-process (not declined to the bounded evaluator), and under a 64 MiB evaluator
// bound makes the in-process reading allocate hundreds of MB or spend seconds of CPU.
// The evaluator would stop the same config at 64 MiB (or --max-eval-time).

const hostileBudget = 64 << 20

// readInProcess reads src as one CUE file with the in-process reader under memory,
// and reports whether it was read, how long it took and how much it allocated.
func readInProcess(t *testing.T, src string, memory int64) (bool, time.Duration, uint64) {
	t.Helper()
	asts, errs := parseCUE([]File{{Display: "a.cue", Data: []byte(src)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	_, ok := readDataCUE(make([]File, len(asts)), asts, make([]*Node, len(asts)), nil, nil, memory)
	d := time.Since(start)
	runtime.ReadMemStats(&m1)
	return ok, d, m1.TotalAlloc - m0.TotalAlloc
}

func doublingChain(p string, n int) string {
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, fmt.Sprintf("%s%d: %s%d + %s%d", p, i, p, i-1, p, i-1))
	}
	return strings.Join(parts, ", ")
}

// checkBounded fails when the in-process reading allocated more than twice the
// evaluator's bound (what the evaluator would have been allowed) or took over limit.
func checkBounded(t *testing.T, name, src string, limit time.Duration) {
	t.Helper()
	ok, d, alloc := readInProcess(t, src, hostileBudget)
	if alloc > 2*hostileBudget || d > limit {
		t.Errorf("%s (%d bytes of CUE): read in-process %v, took %v and allocated %d MiB; "+
			"want it left to the evaluator (bounded at %d MiB) before that cost", name, len(src), ok, d.Round(time.Millisecond), alloc>>20, hostileBudget>>20)
	}
}

// TestHostileBudgetReferenceCostedInWrongScope: coster resolves a name differently from
// CUE in two ways. (a) A referenced field's expression is estimated in the scopes of the
// reference, not its own: a: b + b referenced from a struct that has its own small b is
// estimated with that b and memoized. (b) Comprehension variables are looked up before
// struct fields, whatever the nesting: a field x inside the body of `for x in [1]`
// shadows x in CUE but is estimated as the variable. Either makes the base of a doubling
// chain look 1 node while it is a 32 KiB string: ~400 bytes of CUE allocate 256-512 MB.
func TestHostileBudgetReferenceCostedInWrongScope(t *testing.T) {
	scope := fmt.Sprintf("y: {s0: \"ab\", %s, b: s13, a: b + b, c: {b: \"s\", d0: a + a, %s}}\n",
		doublingChain("s", 13), doublingChain("d", 11))
	shadow := fmt.Sprintf("y: [for x in [1] {s0: \"ab\", %s, x: s13, d0: x + x, %s}]\n",
		doublingChain("s", 13), doublingChain("d", 12))
	checkBounded(t, "reference estimated in the referrer's scope", scope, 10*time.Second)
	checkBounded(t, "field shadowing a comprehension variable", shadow, 10*time.Second)
}

// TestHostileBudgetNestedPatternMeetsEveryField: a pattern constraint inside the top-level
// pattern ([string]: {[string]: {...}}) is estimated once (times the fields of its own
// struct literal, one), but CUE applies it to every field of every entry: an entry of 10
// empty fields builds 10 copies of a 10,000-element list. ~950 bytes of CUE: ~370 MB, and
// with 100 fields 3.5 GB and 11 s.
func TestHostileBudgetNestedPatternMeetsEveryField(t *testing.T) {
	var nums []string
	for i := range 100 {
		nums = append(nums, fmt.Sprint(i))
	}
	ns := strings.Join(nums, ", ")
	var fields []string
	for i := range 10 {
		fields = append(fields, fmt.Sprintf("f%d: {}", i))
	}
	src := fmt.Sprintf("applications: [string]: {[string]: {x: [for i in [%s] for j in [%s] {a: 1}]}}\n", ns, ns) +
		fmt.Sprintf("applications: e: {%s}\n", strings.Join(fields, ", "))
	checkBounded(t, "nested pattern over an entry's fields", src, 10*time.Second)
}

// TestHostileBudgetDisjunctionsCostSteps: the budget counts nodes, not evaluation steps.
// A conjunction of n two-way disjunctions with defaults is a few hundred bytes, costs ~4n
// nodes, and CUE explores 2^n combinations: n=13 takes ~7 s of CPU here (n=14: 25 s),
// in-process, where no --max-eval-time applies. Without defaults the reading declines,
// but only after the same exploration, which the evaluator then repeats.
func TestHostileBudgetDisjunctionsCostSteps(t *testing.T) {
	conj := func(n int, def string) string {
		var ds []string
		for i := range n {
			ds = append(ds, fmt.Sprintf("(%s{a%d: 1} | {b%d: 1})", def, i, i))
		}
		return "y: " + strings.Join(ds, " & ") + "\n"
	}
	checkBounded(t, "13 disjunctions with defaults", conj(13, "*"), time.Second)
	checkBounded(t, "12 disjunctions without defaults (declined after evaluating)", conj(12, ""), time.Second/4)
}

// TestHostileBudgetRegexpCostsTextTimesPattern: `=~` is estimated as its operands, but
// Go's regexp (RE2: linear in the text) simulates the pattern's NFA over the text, each
// thread carrying every capture group: a pattern of 6,400 groups built by doubling (est.
// ~130 nodes) over an 8 KiB text allocates ~660 MB from ~800 bytes of CUE; with a 64 KiB
// text and 12,800 groups, 12 s and 2.6 GB; 25,600 groups, 3 min and 40 GB.
func TestHostileBudgetRegexpCostsTextTimesPattern(t *testing.T) {
	src := fmt.Sprintf("y: {t0: %q, %s, r0: %q, %s, m: t5 =~ r7 + \"c\"}\n",
		strings.Repeat("a", 250), doublingChain("t", 5), strings.Repeat("(a|b)", 50), doublingChain("r", 7))
	checkBounded(t, "a computed regular expression", src, 10*time.Second)
}
