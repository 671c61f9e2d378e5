package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPosString(t *testing.T) {
	for _, c := range []struct {
		p    Pos
		want string
	}{
		{Pos{}, "-"},
		{Pos{File: "a.yaml"}, "a.yaml"},
		{Pos{File: "a.yaml", Line: 3}, "a.yaml:3"},
		{Pos{File: "a.yaml", Line: 3, Col: 7}, "a.yaml:3:7"},
		{Pos{Line: 3, Col: 7}, "-"}, // no file: the line says nothing
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.p, got, c.want)
		}
		if c.p.IsValid() != (c.p.File != "") {
			t.Errorf("%#v: IsValid %v", c.p, c.p.IsValid())
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	p := Pos{File: "a.yaml", Line: 2, Col: 5}
	for _, c := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: p, Path: "applications.web", Msg: "bad", Hint: "fix it"}, "a.yaml:2:5: applications.web: bad (fix it)"},
		{Diagnostic{Pos: p, Msg: "bad"}, "a.yaml:2:5: bad"},
		{Diagnostic{Msg: "bad", Hint: "h"}, "-: bad (h)"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}

// TestSortOrdersAndDedups: by file, line, column, path, message, whatever the order the
// checks ran in; exact repeats once.
func TestSortOrdersAndDedups(t *testing.T) {
	d := func(file string, line, col int, path, msg string) Diagnostic {
		return Diagnostic{Pos: Pos{File: file, Line: line, Col: col}, Path: path, Msg: msg}
	}
	want := List{
		d("a.yaml", 1, 9, "x", "m"),
		d("a.yaml", 2, 1, "x", "m"),
		d("a.yaml", 2, 3, "a", "z"),
		d("a.yaml", 2, 3, "b", "a"),
		d("a.yaml", 2, 3, "b", "b"),
		d("b.cue", 1, 1, "", "m"),
	}
	in := List{want[4], want[5], want[2], want[0], want[4], want[3], want[1], want[5]}
	if got := in.Sort(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sorted:\n%v\nwant:\n%v", got, want)
	}
	// Same place and text but another hint is another diagnostic.
	h := d("a.yaml", 1, 1, "p", "m")
	h2 := h
	h2.Hint = "other"
	if got := (List{h, h2, h}).Sort(); len(got) != 2 {
		t.Errorf("kept %d of two distinct diagnostics: %v", len(got), got)
	}
}

func TestListAsError(t *testing.T) {
	var l List
	if l.Err() != nil {
		t.Fatal("an empty list is an error")
	}
	l.Add(Pos{File: "a.yaml", Line: 1, Col: 2}, "p", "first", "")
	l.Add(Pos{File: "b.yaml"}, "", "second", "do this")
	err := fmt.Errorf("vet: %w", l.Err())
	var back List
	if !errors.As(err, &back) || len(back) != 2 {
		t.Fatalf("the list does not come back through an error chain: %v", err)
	}
	if got, want := l.Error(), "a.yaml:1:2: p: first\nb.yaml: second (do this)"; got != want {
		t.Errorf("Error() %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := l.WriteText(&b); err != nil || b.String() != l.Error()+"\n" {
		t.Errorf("WriteText %q %v", b.String(), err)
	}
}

// TestWriteJSON holds the report's field names and what is left out when empty (docs/vet-json.md).
func TestWriteJSON(t *testing.T) {
	l := List{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 4}, Path: "applications.web", Msg: "bad", Hint: "fix", Related: []Pos{{File: "b.cue", Line: 1, Col: 1}}},
		{Pos: Pos{File: "c.yaml"}, Msg: "no line"},
	}
	var b bytes.Buffer
	if err := l.WriteJSON(&b, "2 errors"); err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "ok": false,
  "summary": "2 errors",
  "errors": [
    {
      "pos": {
        "file": "a.yaml",
        "line": 3,
        "col": 4
      },
      "path": "applications.web",
      "message": "bad",
      "hint": "fix",
      "related": [
        {
          "file": "b.cue",
          "line": 1,
          "col": 1
        }
      ]
    },
    {
      "pos": {
        "file": "c.yaml"
      },
      "path": "",
      "message": "no line"
    }
  ]
}
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	// No errors: ok, and an empty list rather than null (jq '.errors[]' must not fail).
	b.Reset()
	if err := List(nil).WriteJSON(&b, "ok: 1 file"); err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if errs, ok := r["errors"].([]any); !ok || len(errs) != 0 || r["ok"] != true || r["version"] != 1.0 {
		t.Errorf("clean report: %s", b.String())
	}
}

// TestWriteTextEscapes: a diagnostic quotes untrusted input; text output shows control
// characters, line breaks and bidi overrides escaped (one diagnostic, one line), and JSON
// keeps them exact.
func TestWriteTextEscapes(t *testing.T) {
	l := List{{Pos: Pos{File: "a\x1b[2J.yaml", Line: 1}, Path: "x\ny", Msg: "bad \x1b]0;title\x07 value\r\n--- fake", Hint: "fix \u202e"}}
	var b strings.Builder
	if err := l.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\x1b\x07\r\u202e") {
		t.Fatalf("raw control characters reached text output: %q", out)
	}
	var j strings.Builder
	if err := l.WriteJSON(&j, "s"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `bad \u001b]0;title\u0007 value\r\n--- fake`) {
		t.Fatalf("JSON is not exact: %s", j.String())
	}
}

// TestElide: a run longer than maxWord keeps its first maxWord/2 characters (whole runes)
// and says how long it was; shorter runs and the spaces between them are untouched.
func TestElide(t *testing.T) {
	long := strings.Repeat("日", 300) // 900 bytes
	got := Elide("a.b." + long + ": unknown field " + strings.Repeat("x", 200))
	want := "a.b." + strings.Repeat("日", 96) + "…(905 bytes)…日日日:" + " unknown field " + strings.Repeat("x", 200)
	if got != want {
		t.Errorf("Elide:\n got %q\nwant %q", got, want)
	}
	if s := "short message with words"; Elide(s) != s {
		t.Errorf("Elide(%q) = %q", s, Elide(s))
	}
}
