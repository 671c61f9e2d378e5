package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/manifest"
)

// TestDay2Flags runs the kubectl/argo-style flags against the real control plane: list
// -A/--running/--completed/--since/--older, logs --tail/--grep/--timestamps, delete
// --older/--completed/--all/--dry-run, templates get/delete/list -A, names as
// workflow/NAME, and the namespace of a kubeconfig context.
func TestDay2Flags(t *testing.T) {
	t.Parallel() // namespaces of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns, other := testNamespace(t), testNamespace(t)

	// One run that finishes, one held Running (spec.suspend), one in another namespace.
	held := stepsWorkflow(ns, "dayheld", "0")
	held.Obj.(map[string]any)["spec"].(map[string]any)["suspend"] = true
	changes, err := c.Apply(ctx, []manifest.Object{stepsWorkflow(ns, "daydone", "0"), held, stepsWorkflow(other, "dayother", "0")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var done, running, elsewhere string
	for _, ch := range changes {
		switch {
		case strings.HasPrefix(ch.Name, "daydone-"):
			done = ch.Name
		case strings.HasPrefix(ch.Name, "dayheld-"):
			running = ch.Name
		case strings.HasPrefix(ch.Name, "dayother-"):
			elsewhere = ch.Name
		}
	}
	if _, err := c.Watch(ctx, ns, []string{done}, apply.WatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Watch(ctx, other, []string{elsewhere}, apply.WatchOptions{}); err != nil {
		t.Fatal(err)
	}
	// Argo labels a run completed=false once it has started it: wait for that, so that
	// --running asks about a run the controller has seen.
	waitFor(t, ctx, "the held run to be marked not completed", func() bool {
		u, err := c.Get(ctx, "argoproj.io/v1alpha1", "Workflow", ns, running)
		return err == nil && u.GetLabels()[apply.LabelCompleted] == "false"
	})
	run := func(args ...string) string {
		out, _ := appflowc(t, ctx, 0, args...)
		return out
	}
	has := func(what, out string, yes []string, no []string) {
		t.Helper()
		for _, y := range yes {
			if !strings.Contains(out, y) {
				t.Errorf("%s lacks %q:\n%s", what, y, out)
			}
		}
		for _, n := range no {
			if strings.Contains(out, n) {
				t.Errorf("%s has %q:\n%s", what, n, out)
			}
		}
	}

	// list: -A, --running, --completed, --since, --older, --no-headers.
	all := run("list", "-A")
	has("list -A", all, []string{"NAMESPACE", ns + " ", other + " ", done, running, elsewhere}, nil)
	has("list --running", run("list", "-n", ns, "--running", "-o", "name"), []string{"workflow/" + running + "\n"}, []string{done})
	has("list --completed", run("list", "-n", ns, "--completed", "-o", "name"), []string{"workflow/" + done + "\n"}, []string{running})
	has("list -A --completed", run("list", "-A", "--completed", "-o", "name"), []string{done, elsewhere}, []string{running})
	has("list --since 1h", run("list", "-n", ns, "--since", "1h", "-o", "name"), []string{done, running}, nil)
	has("list --older 1h", run("list", "-n", ns, "--older", "1h", "-o", "name"), nil, []string{done, running})
	if h := run("list", "-n", ns, "--no-headers"); strings.Contains(h, "NAME") || !strings.Contains(h, done) {
		t.Errorf("list --no-headers:\n%s", h)
	}

	// A name as list -o name prints it.
	has("status workflow/NAME", run("status", "workflow/"+done, "-n", ns), []string{"Phase:     Succeeded"}, nil)
	if _, errOut := appflowc(t, ctx, 1, "status", "cronworkflow/"+done, "-n", ns); !strings.Contains(errOut, "not found") {
		t.Errorf("status cronworkflow/NAME of a Workflow: %s", errOut)
	}

	// logs: the kubelet (kwok) applies --tail and --timestamps; --grep filters here.
	logs := run("logs", "wf/"+done, "-n", ns)
	has("logs", logs, []string{"prepare: hello from a kwok pod\n", "deploy: hello from a kwok pod\n"}, nil)
	has("logs --tail 0", run("logs", done, "-n", ns, "--tail", "0"), nil, []string{"hello"})
	has("logs --tail 1", run("logs", done, "-n", ns, "--tail", "1"), []string{"deploy: hello from a kwok pod\n"}, nil)
	has("logs --grep", run("logs", done, "-n", ns, "--grep", "kwok"), []string{"deploy: hello from a kwok pod\n"}, nil)
	has("logs --grep no match", run("logs", done, "-n", ns, "--grep", "^nothing like it$"), nil, []string{"hello"})
	// kwok's log line is dated 2026-01-01: older than an hour, within ten years.
	has("logs --since 1h", run("logs", done, "-n", ns, "--since", "1h"), nil, []string{"hello"})
	has("logs --since 3650d", run("logs", done, "-n", ns, "--since", "3650d", "--step", "deploy"), []string{"deploy: hello from a kwok pod\n"}, nil)
	has("logs --timestamps", run("logs", done, "-n", ns, "--timestamps", "--step", "deploy"), []string{"deploy: 2026-01-01T00:00:00"}, nil)

	// Namespace precedence: a kubeconfig context with a namespace is used without -n, and
	// -n still wins over it.
	kc, err := os.ReadFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctxKC := filepath.Join(t.TempDir(), "kubeconfig")
	withNS := strings.Replace(string(kc), "context: {cluster: local, user: admin}", "context: {cluster: local, user: admin, namespace: "+ns+"}", 1)
	if withNS == string(kc) {
		t.Fatalf("the test kubeconfig changed shape; cannot add a namespace to its context:\n%s", kc)
	}
	if err := os.WriteFile(ctxKC, []byte(withNS), 0o600); err != nil {
		t.Fatal(err)
	}
	viaCtx, _ := runCLI(t, ctx, 0, "list", "-o", "name", "--kubeconfig", ctxKC)
	has("list in the context's namespace", viaCtx, []string{"workflow/" + done, "workflow/" + running}, []string{elsewhere})
	viaFlag, _ := runCLI(t, ctx, 0, "list", "-o", "name", "-n", other, "--kubeconfig", ctxKC)
	has("list -n over the context's namespace", viaFlag, []string{"workflow/" + elsewhere}, []string{done})
	runCLI(t, ctx, 0, "status", done, "--kubeconfig", ctxKC)

	// templates: create in the namespace, get, list -A, delete (dry run first).
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "appflow.yaml"), []byte(inNamespace(ns)), 0o600); err != nil {
		t.Fatal(err)
	}
	run("templates", "create", cfg)
	got := run("templates", "get", "application-create", "-n", ns)
	has("templates get", got, []string{"Name:         application-create", "Namespace:    " + ns, "Library:      true", "Parameters:", "  app_name"}, nil)
	y := run("templates", "get", "workflowtemplate/application-create", "-n", ns, "-o", "yaml")
	has("templates get -o yaml", y, []string{"kind: WorkflowTemplate", "namespace: " + ns}, []string{"managedFields"})
	has("templates list -A", run("templates", "list", "-A"), []string{"NAMESPACE", ns + " "}, nil)
	out := run("templates", "delete", "application-create", "-n", ns, "--dry-run=server")
	if out != "WorkflowTemplate/"+ns+"/application-create deleted (server dry run)\n" {
		t.Errorf("templates delete --dry-run=server: %q", out)
	}
	run("templates", "get", "application-create", "-n", ns) // still there
	run("templates", "delete", "application-create", "-n", ns)
	if _, errOut := appflowc(t, ctx, 1, "templates", "get", "application-create", "-n", ns); !strings.Contains(errOut, "not found") {
		t.Errorf("templates get after delete: %s", errOut)
	}
	if _, err := c.GetTemplate(ctx, ns, "applicationset-create"); err != nil {
		t.Errorf("templates delete removed more than it named: %v", err)
	}

	// delete: --older matches nothing that finished just now; the dry runs remove nothing.
	if out := run("delete", "-n", ns, "--older", "1h"); out != "" {
		t.Errorf("delete --older 1h deleted %q", out)
	}
	out = run("delete", "-n", ns, "--completed", "--dry-run=server")
	if out != "Workflow/"+ns+"/"+done+" deleted (server dry run)\n" {
		t.Errorf("delete --completed --dry-run=server: %q", out)
	}
	out = run("delete", "-n", ns, "--all", "--dry-run=client")
	has("delete --all --dry-run=client", out, []string{done + " deleted (client dry run)", running + " deleted (client dry run)"}, nil)
	if _, err := c.Status(ctx, ns, done); err != nil {
		t.Fatalf("a dry run deleted %s: %v", done, err)
	}
	time.Sleep(2 * time.Second)
	out = run("delete", "-n", ns, "--older", "1s")
	if out != "Workflow/"+ns+"/"+done+" deleted\n" {
		t.Errorf("delete --older 1s: %q (the held run has not finished and must stay)", out)
	}
	out = run("delete", "workflow/"+running, "-n", ns)
	if out != "Workflow/"+ns+"/"+running+" deleted\n" {
		t.Errorf("delete workflow/NAME: %q", out)
	}
	left, err := c.ListWorkflows(ctx, ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left after delete: %v", left)
	}
	if _, err := c.Status(ctx, other, elsewhere); err != nil {
		t.Errorf("a delete in %s reached %s: %v", ns, other, err)
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
