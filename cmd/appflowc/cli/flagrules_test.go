package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagRulesComeFirst: a command line that breaks a flag rule is refused (exit 2, the
// rule said) before any work: with no kubeconfig at all, and with a config full of
// errors, the rule is what is reported.
func TestFlagRulesComeFirst(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "a.yaml"), []byte("applications:\n  web: {nope: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir() // no kubeconfig
	env := []string{"HOME=" + home, "APPFLOWC_NO_CACHE=1", "APPFLOWC_CONFIG=" + filepath.Join(home, "none.yaml")}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--running", "--completed"}, "--running and --completed exclude each other"},
		{[]string{"list", "--running", "--older", "1d"}, "--older selects finished workflows"},
		{[]string{"list", "--cron", "--phase", "Failed"}, "--phase is for workflows"},
		{[]string{"list", "--cron", "--since", "1h"}, "--since is for workflows"},
		{[]string{"apply", bad, "--select", "applications/web", "-l", "team=a"}, "use --select or -l, not both"},
		{[]string{"apply", bad, "--watch", "--dry-run"}, "cannot be used with --dry-run"},
		{[]string{"render", bad, "-o", "-", "--check"}, "--check compares with a directory"},
		{[]string{"render", bad, "-o", "yaml"}, "render's -o is a directory, not a format"},
		{[]string{"render", bad, "-o", bad}, ""}, // the output would hold the config
		{[]string{"graph", bad, "--workflow", "x"}, "give a config or --workflow, not both"},
	} {
		code, out, errOut := runIn(context.Background(), env, c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "unknown field") || strings.Contains(errOut, "kubeconfig") {
			t.Errorf("appflowc %s: exit %d, want 2 saying %q first\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), code, c.want, out, errOut)
		}
	}
}
