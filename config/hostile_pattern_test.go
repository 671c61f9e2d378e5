package config

import (
	"fmt"
	"strings"
	"testing"
)

// Hostile tests of the per-entry reading of patterned CUE packages (dataReader.patterned):
// each case must either be declined by dataCUE, or give exactly the tree whole-package
// evaluation gives (values, key positions, struct positions).

// hostileSameAsEvaluation fails when dataCUE reads files and the result differs from
// evalCUEPackage (or evaluation rejects what the data reading accepted).
func hostileSameAsEvaluation(t *testing.T, files ...string) {
	t.Helper()
	var fs []File
	for i := 0; i < len(files); i += 2 {
		fs = append(fs, File{Display: files[i], Data: []byte(files[i+1])})
	}
	asts, errs := parseCUE(fs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got, ok := dataCUE(asts)
	if !ok {
		return // declined: evaluation answers
	}
	fresh, _ := parseCUE(fs)
	want, wantErrs := evalCUEPackage(fresh)
	if len(wantErrs) > 0 {
		t.Fatalf("read as data, but evaluation rejects it: %v", wantErrs)
	}
	if d := diffNodes(got, want, ""); d != "" {
		t.Errorf("the data reading differs from evaluation: %s", d)
	}
	if d := structPosDiff(got, want, ""); d != "" {
		t.Errorf("the data reading places a struct otherwise than evaluation: %s", d)
	}
}

// A scalar entry under a pattern constraint: the per-entry reading keys it at its label,
// evaluation at its value. `appflowc vet` then reports an invalid entry name at 2:15
// instead of 2:30 (where the same config, evaluated as a package, reports it).
func TestHostilePatternScalarEntryKeyPosition(t *testing.T) {
	hostileSameAsEvaluation(t, "a.cue", "applications: [string]: _\napplications: \"Bad_Name\":    \"oops\"\n")
	hostileSameAsEvaluation(t, "a.cue", "apps: [string]: int\napps: a: 1\n")
}

// An entry named like one of CUE's predeclared ranges (uint8, int32, byte, rune,
// float64...) shadows it in the pattern for the package, not in the per-entry reading
// (selfContained's list of predeclared names lacks them): web's targetRevision is
// "1.0.0" read per entry, "2.0.0" evaluated (appflowc render of this config writes
// target_revision 1.0.0; add `_z: 1 + 1` and it writes 2.0.0).
func TestHostilePatternPredeclaredRangeShadowed(t *testing.T) {
	hostileSameAsEvaluation(t, "app.cue", `applications: {
	[string]: {
		source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: *"\(uint8 & 1).0.0" | "2.0.0"}
		destination: namespace: "web"
	}
	web: {}
	uint8: {}
}
`)
	hostileSameAsEvaluation(t, "a.cue", "apps: [string]: {port: *(int32 & 80) | 90}\napps: a: {}\nint32: 90\n")
}

// A pattern's list of structs merged with an entry's (mergeEntry, unifyData's list
// case): evaluation keys the list at the pattern and places its items at the
// pattern's braces; the merge keeps the entry's. `appflowc vet` reports a missing
// environment name at 7:17 instead of 2:17.
func TestHostilePatternListOfStructsMerged(t *testing.T) {
	hostileSameAsEvaluation(t, "app.cue", `applicationSets: [string]: {
	environments: [{cluster: "https://kubernetes.default.svc"}]
	syncPolicy: {automated: true}
}
applicationSets: shop: {
	source: {repoURL: "https://charts.bitnami.com/bitnami", chart: "nginx", targetRevision: "15.4.2"}
	environments: [{namespace: "shop-dev"}]
}
`)
	hostileSameAsEvaluation(t, "a.cue", "apps: [string]: {l: []}\napps: d: {l: []}\n")
}

// The same for plain data written in two files (before the pattern reading; the same
// unifyData list case): evaluation keys x at the later list.
func TestHostileListWrittenTwiceKeyPosition(t *testing.T) {
	hostileSameAsEvaluation(t, "a.cue", "x: [{a: 1}]\n", "b.cue", "x: [{b: 1}]\n")
}

// An entry that doubles a string 24 times (16 MiB from a 600-byte file; 30 times is
// 1 GiB) is evaluated in appflowc's own process (cheap only refuses '*' and large
// comprehensions, not '+'), outside the evaluator's --max-eval-memory bound:
// `appflowc vet --max-eval-memory 256MiB` accepts a 28-fold doubling at 600 MB RSS,
// and refuses it once anything else forces whole-package evaluation.
func TestHostilePatternDoublingIsNotEvaluatedInProcess(t *testing.T) {
	var s strings.Builder
	s.WriteString(`_s0: "x"`)
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&s, ", _s%d: _s%d + _s%d", i, i-1, i-1)
	}
	src := fmt.Sprintf("applications: [string]: {destination: namespace: \"web\"}\napplications: web: {\n\t%s\n\tsource: targetRevision: \"1.0.\\(len(_s24))\"\n}\n", s.String())
	asts, errs := parseCUE([]File{{Display: "app.cue", Data: []byte(src)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, ok := dataCUE(asts); ok {
		t.Errorf("an entry doubling a string 24 times was evaluated in-process, unbounded; it should be left to the bounded evaluator")
	}
}
