package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

// The cluster is untrusted: these tests run the CLI against internal/fakeapi, an API
// server that hangs, trickles, storms and lies on demand, piped and on a terminal.

// evil holds what a hostile API server (or anyone who may create a Workflow) can put in
// any field: an OSC that sets the window title, a clear-screen CSI, a colour, BEL, CR
// and a newline that would forge a row, a bidi override, a backspace and a lone C1 CSI.
const evil = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\nfake-row\u202egnp.exe\b\x9b"

// evilShown is how part of evil reads once escaped.
const evilShown = "^[]0;pwned^G^[[2J"

// cluster is a fake API server and a kubeconfig for it.
type cluster struct {
	*fakeapi.Server
	kubeconfig string
	env        []string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	s := fakeapi.Start()
	t.Cleanup(s.Close)
	home := t.TempDir()
	kc := filepath.Join(home, "kubeconfig")
	if err := s.WriteKubeconfig(kc); err != nil {
		t.Fatal(err)
	}
	return &cluster{Server: s, kubeconfig: kc, env: []string{"HOME=" + home, "APPFLOWC_CONFIG=" + filepath.Join(home, "none.yaml"),
		"APPFLOWC_NO_CACHE=1", "PATH=" + os.Getenv("PATH")}}
}

// args adds the kubeconfig (and, unless given, a short request timeout) to a command.
func (c *cluster) args(args ...string) []string {
	out := append([]string{}, args...)
	if !strings.Contains(strings.Join(args, " "), "--request-timeout") {
		out = append(out, "--request-timeout", "2s")
	}
	return append(out, "--kubeconfig", c.kubeconfig)
}

// run runs the CLI in-process, piped.
func (c *cluster) run(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := RunEnv(ctx, c.args(args...), c.env, &o, &e)
	return code, o.String(), e.String()
}

// runTTY runs the CLI in-process with stdout and stderr on a pseudo-terminal; the line
// discipline's CR LF reads as LF.
func (c *cluster) runTTY(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, ptmx); close(done) }()
	code := RunEnv(ctx, c.args(args...), c.env, tty, tty)
	tty.Close()
	<-done
	return code, strings.ReplaceAll(out.String(), "\r\n", "\n")
}

var ourColours = regexp.MustCompile("\x1b\\[[0-9;]*m")

// clean fails t if out holds a byte a terminal would act on, other than appflowc's own
// colours: no C0 control but newline and tab, no DEL, no C1, no bidi control.
func clean(t *testing.T, what, out string) {
	t.Helper()
	out = ourColours.ReplaceAllString(out, "")
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8:\n%q", what, out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("%s: raw %U reached the output:\n%q", what, r, out)
			return
		}
	}
}

func workflow(name string, status map[string]any) map[string]any {
	return map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"name": name, "namespace": "argo",
			"labels": map[string]any{"app.kubernetes.io/managed-by": "appflowc"}},
		"status": status}
}

// seedHostile fills the fake with a run whose every field is evil: names, labels,
// annotations, phase, progress, messages, node names, outputs, a pod's node-name
// annotation and its log; a CronWorkflow and a WorkflowTemplate too.
func seedHostile(c *cluster) {
	nodes := map[string]any{
		"wf-evil": map[string]any{"displayName": "wf-evil", "type": "Steps", "phase": "Failed", "children": []any{"sg"}, "message": evil,
			"outputs": map[string]any{"parameters": []any{map[string]any{"name": "sync" + evil, "value": evil}}}},
		"sg":       map[string]any{"displayName": "[0]" + evil, "type": "StepGroup", "boundaryID": "wf-evil", "phase": "Failed", "children": []any{"pod-node"}},
		"pod-node": map[string]any{"displayName": "deploy" + evil, "type": "Pod", "boundaryID": "wf-evil", "phase": "Failed" + evil, "message": evil},
	}
	wf := workflow("wf-evil", map[string]any{"phase": "Failed", "progress": "0/1" + evil, "message": evil, "nodes": nodes,
		"startedAt": "2026-01-02T03:04:05Z", "finishedAt": "2026-01-02T03:05:05Z"})
	md := wf["metadata"].(map[string]any)
	md["labels"].(map[string]any)["appflowc.dev/config"] = "web"
	md["annotations"] = map[string]any{"appflowc.dev/submitted-by": evil, "appflowc.dev/git-commit": "0123456789a" + evil, "appflowc.dev/git-dirty": "true"}
	c.Put("workflows", wf)
	c.Put("workflows", workflow("wf-name"+evil, map[string]any{"phase": "Running" + evil, "message": evil}))
	c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "wf-evil-1", "namespace": "argo",
			"labels":      map[string]any{"workflows.argoproj.io/workflow": "wf-evil"},
			"annotations": map[string]any{"workflows.argoproj.io/node-name": "wf-evil[0].deploy" + evil}},
		"status": map[string]any{"phase": "Failed"}})
	c.SetLog("argo", "wf-evil-1", "first "+evil+"\nsecond\ttabbed\r\n")
	c.Put("cronworkflows", map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
		"metadata": map[string]any{"name": "cron-evil", "namespace": "argo", "labels": map[string]any{"appflowc.dev/config": evil, "app.kubernetes.io/managed-by": "appflowc"}},
		"spec":     map[string]any{"schedules": []any{"0 * * * *" + evil}, "timezone": evil}})
	c.Put("workflowtemplates", map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "tmpl", "namespace": "argo", "annotations": map[string]any{"workflows.argoproj.io/description": evil}},
		"spec":     map[string]any{"arguments": map[string]any{"parameters": []any{map[string]any{"name": "p" + evil}}}}})
}

// TestClusterTextIsEscaped: every text output of every command that shows cluster data
// shows it escaped, piped and on a terminal, and the escaped form is there to read.
func TestClusterTextIsEscaped(t *testing.T) {
	c := newCluster(t)
	seedHostile(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"list"}, {"list", "-o", "wide"}, {"list", "-o", "name"}, {"status", "wf-evil"}, {"graph", "--workflow", "wf-evil"},
		{"graph", "--workflow", "wf-evil", "-o", "mermaid"}, {"logs", "wf-evil"}, {"templates", "list"}, {"list", "--cron"}, {"status", "cron-evil"},
		{"list", "-A"}, {"templates", "list", "-A"}, {"templates", "get", "tmpl"}, {"logs", "wf-evil", "--grep", "first"},
	} {
		name := strings.Join(args, " ")
		code, out, errOut := c.run(t, ctx, args...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", name, code, errOut)
		}
		clean(t, name+" (piped)", out+errOut)
		if !strings.Contains(out, evilShown) && !strings.Contains(out, "pwned") {
			t.Errorf("%s: the hostile text is not shown escaped:\n%s", name, out)
		}
		code, tty := c.runTTY(t, ctx, args...)
		if code != 0 {
			t.Errorf("%s on a terminal: exit %d\n%s", name, code, tty)
		}
		clean(t, name+" (terminal)", tty)
	}
	// A newline in a message cannot add a row.
	if _, out, _ := c.run(t, ctx, "list", "-o", "wide"); strings.Count(out, "\n") != 3 {
		t.Errorf("list -o wide of 2 workflows has %d lines:\n%s", strings.Count(out, "\n"), out)
	}
	// A commit cut to 12 characters leaves no half escape.
	if _, out, _ := c.run(t, ctx, "list", "-o", "wide"); !strings.Contains(out, "0123456789a…+dirty") {
		t.Errorf("list -o wide: commit column:\n%s", out)
	}
	// Structured output is exact.
	_, out, _ := c.run(t, ctx, "status", "wf-evil", "-o", "json")
	var st struct {
		Message string            `json:"message"`
		Outputs map[string]string `json:"outputs"`
	}
	exact := strings.ToValidUTF8(evil, "\uFFFD") // JSON carries no invalid UTF-8: the server sent this
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Message != exact || st.Outputs["sync"+exact] != exact {
		t.Errorf("status -o json is not exact (%v):\n%s", err, out)
	}
	// An API error's message is the server's text too.
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "get", Resource: "workflows", Code: 500, Message: evil})
	code, _, errOut := c.run(t, ctx, "status", "wf-evil")
	if code != ExitUsage || !strings.Contains(errOut, evilShown) {
		t.Errorf("status with a hostile error: exit %d\n%s", code, errOut)
	}
	clean(t, "hostile API error", errOut)
}

// TestCompletionIsBounded: completion reads one page, offers only names a user could
// type, and escapes their description.
func TestCompletionIsBounded(t *testing.T) {
	c := newCluster(t)
	seedHostile(c)
	for i := range 1200 {
		c.Put("workflows", workflow(fmt.Sprintf("app-%04d", i), map[string]any{"phase": "Succeeded" + evil}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The word being completed comes last, after the flags.
	var o, e bytes.Buffer
	code := RunEnv(ctx, []string{"__complete", "status", "--kubeconfig", c.kubeconfig, ""}, c.env, &o, &e)
	out := o.String()
	if code != 0 {
		t.Fatalf("completion: exit %d", code)
	}
	clean(t, "completion", out)
	names := strings.Count(out, "\n") - 1 // the last line is the directive
	if names == 0 || names > 500 || strings.Contains(out, "wf-name") {
		t.Errorf("completion offered %d names (hostile one included: %t)", names, strings.Contains(out, "wf-name"))
	}
	if reqs := c.Requests("list", "workflows"); len(reqs) != 1 || !strings.Contains(reqs[0].Query, "limit=500") {
		t.Errorf("completion listed %d times: %v", len(reqs), reqs)
	}
}

// TestListPagesAndStreams: list asks for pages of 500 and prints each as it comes: when
// the last page never comes, the first ones are out already.
func TestListPagesAndStreams(t *testing.T) {
	c := newCluster(t)
	for i := range 1201 {
		c.Put("workflows", workflow(fmt.Sprintf("app-%04d", i), map[string]any{"phase": "Succeeded"}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, _ := c.run(t, ctx, "list", "-o", "name")
	if code != 0 || strings.Count(out, "\n") != 1201 {
		t.Fatalf("list: exit %d, %d rows", code, strings.Count(out, "\n"))
	}
	reqs := c.Requests("list", "workflows")
	if len(reqs) != 3 || !strings.Contains(reqs[0].Query, "limit=500") || !strings.Contains(reqs[2].Query, "continue=1000") {
		t.Errorf("list requests: %v", reqs)
	}
	code, out, _ = c.run(t, ctx, "list", "-o", "json")
	var all []map[string]any
	if err := json.Unmarshal([]byte(out), &all); code != 0 || err != nil || len(all) != 1201 {
		t.Errorf("list -o json over pages: exit %d, %v, %d items", code, err, len(all))
	}
	c.Fail(fakeapi.Fault{Kind: fakeapi.Hang, Verb: "list", Resource: "workflows", Query: "continue=1000"})
	code, out, errOut := c.run(t, ctx, "list")
	if code != ExitUsage || strings.Count(out, "app-") != 1000 || !strings.Contains(errOut, "--request-timeout") {
		t.Errorf("list whose last page hangs: exit %d, %d rows out\n%s", code, strings.Count(out, "app-"), errOut)
	}
}

// TestDurationsNeverNegative: a run that started in the future (clock skew) shows
// <invalid>, as kubectl does.
func TestDurationsNeverNegative(t *testing.T) {
	c := newCluster(t)
	future := time.Now().Add(720 * time.Hour).UTC().Format(time.RFC3339)
	c.Put("workflows", workflow("skewed", map[string]any{"phase": "Running", "startedAt": future}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{{"list"}, {"status", "skewed"}} {
		if _, out, _ := c.run(t, ctx, args...); !strings.Contains(out, "<invalid>") || strings.Contains(out, "-7") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
}

// TestEveryRequestHasADeadline: against a server that accepts and never answers, or
// trickles a byte a second, every command ends with exit 2 after --request-timeout
// and says what to do; Retry-After: 3600 is not waited out.
func TestEveryRequestHasADeadline(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "a.yaml"), []byte("applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fault fakeapi.Fault
		args  []string
	}{
		{fakeapi.Fault{Kind: fakeapi.Hang}, []string{"list"}},
		{fakeapi.Fault{Kind: fakeapi.Hang}, []string{"list", "--cron"}},
		{fakeapi.Fault{Kind: fakeapi.Hang}, []string{"status", "x"}},
		{fakeapi.Fault{Kind: fakeapi.Hang, Verb: "discovery"}, []string{"graph", "--workflow", "x"}},
		{fakeapi.Fault{Kind: fakeapi.Hang, Verb: "log"}, []string{"logs", "x"}},
		{fakeapi.Fault{Kind: fakeapi.Hang}, []string{"templates", "list"}},
		{fakeapi.Fault{Kind: fakeapi.Hang}, []string{"delete", "--completed"}},
		{fakeapi.Fault{Kind: fakeapi.Hang, Verb: "version"}, []string{"apply", cfg}},
		{fakeapi.Fault{Kind: fakeapi.Hang, Verb: "discovery"}, []string{"apply", cfg}},
		{fakeapi.Fault{Kind: fakeapi.Trickle}, []string{"list"}},
		{fakeapi.Fault{Kind: fakeapi.RetryAfter}, []string{"list", "--request-timeout", "30s"}},
	} {
		t.Run(fmt.Sprintf("%d %s", tc.fault.Kind, strings.Join(tc.args, " ")), func(t *testing.T) {
			t.Parallel() // each waits out its own fake server's fault
			c := newCluster(t)
			c.Put("workflows", workflow("x", map[string]any{"phase": "Running"}))
			c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "x-1", "namespace": "argo",
				"labels": map[string]any{"workflows.argoproj.io/workflow": "x"}}, "status": map[string]any{"phase": "Running"}})
			c.SetLog("argo", "x-1", "hello\n")
			c.Fail(tc.fault)
			// The test's own deadline (20 s) is shorter than the Retry-After case's
			// request timeout: waiting out the server would show as exit 130.
			rctx, rcancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer rcancel()
			code, out, errOut := c.run(t, rctx, tc.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitUsage, out, errOut)
			}
			if tc.args[0] != "apply" && !strings.Contains(errOut, "appflowc: next:") {
				t.Errorf("no next step:\n%s", errOut)
			}
		})
	}
}

// TestTimeoutBoundsAllOfApply: --timeout covers pre-flight's discovery and REST mapping,
// even with no request timeout.
func TestTimeoutBoundsAllOfApply(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"version", "discovery"} {
		c := newCluster(t)
		c.Fail(fakeapi.Fault{Kind: fakeapi.Hang, Verb: verb})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		code, _, errOut := c.run(t, ctx, "apply", dir, "--timeout", "1s", "--request-timeout", "0")
		cancel()
		if code != ExitUsage || !strings.Contains(errOut, "--timeout reached") {
			t.Errorf("apply with %s hanging: exit %d\n%s", verb, code, errOut)
		}
	}
}

// TestRedirectIsRefused: a 302 from the API server to another server is not followed;
// the other server never sees a request (nor the token).
func TestRedirectIsRefused(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer other.Close()
	c := newCluster(t)
	c.Fail(fakeapi.Fault{Kind: fakeapi.Redirect, Location: other.URL + "/steal"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, _, errOut := c.run(t, ctx, "list")
	if code != ExitUsage || !strings.Contains(errOut, "redirected to "+other.URL+"/steal") || !strings.Contains(errOut, "not at a proxy") {
		t.Errorf("redirected list: exit %d\n%s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) > 0 {
		t.Errorf("the redirect was followed: %v", got)
	}
}

// TestGarbageIsAnError: a body that is no JSON (with escapes in it) is an error whose
// text reaches the terminal escaped.
func TestGarbageIsAnError(t *testing.T) {
	c := newCluster(t)
	c.Fail(fakeapi.Fault{Kind: fakeapi.Garbage, Verb: "list"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "list")
	if code != ExitUsage {
		t.Errorf("garbage list: exit %d", code)
	}
	clean(t, "garbage list", out+errOut)
}

// TestGraphOfALargeRunIsLinear: 30 groups of 2 steps (2^30 paths through Argo's links)
// draw a line per node; a cycle is reported, not followed.
func TestGraphOfALargeRunIsLinear(t *testing.T) {
	c := newCluster(t)
	nodes := map[string]any{"big": map[string]any{"displayName": "big", "type": "Steps", "children": []any{"sg-0"}}}
	for g := range 30 {
		var pods []any
		for i := range 2 {
			id := fmt.Sprintf("pod-%d-%d", g, i)
			pods = append(pods, id)
			pod := map[string]any{"displayName": id, "type": "Pod", "phase": "Succeeded", "boundaryID": "big"}
			if g < 29 {
				pod["children"] = []any{fmt.Sprintf("sg-%d", g+1)}
			} else {
				pod["children"] = []any{"sg-0"} // and back: a cycle
			}
			nodes[id] = pod
		}
		nodes[fmt.Sprintf("sg-%d", g)] = map[string]any{"displayName": fmt.Sprintf("[%d]", g), "type": "StepGroup", "boundaryID": "big", "children": pods}
	}
	c.Put("workflows", workflow("big", map[string]any{"phase": "Running", "nodes": nodes}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "graph", "--workflow", "big")
	if code != 0 || strings.Count(out, "\n") != len(nodes)+1 {
		t.Errorf("graph --workflow: exit %d, %d lines for %d nodes", code, strings.Count(out, "\n"), len(nodes))
	}
	if !strings.Contains(errOut, "cycle (pod-29-0 → [0]); not followed") {
		t.Errorf("the cycle is not reported:\n%s", errOut)
	}
	code, out, errOut = c.run(t, ctx, "status", "big")
	if code != 0 || strings.Count(out, "pod-") != 60 || !strings.Contains(errOut, "cycle") {
		t.Errorf("status: exit %d, %d steps\n%s", code, strings.Count(out, "pod-"), errOut)
	}
}

// TestLogsOfAnyLineLength: lines of 200 KiB and 3 MiB come out whole (the longer in
// pieces of 1 MiB), and the rest of the step's log after them.
func TestLogsOfAnyLineLength(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("long", map[string]any{"phase": "Succeeded"}))
	c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "long-1", "namespace": "argo",
		"labels": map[string]any{"workflows.argoproj.io/workflow": "long"}, "annotations": map[string]any{"workflows.argoproj.io/node-name": "long.step"}},
		"status": map[string]any{"phase": "Succeeded"}})
	a, b := strings.Repeat("a", 200<<10), strings.Repeat("b", 3<<20)
	c.SetLog("argo", "long-1", a+"\n"+b+"\nafter\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "logs", "long")
	if code != 0 {
		t.Fatalf("logs: exit %d\n%s", code, errOut)
	}
	want := "step: " + a + "\nstep: " + b[:1<<20] + "\nstep (cont.): " + b[1<<20:2<<20] + "\nstep (cont.): " + b[2<<20:] + "\nstep: after\n"
	if out != want {
		t.Errorf("logs of long lines: %d bytes, want %d; ends %q", len(out), len(want), out[max(0, len(out)-40):])
	}
}

// TestLogLinesRaw: --raw writes the pod's bytes; the prefix stays escaped.
func TestLogLinesRaw(t *testing.T) {
	c := newCluster(t)
	seedHostile(c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, out, _ := c.run(t, ctx, "logs", "wf-evil", "--raw")
	// The log holds evil: raw, its bytes come through (its CR LF ends a line); the prefix,
	// the step name from the pod's annotation ("…gnp.exe\b\x9b" after its last dot, the
	// \x9b a U+FFFD after JSON), not.
	if !strings.Contains(out, ": first \x1b]0;pwned\a\x1b[2J\x1b[31mred\r\n") || !strings.Contains(out, "exe^H\uFFFD: fake-row\u202e") {
		t.Errorf("logs --raw:\n%q", out)
	}
	_, out, _ = c.run(t, ctx, "logs", "wf-evil")
	if !strings.Contains(out, ": second\ttabbed\n") {
		t.Errorf("logs: tabs and the CRLF line end:\n%q", out)
	}
}

// followRun seeds a running workflow with one running step pod.
func followRun(c *cluster, name string) {
	c.Put("workflows", workflow(name, map[string]any{"phase": "Running"}))
	c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name + "-1", "namespace": "argo",
		"labels": map[string]any{"workflows.argoproj.io/workflow": name}, "annotations": map[string]any{"workflows.argoproj.io/node-name": name + ".step"}},
		"status": map[string]any{"phase": "Running"}})
	c.SetLog("argo", name+"-1", "working\n")
}

type result struct {
	code        int
	out, errOut string
}

func (c *cluster) start(t *testing.T, ctx context.Context, args ...string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		code, out, errOut := c.run(t, ctx, args...)
		ch <- result{code, out, errOut}
	}()
	return ch
}

// TestFollowEndsWhenTheRunEnds: logs -f ends when Argo sets finishedAt, whatever the
// phase says, and exits 1 saying so when the workflow is deleted instead.
func TestFollowEndsWhenTheRunEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newCluster(t)
	followRun(c, "mystery")
	done := c.start(t, ctx, "logs", "-f", "mystery")
	if err := c.WaitRequests(ctx, "watch", "pods", 1); err != nil {
		t.Fatal(err)
	}
	c.Update("workflows", "argo", "mystery", func(o map[string]any) {
		o["status"] = map[string]any{"phase": "Archived", "finishedAt": "2026-01-02T03:04:05Z"}
	})
	if r := <-done; r.code != 0 || !strings.Contains(r.out, "step: working") {
		t.Errorf("logs -f of a run finished in an unknown phase: exit %d\n%s%s", r.code, r.out, r.errOut)
	}

	followRun(c, "doomed")
	done = c.start(t, ctx, "logs", "-f", "doomed")
	if err := c.WaitRequests(ctx, "watch", "pods", 2); err != nil {
		t.Fatal(err)
	}
	c.Delete("workflows", "argo", "doomed")
	if r := <-done; r.code != ExitFailed || !strings.Contains(r.errOut, "Workflow/argo/doomed was deleted before it finished") {
		t.Errorf("logs -f of a deleted run: exit %d\n%s", r.code, r.errOut)
	}
}

// TestReconnectsBackOff counts requests against a server whose pod watches close at once
// (or send garbage): each watch waits longer than the one before (0.5 s, 1 s, 2 s at
// least), where an earlier loop re-listed and re-watched at once; the pods are listed
// once, and once more after three watches that ended at once.
func TestReconnectsBackOff(t *testing.T) {
	t.Parallel()
	for _, kind := range []fakeapi.FaultKind{fakeapi.CloseAtOnce, fakeapi.Garbage} {
		c := newCluster(t)
		followRun(c, "storm")
		c.Fail(fakeapi.Fault{Kind: kind, Verb: "watch", Resource: "pods"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		done := c.start(t, ctx, "logs", "-f", "storm")
		if err := c.WaitRequests(ctx, "watch", "pods", 4); err != nil {
			t.Fatal(err)
		}
		c.Update("workflows", "argo", "storm", func(o map[string]any) {
			o["status"] = map[string]any{"phase": "Succeeded", "finishedAt": "2026-01-02T03:04:05Z"}
		})
		r := <-done
		cancel()
		if r.code != 0 {
			t.Errorf("logs -f: exit %d\n%s", r.code, r.errOut)
		}
		watches := c.Requests("watch", "pods")
		// Watches that end at once with nothing in them are given up for a list after
		// three in a row (follow.ErrWatchEndsAtOnce): they would never deliver a change.
		wantLists := 1
		if kind == fakeapi.CloseAtOnce {
			wantLists = 2
		}
		if lists := c.Requests("list", "pods"); len(lists) != wantLists {
			t.Errorf("fault %d: %d pod lists for %d watches, want %d", kind, len(lists), len(watches), wantLists)
		}
		for i := 1; i < 4; i++ {
			gap := watches[i].At.Sub(watches[i-1].At)
			if min := 250 * time.Millisecond << i; gap < min {
				t.Errorf("fault %d: watch %d came %s after the one before, want at least %s", kind, i+1, gap, min)
			}
		}
	}
}

// TestInterruptibleExits: a command that ignores its cancelled context still ends, with
// 130, a second after Ctrl-C or at the second Ctrl-C.
func TestInterruptibleExits(t *testing.T) {
	for _, second := range []bool{false, true} {
		grace := 10 * time.Millisecond
		if second {
			grace = time.Hour // only the second Ctrl-C can end it
		}
		sigs := make(chan os.Signal, 2)
		exited := make(chan int, 1)
		var errOut bytes.Buffer
		stuck := make(chan struct{})
		defer close(stuck)
		go interruptible(context.Background(), sigs, &errOut, grace, func(code int) { exited <- code }, "appflowc list",
			func(ctx context.Context) int { <-stuck; return 0 }) // ignores ctx
		sigs <- os.Interrupt
		if second {
			sigs <- os.Interrupt
		}
		if code := <-exited; code != ExitInterrupted {
			t.Errorf("exit %d", code)
		}
	}
}

// TestCtrlCEndsAnyCommand sends a real Ctrl-C, through a pseudo-terminal's line
// discipline and as SIGINT to a piped process, to commands blocked on a server that
// never answers (with no request timeout): each ends with 130 and says what it was doing.
func TestCtrlCEndsAnyCommand(t *testing.T) {
	bin, err := exec.LookPath("appflowc") // testscript's copy of this test binary
	if err != nil {
		t.Skip("appflowc is not on PATH (testscript sets it up in TestMain)")
	}
	for _, tc := range []struct {
		args    []string
		verb    string
		tty     bool
		sayWhat string
	}{
		{[]string{"list"}, "list", true, "interrupted: list workflows in argo"},
		{[]string{"list"}, "list", false, "interrupted: list workflows in argo"},
		{[]string{"graph", "--workflow", "x"}, "discovery", true, "interrupted:"},
		{[]string{"status", "x"}, "get", false, "interrupted: Workflow/argo/x"},
	} {
		c := newCluster(t)
		c.Fail(fakeapi.Fault{Kind: fakeapi.Hang, Verb: tc.verb})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, append(tc.args, "--request-timeout", "0", "--kubeconfig", c.kubeconfig)...)
		cmd.Env = c.env
		var out bytes.Buffer
		var ptmx *os.File
		copied := make(chan struct{})
		if tc.tty {
			if ptmx, err = pty.Start(cmd); err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			// Until the command exits and the terminal has nothing more to read.
			go func() { io.Copy(&out, ptmx); close(copied) }()
		} else {
			close(copied)
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.WaitRequests(ctx, tc.verb, "", 1); err != nil {
			t.Fatal(err)
		}
		if tc.tty {
			ptmx.Write([]byte{3}) // ^C: the terminal sends SIGINT to the foreground group
		} else {
			cmd.Process.Signal(syscall.SIGINT)
		}
		err := cmd.Wait()
		<-copied
		cancel()
		if ptmx != nil {
			ptmx.Close()
		}
		if cmd.ProcessState.ExitCode() != ExitInterrupted || !strings.Contains(out.String(), tc.sayWhat) {
			t.Errorf("%v (terminal: %t): %v, exit %d\n%s", tc.args, tc.tty, err, cmd.ProcessState.ExitCode(), out.String())
		}
	}
}

// TestErrorText: an error prints on one line, escaped, so that text from the API server
// cannot forge a line; joined errors and appflowc's own lists print a line per item.
func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("get x: %w", errors.New("boom\nappflowc: next: rm -rf ~\x1b[2J")), `get x: boom\nappflowc: next: rm -rf ~^[[2J`},
		{errors.Join(errors.New("logs of step a: eof"), errors.New("logs of step b\x07: eof")), "logs of step a: eof\nlogs of step b^G: eof"},
		{fmt.Errorf("%w: %w", errors.New("a\nb"), errors.New("c")), `a\nb: c`},
	} {
		if got := errorText(c.err); got != c.want {
			t.Errorf("errorText(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}
