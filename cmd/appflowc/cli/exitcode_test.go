package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestExitCodes pins the contract scripts and CI rely on: 0 clean, 1 the check failed
// (config errors for vet, drift for render --check), 2 usage or I/O errors.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	bad := filepath.Join(dir, "bad")
	out := filepath.Join(dir, "out")
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(good, "a.yaml"), "applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n")
	write(filepath.Join(bad, "a.yaml"), "applications:\n  web: {source: {repoURL: 'http://x.example.com', path: p}, destination: {namespace: web}}\n")
	env := testEnv(t)
	run := func(args ...string) int {
		var o, e bytes.Buffer
		return RunEnv(context.Background(), args, env, &o, &e)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"vet", good}, ExitOK},
		{[]string{"vet", bad}, ExitFailed},
		{[]string{"vet", filepath.Join(dir, "missing")}, ExitUsage},
		{[]string{"vet", "--no-such-flag", good}, ExitUsage},
		{[]string{"render", good, "-o", out}, ExitOK},
		{[]string{"render", good, "-o", out, "--check"}, ExitOK},
		{[]string{"render", good, "-o", filepath.Join(dir, "elsewhere"), "--check"}, ExitFailed},
		{[]string{"render", bad, "-o", out, "--check"}, ExitFailed},
		{[]string{"render", bad, "-o", out}, ExitFailed},
		{[]string{"ui", bad}, ExitFailed},
		{[]string{"ui", good, "--kubeconfig", filepath.Join(dir, "missing")}, ExitUsage},
	} {
		if got := run(c.args...); got != c.want {
			t.Errorf("appflowc %v: exit %d, want %d", c.args, got, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if got := RunEnv(ctx, []string{"render", good, "-o", filepath.Join(dir, "cancelled")}, env, &o, &e); got != ExitInterrupted {
		t.Errorf("cancelled render: exit %d, want %d (%s)", got, ExitInterrupted, e.String())
	}
}
