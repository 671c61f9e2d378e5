package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/appflowc/appflowc/internal/benchgen"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

func TestYAMLHighlight(t *testing.T) {
	in := "# Rendered by appflowc\napiVersion: v1\nmetadata:\n  name: web\n  labels: {}\nspec:\n  - name: a\n    value: 'x: y'\n---\ndata: |\n  key: inside a block\n"
	var plain, lit bytes.Buffer
	if err := (painter{}).writeYAML(&plain, in); err != nil || plain.String() != in {
		t.Fatalf("off: %q %v", plain.String(), err)
	}
	if err := (painter{on: true}).writeYAML(&lit, in); err != nil {
		t.Fatal(err)
	}
	got := lit.String()
	for _, want := range []string{"\x1b[2m# Rendered by appflowc\x1b[22m\n", "\x1b[36mapiVersion\x1b[0m: v1\n", "  \x1b[36mname\x1b[0m: web\n",
		"  - \x1b[36mname\x1b[0m: a\n", "    \x1b[36mvalue\x1b[0m: 'x: y'\n", "\x1b[1m---\x1b[22m\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("highlighted YAML lacks %q:\n%q", want, got)
		}
	}
	if ansi.ReplaceAllString(got, "") != in {
		t.Errorf("highlighting changed the text:\n%q", ansi.ReplaceAllString(got, ""))
	}
}

// runOnTTY runs the CLI in env with stdout and stderr on a pseudo-terminal.
func runOnTTY(t *testing.T, ctx context.Context, env []string, args ...string) (string, int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err) // containers without /dev/ptmx
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, ptmx); close(done) }()
	code := RunEnv(ctx, args, env, tty, tty)
	tty.Close()
	<-done
	return out.String(), code
}

// TestTerminalOnlyExtras: colour and progress reach terminals, and nothing else; --no-color
// and NO_COLOR turn them off on terminals too.
func TestTerminalOnlyExtras(t *testing.T) {
	ctx, env := context.Background(), testEnv(t)
	small := filepath.Join(t.TempDir(), "small")
	if err := benchgen.Write(small, 3, "yaml"); err != nil {
		t.Fatal(err)
	}
	out, code := runOnTTY(t, ctx, env, "render", small, "-o", "-")
	if code != 0 || !strings.Contains(out, "\x1b[36mapiVersion\x1b[0m") {
		t.Fatalf("render -o - on a terminal is not highlighted (exit %d):\n%q", code, out[:min(len(out), 300)])
	}
	out, _ = runOnTTY(t, ctx, env, "render", small, "-o", "-", "--no-color")
	if strings.Contains(out, "\x1b[") {
		t.Error("--no-color: escapes on a terminal")
	}
	out, _ = runOnTTY(t, ctx, testEnv(t, "NO_COLOR=1"), "render", small, "-o", "-")
	if strings.Contains(out, "\x1b[") {
		t.Error("NO_COLOR: escapes on a terminal")
	}

	// Work that goes on shows a spinner on a terminal, erased at the end; in a pipe,
	// nothing. The delay before it shows is 0 here, so no timing decides.
	now := withProgressDelay(ctx, 0)
	out, code = runOnTTY(t, now, env, "vet", small)
	if code != 0 || !strings.Contains(out, "| checking (0s)") || !strings.Contains(out, "\r\x1b[K") {
		t.Errorf("no progress on a terminal (exit %d): %q", code, out[:min(len(out), 300)])
	}
	var o, e bytes.Buffer
	if code := RunEnv(now, []string{"vet", small}, env, &o, &e); code != 0 || strings.ContainsAny(o.String()+e.String(), "\r\x1b") {
		t.Errorf("piped vet wrote terminal bytes (exit %d): %q %q", code, o.String(), e.String())
	}
}
