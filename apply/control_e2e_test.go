package apply_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/cmd/appflowc/cli"
	"github.com/appflowc/appflowc/manifest"
)

// controlWorkflow has a step "prepare", then (with approval) a suspend step "approve",
// then "deploy", whose exit code is the workflow parameter "code": a retry with
// -p code=0 makes a failed run succeed, as a fixed deployment would.
func controlWorkflow(ns, name, code string, approval bool, labels map[string]any) manifest.Object {
	steps := []any{[]any{map[string]any{"name": "prepare", "template": "step"}}}
	if approval {
		steps = append(steps, []any{map[string]any{"name": "approve", "template": "approve"}})
	}
	steps = append(steps, []any{map[string]any{"name": "deploy", "template": "last"}})
	l := map[string]any{"app.kubernetes.io/managed-by": "appflowc"}
	for k, v := range labels {
		l[k] = v
	}
	obj := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"generateName": name + "-", "namespace": ns, "labels": l},
		"spec": map[string]any{
			"entrypoint": "main",
			"arguments":  map[string]any{"parameters": []any{map[string]any{"name": "code", "value": code}}},
			"templates": []any{
				map[string]any{"name": "main", "steps": steps},
				map[string]any{"name": "step", "container": map[string]any{"image": "docker.io/library/busybox:1.37.0", "command": []any{"true"}}},
				map[string]any{"name": "approve", "suspend": map[string]any{"duration": "1h"}},
				map[string]any{"name": "last", "metadata": map[string]any{"annotations": map[string]any{"sim.ctlplane/exit-code": "{{workflow.parameters.code}}"}},
					"container": map[string]any{"image": "docker.io/library/busybox:1.37.0", "command": []any{"sh", "-c", "exit $CODE"},
						"env": []any{map[string]any{"name": "CODE", "value": "{{workflow.parameters.code}}"}}}},
			},
		},
	}
	return manifest.Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Namespace: ns, Name: name + "-", Obj: obj}
}

// waitWorkflow polls a workflow until cond holds.
func waitWorkflow(t *testing.T, ctx context.Context, c *apply.Client, ns, name, what string, cond func(u *unstructured.Unstructured) bool) *unstructured.Unstructured {
	t.Helper()
	dyn := dynClient(t)
	for {
		u, err := dyn.Resource(apply.WorkflowsGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && cond(u) {
			return u
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s never came (%v)\n%v", name, what, err, u)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func nodeByName(u *unstructured.Unstructured, display string) map[string]any {
	nodes, _, _ := unstructured.NestedMap(u.Object, "status", "nodes")
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		if s, _ := m["displayName"].(string); s == display {
			return m
		}
	}
	return nil
}

func suspended(step string) func(u *unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		n := nodeByName(u, step)
		return n != nil && n["phase"] == "Running" && n["type"] == "Suspend"
	}
}

func phaseIs(phase string) func(u *unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		p, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		return p == phase
	}
}

// TestRetryResubmitWaitWatch: a run fails in deploy; wait says so (exit 1); retry with
// -p code=0 -w resets only the failed step (prepare is kept, not run again) and follows
// it to Succeeded; resubmit makes a new run labelled with its origin; watch on a
// terminal draws the live view, piped it prints lines.
func TestRetryResubmitWaitWatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	changes, err := c.Apply(ctx, []manifest.Object{controlWorkflow(ns, "ctl-retry", "3", false, nil)}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	name := submitted(changes)[0]
	out, _ := appflowc(t, ctx, 1, "wait", name, "-n", ns)
	if !strings.Contains(out, name+" Failed: step deploy") {
		t.Fatalf("wait on a failing run:\n%s", out)
	}
	before := waitWorkflow(t, ctx, c, ns, name, "Failed", phaseIs("Failed"))
	prepBefore := nodeByName(before, "prepare")
	// A running workflow cannot be retried, a failed one cannot be suspended: exit 1, said.
	if _, e := appflowc(t, ctx, 1, "suspend", name, "-n", ns); !strings.Contains(e, "it has finished") {
		t.Errorf("suspend of a finished workflow: %s", e)
	}

	out, _ = appflowc(t, ctx, 0, "retry", "workflow/"+name, "-p", "code=0", "-w", "-n", ns)
	for _, want := range []string{"workflow " + name + " retried\n", name + " Succeeded\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("retry -w lacks %q:\n%s", want, out)
		}
	}
	after := waitWorkflow(t, ctx, c, ns, name, "Succeeded", phaseIs("Succeeded"))
	prepAfter := nodeByName(after, "prepare")
	if prepAfter["id"] != prepBefore["id"] || prepAfter["startedAt"] != prepBefore["startedAt"] {
		t.Errorf("retry ran the succeeded step again: before %v\nafter %v", prepBefore, prepAfter)
	}
	if d := nodeByName(after, "deploy"); d == nil || d["phase"] != "Succeeded" {
		t.Errorf("deploy after retry: %v", d)
	}
	st, _ := appflowc(t, ctx, 0, "status", name, "-n", ns)
	if !strings.Contains(st, "Progress:  2/2") {
		t.Errorf("status after a retry: progress does not add up:\n%s", st)
	}

	out, _ = appflowc(t, ctx, 0, "resubmit", name, "-n", ns)
	m := regexp.MustCompile(`workflow ` + name + ` resubmitted as (ctl-retry-\S+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("resubmit:\n%s", out)
	}
	again := m[1]
	u := waitWorkflow(t, ctx, c, ns, again, "labels", func(*unstructured.Unstructured) bool { return true })
	if u.GetLabels()["workflows.argoproj.io/resubmitted-from-workflow"] != name || u.GetLabels()["app.kubernetes.io/managed-by"] != "appflowc" {
		t.Errorf("resubmitted workflow's labels: %v", u.GetLabels())
	}

	// watch, on a terminal: the view is drawn and redrawn in place, and ends Succeeded.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	_ = pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100})
	var screen bytes.Buffer
	var mu sync.Mutex
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	var o bytes.Buffer
	code := cli.RunEnv(ctx, []string{"watch", again, "-n", ns, "--kubeconfig", env.Kubeconfig}, append(cliEnv(t), "TERM=xterm"), &o, tty)
	tty.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	mu.Lock()
	// Colours (TERM=xterm) aside, the view as drawn.
	drawn := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(screen.String(), "")
	mu.Unlock()
	if code != 0 || !strings.Contains(o.String(), again+" Succeeded\n") {
		t.Errorf("watch: exit %d\n%s\n%q", code, o.String(), drawn)
	}
	for _, want := range []string{"\x1b[J", "[####################]  2/2", "✔ prepare", "✔ deploy"} {
		if !strings.Contains(drawn, want) {
			t.Errorf("live view lacks %q:\n%q", want, drawn)
		}
	}
	// Piped, the same command prints a line per change and no escape sequence.
	o.Reset()
	var e bytes.Buffer
	if code := cli.RunEnv(ctx, []string{"watch", again, "-n", ns, "--kubeconfig", env.Kubeconfig}, cliEnv(t), &o, &e); code != 0 {
		t.Errorf("watch piped: exit %d\n%s", code, e.String())
	}
	if strings.Contains(e.String(), "\x1b") || !strings.Contains(e.String(), again+"  Succeeded  2/2") {
		t.Errorf("watch piped:\n%q", e.String())
	}
	if _, e := appflowc(t, ctx, 1, "watch", "no-such-run", "-n", ns); !strings.Contains(e, "not found") {
		t.Errorf("watch of a missing workflow: %s", e)
	}
	if _, e := appflowc(t, ctx, 2, "watch", "cronworkflow/x", "-n", ns); !strings.Contains(e, "is not a workflow") {
		t.Errorf("watch of another kind: %s", e)
	}
}

// TestSuspendResumeStopTerminate drives the shutdown and suspension commands on runs
// waiting at a suspend step (no pod runs, so nothing depends on timing).
func TestSuspendResumeStopTerminate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	objs := []manifest.Object{
		controlWorkflow(ns, "approve", "0", true, nil),
		controlWorkflow(ns, "reject", "0", true, nil),
		controlWorkflow(ns, "pause", "0", true, nil),
		controlWorkflow(ns, "stop", "0", true, map[string]any{"ctl": "stop"}),
		controlWorkflow(ns, "term", "0", true, map[string]any{"ctl": "term"}),
	}
	changes, err := c.Apply(ctx, objs, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byPrefix := map[string]string{}
	for _, n := range submitted(changes) {
		byPrefix[n[:strings.LastIndexByte(n, '-')]] = n
	}
	for _, n := range byPrefix {
		waitWorkflow(t, ctx, c, ns, n, "the approve step", suspended("approve"))
	}

	// resume one suspend step by selector: the run goes on and succeeds.
	appflowc(t, ctx, 0, "resume", byPrefix["approve"], "--node-field-selector", "displayName=approve", "-n", ns)
	if out, _ := appflowc(t, ctx, 0, "wait", byPrefix["approve"], "-n", ns); !strings.Contains(out, " Succeeded") {
		t.Errorf("resumed run: %s", out)
	}
	// stop one suspend step with a message: the step fails with it, and so does the run.
	appflowc(t, ctx, 0, "stop", byPrefix["reject"], "--node-field-selector", "displayName=approve", "--message", "not today", "-n", ns)
	if out, _ := appflowc(t, ctx, 1, "wait", byPrefix["reject"], "-n", ns); !strings.Contains(out, " Failed") {
		t.Errorf("rejected run: %s", out)
	}
	if n := nodeByName(waitWorkflow(t, ctx, c, ns, byPrefix["reject"], "Failed", phaseIs("Failed")), "approve"); n["message"] != "not today" || n["phase"] != "Failed" {
		t.Errorf("stopped suspend step: %v", n)
	}

	// suspend the whole run, then resume it: spec.suspend set, then unset and the
	// waiting step let through.
	pause := byPrefix["pause"]
	out, _ := appflowc(t, ctx, 0, "suspend", pause, "-n", ns)
	if out != "workflow "+pause+" suspended\n" {
		t.Errorf("suspend: %q", out)
	}
	if s, _, _ := unstructured.NestedBool(waitWorkflow(t, ctx, c, ns, pause, "spec.suspend", func(*unstructured.Unstructured) bool { return true }).Object, "spec", "suspend"); !s {
		t.Error("suspend did not set spec.suspend")
	}
	appflowc(t, ctx, 0, "resume", pause, "-n", ns)
	if out, _ := appflowc(t, ctx, 0, "wait", pause, "-n", ns); !strings.Contains(out, " Succeeded") {
		t.Errorf("resumed workflow: %s", out)
	}

	// A server dry run changes nothing; -l chooses by label; terminate and stop end runs.
	term := byPrefix["term"]
	if out, _ := appflowc(t, ctx, 0, "terminate", term, "--dry-run=server", "-n", ns); !strings.Contains(out, "(server dry run)") {
		t.Errorf("terminate --dry-run=server: %s", out)
	}
	if s, _, _ := unstructured.NestedString(waitWorkflow(t, ctx, c, ns, term, "read", func(*unstructured.Unstructured) bool { return true }).Object, "spec", "shutdown"); s != "" {
		t.Errorf("a dry run set spec.shutdown=%s", s)
	}
	out, _ = appflowc(t, ctx, 0, "stop", "-l", "ctl=stop", "-n", ns)
	if out != "workflow "+byPrefix["stop"]+" stopped\n" {
		t.Errorf("stop -l ctl=stop: %q", out)
	}
	appflowc(t, ctx, 0, "terminate", "workflow/"+term, "-n", ns)
	for prefix, strategy := range map[string]string{"stop": "Stop", "term": "Terminate"} {
		u := waitWorkflow(t, ctx, c, ns, byPrefix[prefix], "the end", phaseIs("Failed"))
		if msg, _, _ := unstructured.NestedString(u.Object, "status", "message"); !strings.Contains(msg, strategy) {
			t.Errorf("%s: message %q, want the %s strategy", prefix, msg, strategy)
		}
	}
	// --all skips what has finished: every run here has.
	if _, e := appflowc(t, ctx, 0, "stop", "--all", "-n", ns); !strings.Contains(e, "no workflow") {
		t.Errorf("stop --all with nothing running: %s", e)
	}
}

// dynClient is a dynamic client of the test control plane, as its admin.
func dynClient(t *testing.T) dynamic.Interface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}
