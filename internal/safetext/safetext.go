// Package safetext makes text that came from a cluster safe to print in text output:
// control characters are shown escaped, bidirectional overrides made visible, and
// lengths bounded. Structured output (-o json|yaml) never goes through it.
package safetext

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxField bounds a field printed with Fprintf when no tighter bound applies: enough for
// any name or a long message, not enough for a megabyte label to flood a terminal.
const MaxField = 1024

// Ellipsis ends a field that was cut.
const Ellipsis = "…"

// escape returns how r is shown, and whether it must be escaped at all. The forms follow
// kubectl's printers where they exist (ESC as ^[, CR as \r), caret notation for the other
// C0 controls and DEL (as cat -v), <U+XXXX> for the invisible ones beyond ASCII that can
// reorder or break lines (C1 controls, bidi overrides and isolates, line separators), and
// \xNN for bytes that are not UTF-8 (a lone 0x9b is CSI to some terminals).
func escape(r rune, keepTab bool) (string, bool) {
	switch {
	case r == '\t' && keepTab:
		return "", false
	case r == '\t':
		return `\t`, true
	case r == '\n':
		return `\n`, true
	case r == '\r':
		return `\r`, true
	case r < 0x20:
		return "^" + string(rune(r+'@')), true
	case r == 0x7f:
		return "^?", true
	case r < 0x80:
		return "", false
	case r >= 0x80 && r <= 0x9f, isBidi(r), unicode.In(r, unicode.Zl, unicode.Zp):
		return fmt.Sprintf("<U+%04X>", r), true
	}
	return "", false
}

// isBidi reports the explicit directional formatting characters (Unicode TR9): they make
// text display in an order other than the one it has (Trojan Source, CVE-2021-42574).
func isBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// needs reports whether s has anything to escape (the common case is no).
func needs(s string, keepTab bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			if c == '\t' && keepTab {
				continue
			}
			return true
		}
	}
	return false
}

// Escape shows s with every control character escaped (newlines and tabs too: one
// field stays on one line and in one column).
func Escape(s string) string { return bounded(s, -1, false) }

// Field is Escape bounded to limit characters of output (escapes count as what they show),
// ending in an ellipsis when cut; an escape is never cut in half.
func Field(s string, limit int) string { return bounded(s, limit, false) }

// Line shows one log line: as Escape, but tabs stay (they cannot move the cursor back or
// out of the line) and a final CR (a CRLF line end) is dropped.
func Line(s string) string {
	s = strings.TrimSuffix(s, "\r")
	if !needs(s, true) {
		return s
	}
	return bounded(s, -1, true)
}

func bounded(s string, limit int, keepTab bool) string {
	if limit < 1 {
		limit = -1
	}
	if limit < 0 && !needs(s, keepTab) {
		return s
	}
	if limit >= 0 && !needs(s, keepTab) && utf8.RuneCountInString(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0    // characters written
	fit := -1 // length of b when n last left room for an ellipsis
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var tok string
		if r == utf8.RuneError && size == 1 {
			tok = fmt.Sprintf(`\x%02x`, s[i])
		} else if e, ok := escape(r, keepTab); ok {
			tok = e
		} else {
			tok = s[i : i+size]
		}
		if limit >= 0 && n <= limit-1 {
			fit = b.Len()
		}
		n += utf8.RuneCountInString(tok)
		if limit >= 0 && n > limit {
			// Cut at a token boundary: an escape is shown whole or not at all.
			return b.String()[:max(fit, 0)] + Ellipsis
		}
		b.WriteString(tok)
		i += size
	}
	return b.String()
}

// Fprintf formats like fmt.Fprintf, where format is appflowc's own text and every
// argument came from the cluster: strings, errors and Stringers are shown with Field
// (bounded by MaxField); numbers, booleans and durations are printed as they are.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, safeArgs(args)...)
}

// Fprintln is Fprintf's fmt.Fprintln.
func Fprintln(w io.Writer, args ...any) (int, error) {
	return fmt.Fprintln(w, safeArgs(args)...)
}

// Sprintf is Fprintf's fmt.Sprintf.
func Sprintf(format string, args ...any) string {
	return fmt.Sprintf(format, safeArgs(args)...)
}

func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = Field(v, MaxField)
		case error:
			out[i] = Field(v.Error(), MaxField)
		case fmt.Stringer:
			out[i] = Field(v.String(), MaxField)
		case []string:
			s := make([]string, len(v))
			for j := range v {
				s[j] = Field(v[j], MaxField)
			}
			out[i] = s
		default:
			out[i] = a
		}
	}
	return out
}
