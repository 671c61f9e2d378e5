package config

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/appflowc/appflowc/diag"
)

// JSON files are read by the YAML parser (JSON is YAML 1.2), which keeps positions and
// shares every bound and check with YAML. Where the two differ:
//   - RFC 8259 writes a character beyond the Basic Multilingual Plane as a UTF-16
//     surrogate pair ("\ud83d\udd53", what Python's json.dump writes for an emoji), which
//     YAML refuses ("invalid Unicode character escape code");
//   - JSON has "\/" for a slash, which YAML does not know;
//   - a JSON string may hold raw characters YAML refuses as unprintable (DEL, C1
//     controls, U+FFFE, bytes that are not UTF-8) or reads as line breaks (NEL, U+2028,
//     U+2029);
//   - JSON allows a tab between tokens, YAML not where it could be indentation.
//
// yamlSafeJSON rewrites each into what YAML reads as the same: a pair into YAML's
// 8-digit escape ("\U0001F553"), a lone surrogate or a byte that is not UTF-8 into
// U+FFFD (what encoding/json makes of it), "\/" into "/", a character into its escape,
// a tab between tokens into a space. A rewrite changes the length of its line:
// columnShifts gives every later position its column in the file.

// columnShift is a rewrite on one line: positions at or after Col (in the rewritten
// text) lie Delta columns further right in the file (left if negative).
type columnShift struct{ Col, Delta int }

// columnShifts are the rewrites by line.
type columnShifts map[int][]columnShift

// yamlSafeJSON rewrites the strings of valid JSON data as YAML reads them.
func yamlSafeJSON(data []byte) ([]byte, columnShifts) {
	if !needsRewrite(data) {
		return data, nil
	}
	out := make([]byte, 0, len(data)+16)
	shifts := columnShifts{}
	line, lineStart := 1, 0 // lineStart: where the line begins in out
	// put writes repl for a piece of the file that is fileRunes columns wide.
	put := func(repl string, fileRunes int) {
		out = append(out, repl...)
		if d := fileRunes - utf8.RuneCountInString(repl); d != 0 {
			shifts[line] = append(shifts[line], columnShift{Col: utf8.RuneCount(out[lineStart:]) + 1, Delta: d})
		}
	}
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			out = append(out, c)
			line, lineStart = line+1, len(out)
			i++
		case c == '"':
			inString = !inString
			out = append(out, c)
			i++
		case !inString && c == '\t':
			out = append(out, ' ') // JSON whitespace; YAML refuses a tab before a token at the start of a line
			i++
		case !inString:
			out = append(out, c)
			i++
		case c == '\\' && i+1 < len(data) && data[i+1] == '/':
			put("/", 2)
			i += 2
		case c == '\\' && i+1 < len(data) && data[i+1] == 'u':
			r1, _ := hex4(data, i+2)
			if !utf16.IsSurrogate(r1) {
				out = append(out, data[i:i+6]...)
				i += 6
				continue
			}
			if r2, ok := hex4(data, i+8); ok && data[i+6] == '\\' && data[i+7] == 'u' {
				if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
					put(fmt.Sprintf(`\U%08X`, r), 12)
					i += 12
					continue
				}
			}
			put(`\uFFFD`, 6) // a lone surrogate
			i += 6
		case c == '\\':
			out = append(out, data[i:i+2]...) // an escape of two characters
			i += 2
		default:
			r, size := utf8.DecodeRune(data[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				put(`\uFFFD`, 1)
			case r == 0x7f || (r >= 0x80 && r <= 0x9f):
				put(fmt.Sprintf(`\x%02X`, r), 1)
			case r == 0xfffe || r == 0xffff || r == 0x2028 || r == 0x2029: // the last two: line breaks to YAML
				put(fmt.Sprintf(`\u%04X`, r), 1)
			default:
				out = append(out, data[i:i+size]...)
			}
			i += size
		}
	}
	return out, shifts
}

// needsRewrite reports whether data may hold what yamlSafeJSON rewrites: a "\/" or
// "\uD..." escape, a tab, or a byte that is not printable ASCII.
func needsRewrite(data []byte) bool {
	for i, c := range data {
		if c >= 0x7f || c == '\t' || (c == '\\' && i+2 < len(data) && (data[i+1] == '/' || data[i+1] == 'u' && (data[i+2] == 'd' || data[i+2] == 'D'))) {
			return true
		}
	}
	return false
}

// hex4 reads the four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// pos is p as it is in the file.
func (s columnShifts) pos(p diag.Pos) diag.Pos {
	col := p.Col
	for _, sh := range s[p.Line] {
		if col >= sh.Col {
			p.Col += sh.Delta
		}
	}
	return p
}

// apply moves the positions of nodes and diagnostics back to the file's columns.
func (s columnShifts) apply(nodes []*Node, errs diag.List) {
	if len(s) == 0 {
		return
	}
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		n.Pos = s.pos(n.Pos)
		for _, f := range n.Fields {
			f.KeyPos = s.pos(f.KeyPos)
			walk(f.Value)
		}
		for _, it := range n.Items {
			walk(it)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	for i := range errs {
		errs[i].Pos = s.pos(errs[i].Pos)
	}
}
