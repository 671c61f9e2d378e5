package config

import (
	"fmt"

	"github.com/appflowc/appflowc/diag"
)

// syntax selects how nestingDepth reads strings and comments.
type syntax int

const (
	syntaxYAML    syntax = iota // YAML and JSON: flow collections; '…', "…" and # comments
	syntaxCUE                   // CUE: "…", """…""", #"…"#, '…' and // comments
	syntaxJsonnet               // Jsonnet: "…", '…', @"…", |||…||| and //, #, /* */ comments
)

// checkNesting finds where brackets ({, [, () nest deeper than max in data, outside
// strings and comments, before any parser sees it: the parsers and evaluators appflowc
// uses recurse per level, and some (go-jsonnet's) without a limit, so that a few hundred
// kilobytes of brackets would overflow the Go stack, which no recover() can catch. It is
// a scan, not a parse: it errs only toward reporting deep input, and real configs nest
// far below the bound. YAML's indentation nesting is bounded after parsing (fromYAML).
func checkNesting(name string, data []byte, syn syntax, max int) *diag.Diagnostic {
	depth, line, col := 0, 1, 1
	// CUE also nests without brackets: "a: b: c: 1" is three levels. chain counts the
	// labels of the field being read at this bracket level; outer levels' are stacked.
	chain, chains := 0, []int(nil)
	tooDeep := func() *diag.Diagnostic {
		return &diag.Diagnostic{Pos: diag.Pos{File: name, Line: line, Col: col},
			Msg:  fmt.Sprintf("values nest more than %d levels deep", max),
			Hint: "flatten the structure, or raise the bound with --max-depth"}
	}
	i := 0
	// skip moves past data[i:end], keeping line and col.
	skip := func(end int) {
		for end = min(end, len(data)); i < end; i++ {
			if data[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
	for i < len(data) {
		c := data[i]
		switch {
		case c == '{' || c == '[' || c == '(':
			depth++
			chains, chain = append(chains, chain), 0
			if depth+sum(chains) > max {
				return tooDeep()
			}
		case c == '}' || c == ']' || c == ')':
			if depth > 0 {
				depth--
			}
			if n := len(chains); n > 0 {
				chains, chain = chains[:n-1], chains[n-1]
			}
		case syn == syntaxCUE && c == ':':
			chain++
			if depth+sum(chains)+chain > max {
				return tooDeep()
			}
		case syn == syntaxCUE && (c == '\n' || c == ','):
			chain = 0
		case c == '#' && syn == syntaxYAML && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'),
			c == '#' && syn == syntaxJsonnet,
			c == '/' && syn != syntaxYAML && hasAt(data, i, "//"):
			skip(indexFrom(data, i, "\n")) // a line comment
			continue
		case c == '/' && syn == syntaxJsonnet && hasAt(data, i, "/*"):
			skip(indexFrom(data, i+2, "*/") + 2)
			continue
		case c == '|' && syn == syntaxJsonnet && hasAt(data, i, "|||"):
			skip(indexFrom(data, i+3, "|||") + 3)
			continue
		case c == '"' && syn == syntaxCUE && hasAt(data, i, `"""`):
			skip(indexFrom(data, i+3, `"""`) + 3)
			continue
		case c == '"' || c == '\'' && syn != syntaxYAML || c == '\'' && syn == syntaxYAML && (i == 0 || !isWordByte(data[i-1])):
			// A quoted string, to its closing quote on the same line (a string left open is
			// the parser's to report); in YAML a quote inside a plain scalar (don't) is text.
			escapes := (c == '"' || syn != syntaxYAML) && !(syn == syntaxJsonnet && i > 0 && data[i-1] == '@')
			j := i + 1
			for j < len(data) && data[j] != c && data[j] != '\n' {
				if data[j] == '\\' && escapes {
					j++
				}
				j++
			}
			if j < len(data) && data[j] == c {
				j++
			}
			skip(j)
			continue
		}
		skip(i + 1)
	}
	return nil
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func hasAt(data []byte, i int, s string) bool {
	return len(data)-i >= len(s) && string(data[i:i+len(s)]) == s
}

// indexFrom is the index of s in data at or after from, or len(data).
func indexFrom(data []byte, from int, s string) int {
	for i := from; i+len(s) <= len(data); i++ {
		if hasAt(data, i, s) {
			return i
		}
	}
	return len(data)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
