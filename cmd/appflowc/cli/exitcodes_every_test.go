package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// everyCommand lists each command with a valid command line; TestEveryCommandsExitCodes
// runs each into every failure its kind can have. A new command is one line here:
// {name: "retry", args: []string{"retry", "x"}, cluster: true}.
// In args, CFG is a valid config (replaced by a bad or a missing one for those cases),
// DIR a fresh directory, OUT a fresh output directory.
var everyCommand = []struct {
	args []string
	// cluster: it talks to a cluster (unreachable, no kubeconfig: 2).
	cluster bool
	// config: it reads a config (a config with errors: 1; a missing path: 2).
	config bool
	// offlineOK: it succeeds with no cluster (0).
	offlineOK bool
}{
	{args: []string{"vet", "CFG"}, config: true, offlineOK: true},
	{args: []string{"render", "CFG", "-o", "OUT"}, config: true, offlineOK: true},
	{args: []string{"render", "CFG", "-o", "OUT", "--check"}, config: true},
	{args: []string{"graph", "CFG"}, config: true, offlineOK: true},
	{args: []string{"graph", "--workflow", "x"}, cluster: true},
	{args: []string{"diff", "CFG"}, cluster: true, config: true},
	{args: []string{"apply", "CFG"}, cluster: true, config: true},
	{args: []string{"apply", "CFG", "--preflight=false"}, cluster: true, config: true},
	{args: []string{"submit", "app", "web", "--repo-url", "https://x.example.com", "--path", "p", "--namespace", "web"}, cluster: true},
	{args: []string{"submit", "app", "web", "--repo-url", "https://x.example.com", "--path", "p", "--namespace", "web", "--print"}, offlineOK: true},
	{args: []string{"list"}, cluster: true},
	{args: []string{"status", "x"}, cluster: true},
	{args: []string{"logs", "x"}, cluster: true},
	{args: []string{"delete", "x"}, cluster: true},
	{args: []string{"templates", "list"}, cluster: true},
	{args: []string{"templates", "get", "x"}, cluster: true},
	{args: []string{"templates", "delete", "x"}, cluster: true},
	{args: []string{"templates", "create", "CFG"}, cluster: true, config: true},
	{args: []string{"retry", "x"}, cluster: true},
	{args: []string{"resubmit", "x"}, cluster: true},
	{args: []string{"stop", "x"}, cluster: true},
	{args: []string{"terminate", "x"}, cluster: true},
	{args: []string{"suspend", "x"}, cluster: true},
	{args: []string{"resume", "x"}, cluster: true},
	{args: []string{"wait", "x"}, cluster: true},
	{args: []string{"watch", "x"}, cluster: true},
	{args: []string{"install", "CFG"}, cluster: true, config: true},
	{args: []string{"install", "CFG", "--print"}, config: true, offlineOK: true},
	{args: []string{"explain", "applications"}, offlineOK: true},
	{args: []string{"init", "DIR"}, offlineOK: true},
	{args: []string{"config", "view"}, offlineOK: true},
	{args: []string{"version"}, offlineOK: true},
	{args: []string{"ui", "CFG"}, config: true},
	{args: []string{"completion", "bash"}, offlineOK: true},
}

// moreExitCodes are the failures particular to one command.
var moreExitCodes = []struct {
	args []string
	want int
}{
	{[]string{"render", "CFG", "-o", "ELSEWHERE", "--check"}, ExitFailed}, // drift
	{[]string{"render", "CFG"}, ExitUsage},                                // no -o
	{[]string{"graph", "CFG", "--entry", "nope"}, ExitUsage},
	{[]string{"graph", "CFG", "--workflow", "x"}, ExitUsage},
	{[]string{"submit", "app", "web", "--repo-url", "http://x.example.com", "--path", "p", "--namespace", "web", "--print"}, ExitFailed}, // the config the flags build is invalid
	{[]string{"submit", "app", "web"}, ExitFailed},                                                                                       // the flags are the config: a missing field is a config error
	{[]string{"submit", "nosuch"}, ExitUsage},
	{[]string{"templates", "nosuch"}, ExitUsage},
	{[]string{"config", "nosuch"}, ExitUsage},
	{[]string{"templates"}, ExitOK}, // its help
	{[]string{"explain", "nope"}, ExitUsage},
	{[]string{"explain", "a", "b"}, ExitUsage},
	{[]string{"init", "FILE"}, ExitUsage},
	{[]string{"version", "extra"}, ExitUsage},
	{[]string{"delete"}, ExitUsage},
	{[]string{"retry"}, ExitUsage}, // no name, no -l, no --all
	{[]string{"watch"}, ExitUsage},
	{[]string{"wait"}, ExitUsage},
	{[]string{"status"}, ExitUsage},
	{[]string{"completion", "nosuchshell"}, ExitUsage},
	{[]string{"nosuchcommand"}, ExitUsage},
	{[]string{"ui", "CFG", "--kubeconfig", "MISSING"}, ExitUsage},
	{[]string{"list", "-o", "nope"}, ExitUsage},
}

// TestEveryCommandsExitCodes enforces the exit-code table (exitCodesHelp, README) on
// every command: 0 when it succeeds offline, 1 for a config with errors, 2 for a bad
// flag, a missing input, no kubeconfig or an unreachable cluster, 130 when interrupted.
// (1 for a failed or deleted Workflow: TestFollowEndsWhenTheRunEnds and the apply
// end-to-end tests.)
func TestEveryCommandsExitCodes(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	for p, s := range map[string]string{
		filepath.Join(good, "a.yaml"): "applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n",
		filepath.Join(bad, "a.yaml"):  "applications:\n  web: {source: {repoURL: 'http://x.example.com', path: p}, destination: {namespace: web}}\n",
		filepath.Join(dir, "file"):    "not a directory\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kc, _ := closedPortKubeconfig(t)
	n := 0
	// expand fills in the placeholders; every OUT and DIR is new.
	expand := func(args []string, cfg string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			n++
			switch a {
			case "CFG":
				a = cfg
			case "OUT", "DIR":
				a = filepath.Join(dir, "new", strings.ToLower(a)+"-"+strconv.Itoa(n))
			case "ELSEWHERE":
				a = filepath.Join(dir, "never-rendered")
			case "FILE":
				a = filepath.Join(dir, "file")
			case "MISSING":
				a = filepath.Join(dir, "missing")
			}
			out[i] = a
		}
		return out
	}
	// check runs args and wants exit code want. Failures of everyCommand's modes write
	// nothing to stdout: no data came, and diagnostics belong on stderr.
	check := func(t *testing.T, ctx context.Context, env, args []string, want int) {
		t.Helper()
		code, out, errOut := runIn(ctx, env, args...)
		if code != ExitOK && out != "" && !strings.Contains(t.Name(), "/more:") {
			t.Errorf("appflowc %s: exit %d, and stdout:\n%s", strings.Join(args, " "), code, out)
		}
		if code != want {
			t.Errorf("appflowc %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
		}
		if code != ExitOK && code != ExitInterrupted && !strings.Contains(errOut, "appflowc: ") {
			t.Errorf("appflowc %s: exit %d without saying why on stderr:\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	env := func(t *testing.T) []string {
		return testEnv(t, "APPFLOWC_CONFIG="+filepath.Join(dir, "no-user-config.yaml"), "KUBECONFIG="+kc)
	}
	for _, c := range everyCommand {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ctx := context.Background()
			if c.offlineOK {
				check(t, ctx, env(t), expand(c.args, good), ExitOK)
			}
			check(t, ctx, env(t), append(expand(c.args, good), "--no-such-flag"), ExitUsage)
			if c.config {
				check(t, ctx, env(t), expand(c.args, bad), ExitFailed)
				check(t, ctx, env(t), expand(c.args, filepath.Join(dir, "missing")), ExitUsage)
			}
			if c.cluster {
				check(t, ctx, env(t), expand(c.args, good), ExitUsage) // KUBECONFIG: a closed port
				home := t.TempDir()                                    // no kubeconfig at all
				check(t, ctx, []string{"HOME=" + home, "APPFLOWC_NO_CACHE=1", "APPFLOWC_CONFIG=" + filepath.Join(home, "none.yaml")}, expand(c.args, good), ExitUsage)
			}
			if c.cluster || c.config {
				cancelled, cancel := context.WithCancel(ctx)
				cancel()
				check(t, cancelled, env(t), expand(c.args, good), ExitInterrupted)
			}
		})
	}
	for _, c := range moreExitCodes {
		t.Run("more: "+strings.Join(c.args, " "), func(t *testing.T) {
			check(t, context.Background(), env(t), expand(c.args, good), c.want)
		})
	}
}
