package render

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/appflowc/appflowc/config"
)

// The fast encoder must produce yaml.v3's bytes whenever it does not step aside.

func TestFastYAMLMatchesYAMLv3OnExamples(t *testing.T) {
	ents, err := os.ReadDir("../examples")
	if err != nil {
		t.Fatal(err)
	}
	fast, workflows, fastWorkflows := 0, 0, 0
	for _, e := range ents {
		res, err := Render(context.Background(), config.Input{FS: os.DirFS("../examples"), Paths: []string{e.Name()}}, Options{Expand: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			m, err := ToMap(o.Obj)
			if err != nil {
				t.Fatal(err)
			}
			want, err := encodeYAMLv3(m)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendYAML(nil, m)
			if o.Kind == "Workflow" {
				workflows++
				if ok {
					fastWorkflows++
				}
			}
			if !ok {
				continue
			}
			fast++
			if string(got) != string(want) {
				t.Errorf("%s: fast YAML differs from yaml.v3:\n%s\nwant:\n%s", o.ID(), got, want)
			}
		}
	}
	// Multi-line values (inline Helm values) step aside to yaml.v3; most Workflows do not.
	if fastWorkflows*2 < workflows {
		t.Fatalf("fast path used for %d objects, %d of %d Workflows", fast, fastWorkflows, workflows)
	}
	t.Logf("fast path: %d objects, %d of %d Workflows", fast, fastWorkflows, workflows)
}

// Strings chosen to hit every quoting rule of YAML and yaml.v3.
var trickyStrings = []string{
	"", "a", "web", "app-web", "15.4.2", "1", "1.5", "1e3", "0x1F", "0o17", "-1", "+1", ".5", ".inf", ".NaN",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "1:20", "yes", "No", "ON", "off", "y", "N", "true", "False", "tRue",
	"null", "NULL", "Null", "~", "-", "- a", "a: b", "a:b", "a:", ":a", "a #b", "a#b", "#x", "'q'", `"d"`, "it's",
	"{a}", "[x]", "{\"automated\":{\"prune\":true}}", "[{\"name\":\"dev\"}]", " lead", "trail ", "tab\tx", "multi\nline",
	"trailing newline\n", "ünï", "https://x.y/z", "http://a:80/", "oci://r.io/c", "https://x.y/z:", "@x", "`x", "%x",
	"!x", "&x", "*x", "|x", ">x", "?x", "a?", "x--", "x::y", "---", "...", "a b", "<<", "=", "v1.2.3", "A_B", "a/b.c-d",
	"app.kubernetes.io/managed-by", "${X}", "{{inputs.parameters.x}}", "\x7f", "\u2028", "a\u00a0b",
	"{ a: 'b' }", "[1, 2]", `{"k":"it's"}`, "{a}  ", "[x]\t", "{ü}", "[", "{", "{}", "[]", "{'':''}", `["a\"b"]`,
	"[x] #c", "{a: b}: c", "[--- ]", `{"helm":"a: 1\nb: 2"}`,
	"2", "10", "0", "007", "0123", "99999999999999999999999", "1.2", "1.", "1..2", "1.2.", ".1.2", "1.2.3", "1.2.3.4", "01.02.03",
	"1.2.3a", "1.2.3-rc.1", "1.2.3 ", "12.0.0",
}

var trickyKeys = []string{"a", "b", "B", "_a", "a_b", "aB", "a.b", "a/b", "a-b", "ab", "name", "value", "apiVersion",
	"kind", "app.kubernetes.io/name", "x1", "x10", "x2", "yes", "on", "1", "a b", "", "Z", "z"}

func randomValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(10); {
	case depth < 3 && n < 2:
		m := map[string]any{}
		for range r.IntN(5) {
			m[trickyKeys[r.IntN(len(trickyKeys))]] = randomValue(r, depth+1)
		}
		return m
	case depth < 3 && n < 4:
		l := []any{}
		for range r.IntN(4) {
			l = append(l, randomValue(r, depth+1))
		}
		return l
	case n == 4:
		return r.IntN(2) == 0
	case n == 5:
		return []float64{float64(r.IntN(5000)) / 4, 3600, 604800, 1e6, 1e21, 123456789, -0.5, 1e-7, 0}[r.IntN(9)]
	default:
		return trickyStrings[r.IntN(len(trickyStrings))]
	}
}

func TestFastYAMLMatchesYAMLv3OnRandomTrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	covered := 0
	for i := range 20000 {
		m := map[string]any{}
		for range 1 + r.IntN(6) {
			m[trickyKeys[r.IntN(len(trickyKeys))]] = randomValue(r, 0)
		}
		got, want, ok := fastAndV3(t, m)
		if !ok {
			continue
		}
		covered++
		if got != want {
			t.Fatalf("tree %d: fast YAML differs from yaml.v3:\n%q\nwant:\n%q", i, got, want)
		}
	}
	if covered < 2000 {
		t.Fatalf("only %d of 20000 random trees took the fast path", covered)
	}
	t.Logf("%d of 20000 random trees compared", covered)
}

// TestScalarsMatchYAMLv3: every tricky string and number, alone as a value, encodes as
// yaml.v3 does wherever the fast path takes it.
func TestScalarsMatchYAMLv3(t *testing.T) {
	values := []any{3600.0, 604800.0, 1e6, 1e21, 123456789.0, -0.5, 1e-7, 0.0, 2.5}
	for _, s := range trickyStrings {
		values = append(values, s)
	}
	fast := 0
	for _, v := range values {
		got, want, ok := fastAndV3(t, map[string]any{"k": v})
		if !ok {
			continue
		}
		fast++
		if got != want {
			t.Errorf("%#v: fast YAML %q, yaml.v3 %q", v, got, want)
		}
	}
	if fast < len(values)*3/4 {
		t.Errorf("only %d of %d scalars took the fast path", fast, len(values))
	}
}

// fastAndV3 encodes m with the fast encoder (ok false when it steps aside) and yaml.v3.
func fastAndV3(t *testing.T, m map[string]any) (got, want string, ok bool) {
	t.Helper()
	w, err := encodeYAMLv3(m)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := appendYAML(nil, m)
	return string(g), string(w), ok
}
