package render

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// appendYAML appends v (a pruned JSON value tree) to b exactly as yaml.v3 with a 2-space
// indent encodes it, without yaml.v3's reflection and emitter: a third of a 10,000-app
// render went there. It covers what rendered objects are made of and reports ok=false for
// anything else (keys with digits, whose order yaml.v3 sorts numerically; multi-line
// strings, which become block scalars; lists directly in lists), so the caller falls back
// to yaml.v3 for that object. A differential test holds it to yaml.v3's bytes.
func appendYAML(b []byte, m map[string]any) ([]byte, bool) {
	return appendMap(b, m, 0, false)
}

func appendMap(b []byte, m map[string]any, indent int, firstInline bool) ([]byte, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !plainKey(k) {
			return b, false
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, keyCompare) // sort.Slice's reflection allocated per call
	for i, k := range keys {
		var ok bool
		if b, ok = appendPair(b, k, m[k], indent, i > 0 || !firstInline); !ok {
			return b, false
		}
	}
	return b, true
}

// appendPair writes "key: value" of a block mapping, on a new indented line unless
// it continues a list item's "- ".
func appendPair(b []byte, k string, v any, indent int, newLine bool) ([]byte, bool) {
	if newLine {
		b = appendIndent(b, indent)
	}
	b = append(b, k...)
	b = append(b, ':')
	return appendValue(b, v, indent)
}

// appendValue writes what follows "key:" (a space and a scalar, or a newline and a block).
func appendValue(b []byte, v any, indent int) ([]byte, bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return append(b, " {}\n"...), true
		}
		b = append(b, '\n')
		return appendMap(b, x, indent+2, false)
	case []any:
		if len(x) == 0 {
			return append(b, " []\n"...), true
		}
		b = append(b, '\n')
		return appendList(b, x, indent+2)
	case fields:
		if len(x) == 0 {
			return append(b, " {}\n"...), true
		}
		b = append(b, '\n')
		return appendFields(b, x, indent+2, false)
	}
	b = append(b, ' ')
	b, ok := appendScalar(b, v)
	return append(b, '\n'), ok
}

func appendList(b []byte, l []any, indent int) ([]byte, bool) {
	for _, item := range l {
		b = appendIndent(b, indent)
		b = append(b, "- "...)
		var ok bool
		switch x := item.(type) {
		case map[string]any:
			if len(x) == 0 {
				b = append(b, "{}\n"...)
				continue
			}
			b, ok = appendMap(b, x, indent+2, true)
		case fields:
			if len(x) == 0 {
				b = append(b, "{}\n"...)
				continue
			}
			b, ok = appendFields(b, x, indent+2, true)
		case []any:
			return b, false
		default:
			b, ok = appendScalar(b, x)
			b = append(b, '\n')
		}
		if !ok {
			return b, false
		}
	}
	return b, true
}

func appendIndent(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// yamlWords are the plain words yaml.v3 quotes: those that resolve to bool or null, and
// the YAML 1.1 booleans it quotes for older parsers.
var yamlWords = map[string]bool{
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"null": true, "Null": true, "NULL": true,
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

func appendScalar(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		switch {
		case x == "":
			return append(b, `""`...), true
		case yamlWords[x]:
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"'), true
		case plainString(x):
			return append(b, x...), true
		case (x[0] == '{' || x[0] == '[') && printableASCII(x):
			// JSON parameter values: a leading flow indicator rules out plain style, and a
			// one-line printable string is single-quoted ('' for ').
			b = append(b, '\'')
			b = append(b, strings.ReplaceAll(x, "'", "''")...)
			return append(b, '\''), true
		case allDigits(x):
			// An integer if plain: yaml.v3 double-quotes it.
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"'), true
		case dottedNumbers(x):
			// A version such as 1.3.0: no YAML number, date or indicator; plain.
			return append(b, x...), true
		}
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) { // yaml.v3's floatv
			return strconv.AppendFloat(b, x, 'g', -1, 64), true
		}
	case bool:
		if x {
			return append(b, "true"...), true
		}
		return append(b, "false"...), true
	}
	// Anything else: yaml.v3's own rendering of the lone scalar, which is the same in a
	// block mapping or sequence as long as it stays on one line.
	out, err := yaml.Marshal(v)
	if err != nil {
		return b, false
	}
	out = bytes.TrimSuffix(out, []byte("\n"))
	if len(out) == 0 || bytes.ContainsAny(out, "\n") || out[0] == '|' || out[0] == '>' {
		return b, false
	}
	return append(b, out...), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true // s is not empty here
}

// dottedNumbers: three or more runs of digits joined by single dots (1.3.0, 10.0.0.1).
func dottedNumbers(s string) bool {
	runs := strings.Split(s, ".")
	if len(runs) < 3 {
		return false
	}
	for _, r := range runs {
		if r == "" || !allDigits(r) {
			return false
		}
	}
	return true
}

// plainString: starts with a letter (so never a number, timestamp or indicator), and holds
// only characters that never need quoting in block context; or an URL of such characters.
func plainString(s string) bool {
	if !isASCIILetter(s[0]) {
		return false
	}
	if i := strings.Index(s, "://"); i > 0 {
		if !simpleChars(s[:i], "+.-") || !simpleChars(s[i+3:], "._/~%-") || strings.HasSuffix(s, ":") {
			return false
		}
		return true
	}
	return simpleChars(s, "._/-")
}

// plainKey: a plain string without digits (yaml.v3 orders digit runs numerically) that
// yaml.v3 would not quote.
func plainKey(k string) bool {
	return k != "" && !yamlWords[k] && isASCIILetter(k[0]) && simpleChars(k, "._/-") &&
		!strings.ContainsFunc(k, unicode.IsDigit)
}

func simpleChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && !strings.ContainsRune(extra, rune(c)) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// keyCompare is keyLess as a comparison.
func keyCompare(a, b string) int {
	switch {
	case keyLess(a, b):
		return -1
	case keyLess(b, a):
		return 1
	}
	return 0
}

// keyLess is yaml.v3's key order for digit-free keys: letters compare as runes; where a
// letter meets a non-letter, the non-letter sorts first; other characters compare as
// runes; a prefix sorts first.
func keyLess(a, b string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] == b[i] {
			continue
		}
		al, bl := isASCIILetter(a[i]), isASCIILetter(b[i])
		if al != bl {
			return bl
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}
