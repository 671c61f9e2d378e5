package config

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestJSONPerRFC8259: a .json file is read as RFC 8259 says, surrogate pairs included
// (what Python's json.dump writes for characters beyond the BMP), a lone surrogate as
// U+FFFD (as encoding/json), and positions after a rewritten pair are the file's.
func TestJSONPerRFC8259(t *testing.T) {
	const app = `"source": {"repoURL": "https://x.example.com", "chart": "c", "targetRevision": "1.0.0"}, "destination": {"namespace": "web"}`
	tree, err := load(t, map[string]string{"a.json": `{"applications": {"web": {` + app + `,
  "helm": {"values": {"clock": "\ud83d\udd53 at \uD83D\uDD54", "lone": "\ud83d!", "slash": "a\/b", "kept": "\\ud83d", "quote": "\"\ud83d\udd53\""}}}}}`})
	if err != nil {
		t.Fatal(err)
	}
	vals := tree.Root.Get("applications").Get("web").Get("helm").Get("values")
	for key, want := range map[string]string{"clock": "🕓 at 🕔", "lone": "\uFFFD!", "slash": "a/b", "kept": `\ud83d`, "quote": `"🕓"`} {
		if got := vals.Get(key); got == nil || got.Str != want {
			t.Errorf("%s = %v, want %q", key, got, want)
		}
	}
	// An error after two pairs on one line is at the file's column.
	line := `{"applications": {"web": {` + app + `, "labels": {"a": "\ud83d\udd53", "s": "a\/b", "b": "\ud83d\udd54"}}}}`
	tree, err = load(t, map[string]string{"a.json": line})
	if err == nil {
		_, err = Decode(tree)
	}
	col := strings.Index(line, `"\ud83d\udd54"`) + 1
	if err == nil || !strings.Contains(err.Error(), "cfg/a.json:1:"+strconv.Itoa(col)+": applications.web.labels.b:") {
		t.Errorf("want the error at column %d:\n%v", col, err)
	}
}

// FuzzJSONReadsAsJSON: every valid JSON document reads as encoding/json reads it.
func FuzzJSONReadsAsJSON(f *testing.F) {
	for _, s := range []string{`{"a": "\ud83d\udd53"}`, `["\/", "\\/", "\ud83d", "\udd53\ud83d"]`, `{"k\ud83d\udd53": {"x": [1, 2.5, true, null]}}`, "{\"a\": \"\u2028\u0085\x7f\"}", `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || len(data) > 4096 {
			return
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			return
		}
		fixed, _ := yamlSafeJSON(data)
		nodes, errs := parseYAML("f.json", fixed, 100)
		if len(errs) == 1 && errs[0].Msg == "integer out of range" {
			return // refused on purpose: it would reach Helm as a float (outOfRange)
		}
		if len(errs) > 0 {
			t.Fatalf("valid JSON %q refused: %v", data, errs)
		}
		if len(nodes) != 1 {
			t.Fatalf("%q: %d documents", data, len(nodes))
		}
		got, _ := json.Marshal(nodes[0].Interface())
		exp, _ := json.Marshal(want)
		if !bytes.Equal(normNumbers(got), normNumbers(exp)) {
			t.Fatalf("%q reads as %s, want %s", data, got, exp)
		}
	})
}

// normNumbers re-reads JSON with numbers as float64, so 1, 1.0 and -0 and 0 compare
// equal.
func normNumbers(b []byte) []byte {
	var v any
	_ = json.Unmarshal(b, &v)
	var norm func(v any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case float64:
			if x == 0 {
				return 0.0
			}
		case map[string]any:
			for k, e := range x {
				x[k] = norm(e)
			}
		case []any:
			for i, e := range x {
				x[i] = norm(e)
			}
		}
		return v
	}
	out, _ := json.Marshal(norm(v))
	return out
}
