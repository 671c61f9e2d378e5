package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"
	"golang.org/x/text/width"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/safetext"
)

// liveView is the terminal view of followed workflows, redrawn in place as argo watch
// redraws its tree: per workflow its phase, a progress bar, step counts and elapsed time;
// the step tree (one workflow) and the first failed step with its message, kept on
// screen. Log lines written through logs() scroll above it.
//
// No terminal UI library: what is needed is "erase the lines drawn, draw again" (two
// escape sequences) under a mutex shared with the log writer. bubbletea, the usual
// choice, takes over stdin in raw mode (Ctrl-C then reaches it, not our handler) and its
// renderer adds start-up work to every command; tview/tcell the same, full screen.
type liveView struct {
	mu    sync.Mutex
	w     io.Writer
	p     painter
	size  func() (width, height int)
	now   func() time.Time
	order []string
	wfs   map[string]*unstructured.Unstructured
	drawn int // lines on screen from the last draw
	ended bool
}

func newLiveView(w io.Writer, p painter, size func() (int, int), names []string) *liveView {
	return &liveView{w: w, p: p, size: size, now: time.Now, order: slices.Clone(names), wfs: map[string]*unstructured.Unstructured{}}
}

// update records a workflow's new state and redraws.
func (v *liveView) update(u *unstructured.Unstructured) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.wfs[u.GetName()] = u.DeepCopy()
	v.draw()
}

// tick redraws (elapsed time moves on without events).
func (v *liveView) tick() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.draw()
}

// end draws the last state and leaves it on screen: what follows is printed below it.
func (v *liveView) end() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.draw()
	v.ended = true
	v.drawn = 0
}

// logs is a writer whose lines appear above the view.
func (v *liveView) logs(w io.Writer) io.Writer { return &aboveView{v: v, w: w} }

type aboveView struct {
	v *liveView
	w io.Writer
}

func (a *aboveView) Write(p []byte) (int, error) {
	a.v.mu.Lock()
	defer a.v.mu.Unlock()
	a.v.erase()
	n, err := a.w.Write(p)
	a.v.draw()
	return n, err
}

func (v *liveView) erase() {
	if v.drawn > 0 {
		// Up to the first line drawn, column 0, and erase to the end of the screen.
		fmt.Fprintf(v.w, "\r\x1b[%dA\x1b[J", v.drawn)
		v.drawn = 0
	}
}

func (v *liveView) draw() {
	if v.ended {
		return
	}
	v.erase()
	width, height := v.size()
	if width <= 0 || height <= 0 {
		// A terminal that reports no size (a pty nobody sized: docker exec -t, script,
		// some CI runners) is taken as the usual 80x24.
		width, height = 80, 24
	}
	// One row stays free: a view as tall as the screen scrolls it, and the next erase
	// could not reach the first line.
	lines := v.lines(max(height-1, 1))
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(fitWidth(l, width))
		b.WriteString("\x1b[K\n")
	}
	io.WriteString(v.w, b.String())
	v.drawn = len(lines)
}

// lines is the view, at most maxLines long. Every text in it from the cluster is escaped
// (safetext) before it is placed: a step name cannot move the cursor.
func (v *liveView) lines(maxLines int) []string {
	now := v.now()
	var out []string
	for _, name := range v.order {
		u := v.wfs[name]
		if u == nil {
			out = append(out, safetext.Field(name, safetext.MaxField)+"  "+v.p.phase("Pending"))
			continue
		}
		out = append(out, v.header(u, now))
	}
	var tree, failure []string
	if len(v.order) == 1 {
		if u := v.wfs[v.order[0]]; u != nil {
			if st := apply.StatusOf(u); st.Nodes != nil {
				tree = v.tree(*st.Nodes, "  ", nil)
			}
		}
	}
	for _, name := range v.order {
		if u := v.wfs[name]; u != nil {
			if step, msg := apply.FirstFailure(u); step != "" {
				l := v.p.with("✖", color.FgRed) + " failed: " + safetext.Field(apply.ShortStep(step), 128)
				if msg != "" {
					l += ": " + safetext.Field(msg, safetext.MaxField)
				}
				if len(v.order) > 1 {
					l = safetext.Field(name, safetext.MaxField) + ": " + l
				}
				failure = append(failure, l)
			}
		}
	}
	room := maxLines - len(out) - len(failure)
	if room < len(tree) {
		// Keep the end of the tree: the steps running now and the latest results.
		if room <= 1 {
			tree = nil
		} else {
			hidden := len(tree) - (room - 1)
			tree = append([]string{fmt.Sprintf("  … %d steps above", hidden)}, tree[hidden:]...)
		}
	}
	out = append(out, tree...)
	out = append(out, failure...)
	if len(out) > maxLines {
		out = append(out[:maxLines-1], fmt.Sprintf("… %d more lines", len(out)-maxLines+1))
	}
	return out
}

// header is "NAME  Phase  [#####-----]  3/5  1m02s".
func (v *liveView) header(u *unstructured.Unstructured, now time.Time) string {
	s := apply.SummaryOf(u)
	line := safetext.Field(s.Name, safetext.MaxField) + "  " + v.p.phase(safetext.Field(s.Phase, 64))
	if done, total, ok := apply.StepProgress(u); ok {
		line += "  " + bar(done, total, 20) + fmt.Sprintf("  %d/%d", done, total)
	}
	if d := s.Duration(now); d > 0 {
		line += "  " + d.String()
	}
	return line
}

func bar(done, total, width int) string {
	if total <= 0 {
		return ""
	}
	full := done * width / total
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + "]"
}

// tree is the step tree under the workflow's root, a mark per phase; step and task
// groups fold into their children, as argo does.
func (v *liveView) tree(n apply.StepStatus, indent string, out []string) []string {
	for _, c := range n.Children {
		if c.Type == "StepGroup" || c.Type == "TaskGroup" {
			out = v.tree(c, indent, out)
			continue
		}
		out = append(out, indent+v.mark(c.Phase)+" "+safetext.Field(apply.ShortStep(c.Name), 128))
		out = v.tree(c, indent+"  ", out)
	}
	return out
}

func (v *liveView) mark(phase string) string {
	switch phase {
	case "Succeeded":
		return v.p.with("✔", color.FgGreen)
	case "Failed", "Error":
		return v.p.with("✖", color.FgRed)
	case "Running":
		return v.p.with("●", color.FgYellow)
	case "Skipped", "Omitted":
		return "-"
	}
	return "○"
}

// fitWidth cuts a line to the terminal's width, less one column, so that it takes one
// row: a wrapped line would make the erase of the next draw miss a row. Columns are
// counted as a terminal counts them: East Asian wide characters and emoji take two,
// combining marks none (golang.org/x/text/width has Unicode's East Asian Width table);
// our colour sequences take none.
func fitWidth(s string, width int) string {
	room := width - 1
	cols := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := strings.IndexByte(s[i:], 'm')
			if j < 0 {
				return s[:i]
			}
			i += j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w := runeColumns(r)
		if cols+w > room {
			return s[:i] + "\x1b[0m"
		}
		cols += w
		i += size
	}
	return s
}

// runeColumns is how many columns a terminal gives r.
func runeColumns(r rune) int {
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
