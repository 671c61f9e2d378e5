package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Terminal output. Colour and progress go only to terminals: never into pipes or files
// (CI logs, `| less`), and not with --no-color, NO_COLOR or TERM=dumb. Colour comes from
// fatih/color. YAML is highlighted by a small lexer of our own: chroma, the usual choice,
// adds ~27 ms of package init to every run (measured: its lexers and styles register at
// start-up), which a pre-commit vet cannot afford.

// colorful reports whether w is a terminal that wants colour.
func colorful(cmd *cobra.Command, w io.Writer) bool {
	if off, _ := cmd.Flags().GetBool("no-color"); off {
		return false
	}
	if getenv(cmd.Context(), "NO_COLOR") != "" || getenv(cmd.Context(), "TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// painter colours with fatih/color when on is true, else returns text unchanged.
type painter struct{ on bool }

func (p painter) with(text string, attrs ...color.Attribute) string {
	if !p.on {
		return text
	}
	c := color.New(attrs...)
	c.EnableColor() // fatih/color decides for stdout; we decided for our writer
	return c.Sprint(text)
}

// phase colours a workflow phase.
func (p painter) phase(s string) string {
	switch s {
	case "Succeeded":
		return p.with(s, color.FgGreen)
	case "Failed", "Error":
		return p.with(s, color.FgRed)
	case "Running":
		return p.with(s, color.FgYellow)
	case "Pending":
		return p.with(s, color.Faint)
	}
	return s
}

// writeYAML writes a YAML stream, highlighted when p is on: comments faint, keys cyan,
// document markers bold. Values stay as they are (their quoting is data).
func (p painter) writeYAML(w io.Writer, text string) error {
	if !p.on {
		_, err := io.WriteString(w, text)
		return err
	}
	bw := bufio.NewWriter(w)
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimRight(line, "\n")
		nl := line[len(body):]
		trimmed := strings.TrimLeft(body, " ")
		indent := body[:len(body)-len(trimmed)]
		switch {
		case strings.HasPrefix(trimmed, "#"):
			bw.WriteString(indent + p.with(trimmed, color.Faint))
		case trimmed == "---":
			bw.WriteString(p.with(trimmed, color.Bold))
		default:
			lead := ""
			if strings.HasPrefix(trimmed, "- ") {
				lead, trimmed = "- ", trimmed[2:]
			}
			if k, rest, ok := cutKey(trimmed); ok {
				bw.WriteString(indent + lead + p.with(k, color.FgCyan) + rest)
			} else {
				bw.WriteString(body)
			}
		}
		bw.WriteString(nl)
	}
	return bw.Flush()
}

// cutKey splits "key: value" (or "key:") at the mapping colon of a plain key.
func cutKey(s string) (key, rest string, ok bool) {
	if s == "" || strings.ContainsAny(s[:1], `"'{[|>&*!%@`+"`") {
		return "", "", false
	}
	i := strings.Index(s, ":")
	if i <= 0 || (i+1 < len(s) && s[i+1] != ' ') {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// progress shows "label…" with a spinner on a terminal once work has taken a while
// (progressDelay), and erases it when done. Elsewhere it writes nothing.
type progress struct {
	stop chan struct{}
	done sync.WaitGroup
}

// defaultProgressDelay keeps quick runs (a pre-commit vet) free of a spinner that would
// only flicker: one shows for work a user would start to wonder about.
const defaultProgressDelay = time.Second

type progressDelayKey struct{}

// withProgressDelay sets how long a run's work goes before its progress shows: tests
// set 0 to see it at once instead of hoping their work lasts long enough.
func withProgressDelay(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, progressDelayKey{}, d)
}

func progressDelay(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(progressDelayKey{}).(time.Duration); ok {
		return d
	}
	return defaultProgressDelay
}

func startProgress(cmd *cobra.Command, w io.Writer, label string) *progress {
	p := &progress{stop: make(chan struct{})}
	if !colorful(cmd, w) {
		return p
	}
	delay := progressDelay(cmd.Context())
	frames := []string{"|", "/", "-", `\`}
	start, shown := time.Now(), false
	draw := func(i int) {
		shown = true
		fmt.Fprintf(w, "\r%s %s (%s)", frames[i%len(frames)], label, time.Since(start).Round(time.Second))
	}
	if delay <= 0 {
		draw(0) // here, not in the goroutine: shown even if the work ends before it runs
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-p.stop:
				if shown {
					fmt.Fprint(w, "\r\x1b[K")
				}
				return
			case <-tick.C:
				if time.Since(start) >= delay {
					draw(i)
				}
			}
		}
	}()
	return p
}

func (p *progress) Stop() {
	close(p.stop)
	p.done.Wait()
}
