package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeepInputNeverCrashes feeds a million levels of nesting, in every format, to the
// real binary (a stack overflow kills a Go process outright, so only a separate process
// can show it does not happen): each must be a diagnostic at the file and exit 1 — with
// the default bound and with the bound raised as far as it goes — never a goroutine dump.
func TestDeepInputNeverCrashes(t *testing.T) {
	const n = 1_000_000
	open, close := strings.Repeat("[", n), strings.Repeat("]", n)
	inputs := map[string]string{
		"flow.yaml":      "applications: " + open + close + "\n",
		"doc.json":       `{"applications": ` + open + close + "}\n",
		"brackets.cue":   "applications: " + open + close + "\n",
		"labels.cue":     strings.Repeat("a: ", n) + "1\napplications: {}\n",
		"deep.jsonnet":   "{ applications: " + open + close + " }\n",
		"parens.jsonnet": "{ applications: " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " }\n",
	}
	for name, src := range inputs {
		for _, depth := range []string{"", "1000"} {
			t.Run(name+"/max-depth="+depth, func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(t.TempDir(), "cfg")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				args := []string{"vet", dir}
				if depth != "" {
					args = append(args, "--max-depth", depth)
				}
				// Not a speed target: a guard so that a hang fails instead of stalling.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, "appflowc", args...)
				cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "APPFLOWC_NO_CACHE=1")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := cmd.ProcessState.ExitCode()
				if ctx.Err() != nil {
					t.Fatalf("still running after 2 minutes")
				}
				for _, crash := range []string{"goroutine ", "fatal error", "panic:", "stack overflow"} {
					if strings.Contains(stderr.String()+stdout.String(), crash) {
						t.Fatalf("crashed (%v):\n%.2000s", err, stderr.String())
					}
				}
				if code != 1 || !strings.Contains(stdout.String(), filepath.Join(dir, name)+":") || !strings.Contains(stdout.String(), "nest") {
					t.Fatalf("exit %d, want 1 with a nesting diagnostic at the file:\n%.1000s\n%.1000s", code, stdout.String(), stderr.String())
				}
			})
		}
	}
}
