package cli

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// liveRun is a workflow whose deploy step succeeded on its second attempt and whose
// verify step is running; names carry what a hostile API server could put there.
func liveRun(name, phase string) *unstructured.Unstructured {
	node := func(id, display, typ, ph string, children ...any) map[string]any {
		return map[string]any{"id": id, "name": id, "displayName": display, "type": typ, "phase": ph, "children": children}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": name},
		"status": map[string]any{"phase": phase, "progress": "2/4", "startedAt": "2026-11-30T12:00:00Z",
			"nodes": map[string]any{
				name: node(name, name, "Steps", phase, "g0"),
				"g0": node("g0", "[0]", "StepGroup", "Succeeded", "d"),
				"d":  node("d", "deploy", "Retry", "Succeeded", "d0", "d1"),
				"d0": node("d0", "deploy(0)", "Pod", "Failed"),
				"d1": node("d1", "deploy(1)", "Pod", "Succeeded", "g1"),
				"g1": node("g1", "[1]", "StepGroup", "Running", "v"),
				"v":  node("v", evil, "Pod", "Running"),
			}}}}
}

// TestLiveView: the view counts a retried step once, escapes the cluster's text, fits
// each line in the terminal's width, and erases what it drew before drawing again.
func TestLiveView(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out, painter{}, func() (int, int) { return 60, 20 }, []string{"run"})
	v.now = func() time.Time { return time.Date(2026, 11, 30, 12, 1, 2, 0, time.UTC) }
	v.update(liveRun("run", "Running"))
	first := out.String()
	for _, want := range []string{"run  Running  [##########----------]  1/2  1m2s", "  ✔ deploy", "    ✖ deploy(0)", "    ✔ deploy(1)", "● " + evilShown[:10]} {
		if !strings.Contains(first, want) {
			t.Errorf("view lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "\x1b]0;") || strings.Contains(first, "\r\n") || strings.Contains(first, "fake-row\n") {
		t.Errorf("cluster text reached the terminal unescaped:\n%q", first)
	}
	for _, l := range strings.Split(strings.TrimSuffix(first, "\n"), "\n") {
		if n := len([]rune(strings.NewReplacer("\x1b[K", "", "\x1b[0m", "").Replace(l))); n > 60 {
			t.Errorf("line of %d columns on a 60-column terminal: %q", n, l)
		}
	}
	drawn := strings.Count(first, "\n")
	// An attempt that a later one made good is in the tree, not reported as the failure.
	if strings.Contains(first, "failed:") {
		t.Errorf("an overcome attempt is reported as the run's failure:\n%s", first)
	}
	out.Reset()
	fmt := v.logs(&out)
	fmt.Write([]byte("deploy: a log line\n"))
	if got := out.String(); !strings.HasPrefix(got, "\r\x1b["+strconv.Itoa(drawn)+"A\x1b[J"+"deploy: a log line\n") {
		t.Errorf("a log line does not replace the view and redraw it:\n%q", got)
	}
	// A finished run: counts add up, and end leaves the view on screen.
	out.Reset()
	done := liveRun("run", "Succeeded")
	nodes := done.Object["status"].(map[string]any)["nodes"].(map[string]any)
	nodes["v"].(map[string]any)["phase"] = "Succeeded"
	v.update(done)
	v.end()
	if got := out.String(); !strings.Contains(got, "Succeeded  [####################]  2/2") {
		t.Errorf("a succeeded run's counts do not add up:\n%s", got)
	}
	out.Reset()
	v.tick()
	if out.Len() != 0 {
		t.Errorf("the view drew after it ended: %q", out.String())
	}
}

// A terminal too small for the tree keeps the last steps and says how many are above.
func TestLiveViewSmallTerminal(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out, painter{}, func() (int, int) { return 80, 5 }, []string{"run"})
	v.update(liveRun("run", "Running"))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) > 4 || !strings.Contains(out.String(), "steps above") {
		t.Errorf("on a 5-row terminal the view is %d lines:\n%s", len(lines), out.String())
	}
}

// The first failed step and its message stay on screen while the run goes on.
func TestLiveViewKeepsTheFailure(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out, painter{}, func() (int, int) { return 120, 30 }, []string{"run"})
	u := liveRun("run", "Running")
	nodes := u.Object["status"].(map[string]any)["nodes"].(map[string]any)
	d := nodes["d"].(map[string]any)
	d["phase"], d["children"] = "Failed", []any{"d0"}
	nodes["d0"].(map[string]any)["message"] = "exit code 3"
	v.update(u)
	if !strings.Contains(out.String(), "✖ failed: deploy(0): exit code 3\x1b[K\n") {
		t.Errorf("the failure is not kept at the bottom of the view:\n%s", out.String())
	}
}

// columns is how many terminal columns s takes once our escape sequences are dropped:
// East Asian wide characters and emoji take two, combining marks none (what a terminal
// does; the ranges are those the tests use).
func columns(s string) int {
	s = liveMoves.ReplaceAllString(ourColours.ReplaceAllString(s, ""), "")
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me):
		case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
			r >= 0xf900 && r <= 0xfaff, r >= 0xff00 && r <= 0xff60, r >= 0x1f300 && r <= 0x1f64f,
			r >= 0x1f900 && r <= 0x1f9ff, r >= 0x20000 && r <= 0x3fffd:
			n += 2
		default:
			n++
		}
	}
	return n
}

// wideRun is liveRun whose running step and workflow name are wide characters and
// emoji, each taking two columns of a terminal.
func wideRun(name string) *unstructured.Unstructured {
	u := liveRun(name, "Running")
	nodes := u.Object["status"].(map[string]any)["nodes"].(map[string]any)
	nodes["v"].(map[string]any)["displayName"] = strings.Repeat("部署🚀", 30)
	nodes["d0"].(map[string]any)["message"] = strings.Repeat("失敗", 40)
	return u
}

// TestLiveViewWideCharacters: a step named in CJK or emoji takes two columns per
// character; a line cut by counting runes is twice the width, wraps, and the next
// draw's erase misses rows (the view creeps down the screen on every redraw).
func TestLiveViewWideCharacters(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out, painter{on: true}, func() (int, int) { return 40, 20 }, []string{"wf-部署部署部署部署部署部署部署部署部署部署部署"})
	v.update(wideRun("wf-部署部署部署部署部署部署部署部署部署部署部署"))
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if n := columns(l); n > 40 {
			t.Errorf("a line of %d columns on a 40-column terminal (it wraps; the next erase misses a row): %q", n, l)
		}
	}
}

// TestLiveViewUnknownSize: a terminal that reports 0x0 (a serial console, a pty nobody
// sized: docker exec -t, script, CI runners) or a width of 1 or 2 still gets lines that
// fit: 0 is "unknown" (as the error case, 80x24), a tiny width cuts to it.
func TestLiveViewUnknownSize(t *testing.T) {
	for _, size := range [][2]int{{0, 0}, {1, 24}, {2, 24}, {0, 24}} {
		var out bytes.Buffer
		v := newLiveView(&out, painter{}, func() (int, int) { return size[0], size[1] }, []string{"run"})
		u := liveRun("run", "Running")
		nodes := u.Object["status"].(map[string]any)["nodes"].(map[string]any)
		nodes["v"].(map[string]any)["displayName"] = strings.Repeat("long-step-name-", 20)
		v.update(u)
		limit := size[0]
		if limit == 0 {
			limit = 80
		}
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if n := columns(l); n > limit {
				t.Errorf("%dx%d terminal: a line of %d columns: %q", size[0], size[1], n, l)
				break
			}
		}
	}
}

// TestLiveViewTinyHeight: on a terminal of 2 to 4 rows the view draws at least 4 lines
// (max(height-1, 4)): they scroll, the cursor-up of the next erase stops at the top row,
// and every redraw leaves the scrolled-off lines behind in the scrollback.
func TestLiveViewTinyHeight(t *testing.T) {
	for h := 2; h <= 4; h++ {
		var out bytes.Buffer
		v := newLiveView(&out, painter{}, func() (int, int) { return 80, h }, []string{"run"})
		v.update(liveRun("run", "Running"))
		if n := strings.Count(out.String(), "\n"); n > h-1 {
			t.Errorf("a %d-row terminal: the view is %d lines (more than %d scroll away):\n%s", h, n, h-1, out.String())
		}
	}
}
