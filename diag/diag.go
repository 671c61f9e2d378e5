// Package diag holds positioned, user-facing diagnostics: what is wrong, where, and how to fix it.
package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/appflowc/appflowc/internal/safetext"
)

// Pos is a position in a user's input file. Line and Col are 1-based; zero means unknown.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether p names a file.
func (p Pos) IsValid() bool { return p.File != "" }

// Diagnostic is one problem in a user's config or in what it renders to.
type Diagnostic struct {
	Pos Pos `json:"pos"`
	// Path is the dotted config path of the field, e.g. "applications.web.source.repoURL".
	Path string `json:"path"`
	// Msg says what is wrong.
	Msg string `json:"message"`
	// Hint says how to fix it; empty when the message says it already.
	Hint string `json:"hint,omitempty"`
	// Related are other places involved, such as the second definition of a conflicting value.
	Related []Pos `json:"related,omitempty"`
}

// String formats the diagnostic as "file:line:col: path: message (hint)".
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// List is a set of diagnostics. It implements error so that library functions can
// return it through ordinary error chains and the CLI can format it at the edge.
type List []Diagnostic

func (l List) Error() string {
	s := make([]string, len(l))
	for i, d := range l {
		s[i] = d.String()
	}
	return strings.Join(s, "\n")
}

// Add appends a diagnostic.
func (l *List) Add(pos Pos, path, msg, hint string) {
	*l = append(*l, Diagnostic{Pos: pos, Path: path, Msg: msg, Hint: hint})
}

// Sort orders diagnostics by file, line, column, path, message and hint, and drops exact
// duplicates, so that output is stable whatever order the checks ran in. The hint is part
// of the order so that duplicates end up side by side, where they are dropped.
func (l List) Sort() List {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Msg != b.Msg {
			return a.Msg < b.Msg
		}
		return a.Hint < b.Hint
	})
	out := l[:0]
	for i, d := range l {
		if i > 0 && d.String() == l[i-1].String() {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Err returns l as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// WriteText writes one diagnostic per line. A diagnostic quotes the user's input (a
// value, a key, a name from a Jsonnet import or a CUE error), which is untrusted: every
// field is printed with safetext's rule, so no control character, line break or bidi
// override reaches the terminal and one diagnostic is always one line. JSON (WriteJSON)
// stays exact.
func (l List) WriteText(w io.Writer) error {
	for _, d := range l {
		d.Pos.File = safetext.Escape(d.Pos.File)
		d.Path, d.Msg, d.Hint = safetext.Escape(Elide(d.Path)), safetext.Escape(Elide(d.Msg)), safetext.Escape(Elide(d.Hint))
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	return nil
}

// Report is the stable JSON shape of `vet -o json` (documented in docs/vet-json.md).
type Report struct {
	// Version of this JSON schema; bumped only on incompatible change.
	Version int `json:"version"`
	// OK is true when there are no errors.
	OK bool `json:"ok"`
	// Summary is the one-line human summary.
	Summary string       `json:"summary"`
	Errors  []Diagnostic `json:"errors"`
}

// WriteJSON writes l as a Report.
func (l List) WriteJSON(w io.Writer, summary string) error {
	r := Report{Version: 1, OK: len(l) == 0, Summary: summary, Errors: make([]Diagnostic, len(l))}
	for i, d := range l {
		d.Path, d.Msg, d.Hint = Elide(d.Path), Elide(d.Msg), Elide(d.Hint)
		r.Errors[i] = d
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// maxWord is the longest run without a space that a diagnostic prints in full.
const maxWord = 200

// Elide shortens every run of more than maxWord characters without a space (a key or
// value of a hostile config can be megabytes, and it recurs in the path of every error
// under it) to its first and last characters and its length: a diagnostic stays a
// readable line.
func Elide(s string) string {
	if len(s) <= maxWord {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		word := s[:i]
		if utf8.RuneCountInString(word) > maxWord {
			// The head says what it is, the tail keeps its closing quote or colon.
			head, tail := 0, len(word)
			for n := 0; n < maxWord/2; n++ {
				_, size := utf8.DecodeRuneInString(word[head:])
				head += size
			}
			for n := 0; n < 4; n++ {
				_, size := utf8.DecodeLastRuneInString(word[:tail])
				tail -= size
			}
			fmt.Fprintf(&b, "%s…(%d bytes)…%s", word[:head], len(word), word[tail:])
		} else {
			b.WriteString(word)
		}
		if i < len(s) {
			b.WriteByte(' ')
			i++
		}
		s = s[i:]
	}
	return b.String()
}
