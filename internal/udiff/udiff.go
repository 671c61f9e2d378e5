// Package udiff prints unified diffs of texts: render --check's drift and diff's changes.
package udiff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Unified returns a unified diff (3 lines of context) of two texts. The line diff
// comes from go-diff; go-diff prints no unified format, so hunks are assembled here.
func Unified(from, to, a, b string) string {
	if a == b {
		return ""
	}
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	type line struct {
		op   diffmatchpatch.Operation
		text string
	}
	var ls []line
	for _, d := range diffs {
		text := strings.TrimSuffix(d.Text, "\n")
		for _, t := range strings.Split(text, "\n") {
			ls = append(ls, line{d.Type, t})
		}
	}
	const ctx = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", from, to)
	for i := 0; i < len(ls); {
		if ls[i].op == diffmatchpatch.DiffEqual {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for j := i; j < len(ls); j++ {
			if ls[j].op != diffmatchpatch.DiffEqual {
				end = j
				continue
			}
			if j-end > 2*ctx {
				break
			}
		}
		end = min(end+ctx+1, len(ls))
		aStart, bStart := 1, 1
		for _, l := range ls[:start] {
			if l.op != diffmatchpatch.DiffInsert {
				aStart++
			}
			if l.op != diffmatchpatch.DiffDelete {
				bStart++
			}
		}
		aLen, bLen := 0, 0
		var h strings.Builder
		for _, l := range ls[start:end] {
			switch l.op {
			case diffmatchpatch.DiffEqual:
				aLen++
				bLen++
				h.WriteString(" " + l.text + "\n")
			case diffmatchpatch.DiffDelete:
				aLen++
				h.WriteString("-" + l.text + "\n")
			case diffmatchpatch.DiffInsert:
				bLen++
				h.WriteString("+" + l.text + "\n")
			}
		}
		if aLen == 0 {
			aStart--
		}
		if bLen == 0 {
			bStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", aStart, aLen, bStart, bLen, h.String())
		i = end
	}
	return out.String()
}
