// Package plural writes counts of things in English: "1 entry", "2 entries", "0 errors".
package plural

import (
	"strconv"
	"strings"
)

// N is n followed by noun, in the plural unless n is 1. The plural follows the regular
// English rules ("entry" → "entries", "process" → "processes", "error" → "errors"); in
// a phrase, its last word, the noun ("pre-flight problem" → "pre-flight problems").
func N(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + Noun(noun)
}

// Noun is the plural of noun (of its last word, when noun is a phrase such as
// "pre-flight problem").
func Noun(noun string) string {
	i := strings.LastIndexByte(noun, ' ') + 1
	head, w := noun[:i], noun[i:]
	lower := strings.ToLower(w)
	switch {
	case w == "":
		return noun
	case strings.HasSuffix(lower, "y") && len(w) > 1 && !strings.ContainsRune("aeiou", rune(lower[len(lower)-2])):
		return head + w[:len(w)-1] + "ies"
	case strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "x"), strings.HasSuffix(lower, "ch"), strings.HasSuffix(lower, "sh"):
		return head + w + "es"
	}
	return head + w + "s"
}
