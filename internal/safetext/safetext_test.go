package safetext

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"app-web-x7k2p":         "app-web-x7k2p",
		"\x1b]0;pwned\x07title": "^[]0;pwned^Gtitle",
		"\x1b[2J\x1b[Hclear":    "^[[2J^[[Hclear",
		"fake\nrow":             `fake\nrow`,
		"over\rwrite":           `over\rwrite`,
		"back\bspace\x7f":       "back^Hspace^?",
		"tab\there":             `tab\there`,
		"nul\x00":               "nul^@",
		"c1 \u009b31m csi":      "c1 <U+009B>31m csi",
		"bidi \u202egnp.exe":    "bidi <U+202E>gnp.exe",
		"isolate \u2066x\u2069": "isolate <U+2066>x<U+2069>",
		"line\u2028sep":         "line<U+2028>sep",
		"bad utf8 \x9b[2J":      `bad utf8 \x9b[2J`,
		"ünïcode, 日本語 and emoji 🚀 stay": "ünïcode, 日本語 and emoji 🚀 stay",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoControlSurvives: whatever the input, the output has no byte a terminal acts on
// and no bidi control, and is valid UTF-8.
func TestNoControlSurvives(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	all.WriteString("\xff\xfe\x9b\x1b")
	for _, out := range []string{Escape(all.String()), Field(all.String(), 100), Line(all.String())} {
		if !utf8.ValidString(out) {
			t.Errorf("invalid UTF-8 in %q", out[:min(len(out), 80)])
		}
		for _, r := range out {
			if (r < 0x20 && r != '\t') || (r >= 0x7f && r <= 0x9f) || isBidi(r) || r == 0x2028 || r == 0x2029 {
				t.Fatalf("%U survived", r)
			}
		}
	}
}

func TestField(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit int
		want  string
	}{
		{"0123456789abcdef", 12, "0123456789a…"},
		{"0123456789ab", 12, "0123456789ab"},
		{"0123456789a\x1b", 12, "0123456789a…"}, // ^[ does not fit whole: not cut in half
		{"012345678\x1b", 12, "012345678^["},
		{"0123456789\x1b]0;x", 12, "0123456789…"},
		{"\x1b\x1b\x1b\x1b\x1b\x1b\x1b", 6, "^[^[…"},
		{"日本語日本語", 4, "日本語…"},
		{"short", 0, "short"},
	} {
		got := Field(c.in, c.limit)
		if got != c.want {
			t.Errorf("Field(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
		if c.limit > 0 && utf8.RuneCountInString(got) > c.limit {
			t.Errorf("Field(%q, %d) = %q: longer than the limit", c.in, c.limit, got)
		}
	}
}

func TestLine(t *testing.T) {
	if got, want := Line("a\tb\x1b[31mred\r"), "a\tb^[[31mred"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	long := strings.Repeat("x", 1<<20)
	if got := Line(long); got != long {
		t.Error("a long log line was cut")
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestFprintf(t *testing.T) {
	var b bytes.Buffer
	Fprintf(&b, "%s\t%d\t%v\t%s\t%v\n", "name\x1b[2J", 3, errors.New("boom\nfake: line"), stringer("\a"), []string{"a\rb"})
	if got, want := b.String(), "name^[[2J\t3\tboom\\nfake: line\t^G\t[a\\rb]\n"; got != want {
		t.Errorf("Fprintf = %q, want %q", got, want)
	}
	if got := Sprintf("%s", strings.Repeat("y", 5000)); utf8.RuneCountInString(got) != MaxField || !strings.HasSuffix(got, Ellipsis) {
		t.Errorf("Sprintf of a long field: %d characters", utf8.RuneCountInString(got))
	}
}
