package apply_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/cmd/appflowc/cli"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The library's own workflows, run for real: Argo's controller schedules the steps, the
// executor simulator performs each resource step with the workflow's service account
// (so our RBAC is what allows it), and Argo CD's controllers act on what is created.
// The subtests run in parallel: each workflow spends most of its time waiting.
func TestLibraryEndToEnd(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	c := stackClient(t)
	// An Application without automated sync: create, apply, verify (the sync status comes
	// from Argo CD's application controller) and no health wait.
	t.Run("application", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		ns := testNamespace(t)
		dir := writeConfig(t, ns, app("e2e-web", ""))
		out, errOut := appflowc(t, ctx, 0, "apply", dir, "--watch", "--timeout", "5m")
		// Step logs stream on stdout as the steps run (kwok serves one log file for every
		// pod); progress lines on stderr, plain since this is not a terminal.
		for _, want := range []string{"validate-inputs: hello from a kwok pod", "verify-application(0): hello from a kwok pod", "Succeeded\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("apply --watch stdout lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(errOut, "  Running  ") || !strings.Contains(errOut, "  Succeeded  ") || strings.Contains(errOut, "\x1b[") {
			t.Errorf("progress lines:\n%s", errOut)
		}
		a, err := c.Get(ctx, "argoproj.io/v1alpha1", "Application", "argocd", "e2e-web")
		if err != nil {
			t.Fatal(err)
		}
		if by := a.GetAnnotations()["appflowc-created-by"]; !strings.HasPrefix(by, "app-e2e-web-") {
			t.Errorf("created-by annotation %q", by)
		}
		if sync, _, _ := unstructured.NestedString(a.Object, "status", "sync", "status"); sync == "" {
			t.Errorf("no sync status from the application controller: %v", a.Object["status"])
		}
		if _, err := c.Get(ctx, "v1", "Namespace", "", "e2e-web"); err != nil {
			t.Errorf("destination namespace: %v", err)
		}
		wfs, err := c.ListWorkflows(ctx, ns, "", "Succeeded")
		if err != nil {
			t.Fatal(err)
		}
		var outputs string
		for _, w := range wfs {
			if strings.HasPrefix(w.Name, "app-e2e-web-") {
				st, err := c.Status(ctx, ns, w.Name)
				if err != nil {
					t.Fatal(err)
				}
				outputs = st.Outputs["sync-status"]
			}
		}
		if outputs == "" {
			t.Errorf("the workflow's sync-status output is empty: the verify step's outputs did not reach the controller")
		}
	})

	// The same failure for an Application that existed before the run: cleanup must leave
	// it alone (only what the failed run created is removed).
	t.Run("failure keeps what the run did not create", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		ns := testNamespace(t)
		pre := writeConfig(t, ns, app("e2e-keep", ""))
		appflowc(t, ctx, 0, "apply", pre, "--watch", "--timeout", "5m")
		dir := writeConfig(t, ns, app("e2e-keep", "    syncPolicy: {automated: true}\n"))
		appflowc(t, ctx, 1, "apply", dir, "--watch", "--timeout", "5m")
		a, err := c.Get(ctx, "argoproj.io/v1alpha1", "Application", "argocd", "e2e-keep")
		if err != nil {
			t.Fatalf("the pre-existing Application was removed by the failed run's cleanup: %v", err)
		}
		if a.GetDeletionTimestamp() != nil {
			t.Fatal("the pre-existing Application is being deleted")
		}
		if auto, _, _ := unstructured.NestedMap(a.Object, "spec", "syncPolicy", "automated"); auto == nil {
			t.Errorf("the second run's apply step did not update the Application: %v", a.Object["spec"])
		}
	})
}

// writeConfig writes src as app.yaml of a new config directory, with a second file that
// puts its Workflows and templates in namespace ns (none when ns is "").
func writeConfig(t *testing.T, ns, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if ns == "" {
		return dir
	}
	if err := os.WriteFile(filepath.Join(dir, "namespace.yaml"), []byte(inNamespace(ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitGone waits for an Application to disappear (its finalizer is handled by the
// application controller).
func waitGone(t *testing.T, ctx context.Context, c *apply.Client, name string) {
	t.Helper()
	for {
		_, err := c.Get(ctx, "argoproj.io/v1alpha1", "Application", "argocd", name)
		if apierrors.IsNotFound(err) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("Application %s still exists after the failed run's cleanup (%v)", name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestWatchInterrupted: Ctrl-C during --watch exits 130, leaves the Workflow running on
// the cluster and says how to follow it.
func TestWatchInterrupted(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(t)
	// Ctrl-C once the watch is following the submitted Workflow: when its progress shows.
	runCtx, interrupt := context.WithCancel(ctx)
	progress := &onWrite{match: "app-e2e-intr-", then: interrupt}
	dir := writeConfig(t, ns, app("e2e-intr", ""))
	var o bytes.Buffer
	if code := cli.RunEnv(runCtx, []string{"apply", dir, "--watch", "--kubeconfig", env.Kubeconfig}, cliEnv(t), &o, progress); code != 130 {
		t.Fatalf("apply --watch interrupted: exit %d, want 130\n%s\n%s", code, o.String(), progress.String())
	}
	if !progress.fired() {
		t.Fatalf("apply --watch ended without showing progress:\n%s", progress.String())
	}
	errOut := progress.String()
	if !strings.Contains(errOut, "keep running on the cluster: app-e2e-intr-") || !strings.Contains(errOut, "follow one with: appflowc logs -f app-e2e-intr-") {
		t.Errorf("interrupt message:\n%s", errOut)
	}
	c := stackClient(t)
	wfs, err := c.ListWorkflows(ctx, ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wfs {
		if strings.HasPrefix(w.Name, "app-e2e-intr-") {
			return
		}
	}
	t.Errorf("the interrupted apply's Workflow is gone")
}

// onWrite is a writer that calls then, once, as soon as what was written contains match.
type onWrite struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	match string
	then  func()
	done  bool
}

func (w *onWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.match) {
		w.done = true
		w.then()
	}
	return len(p), nil
}

func (w *onWrite) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }
func (w *onWrite) fired() bool    { w.mu.Lock(); defer w.mu.Unlock(); return w.done }

// TestAuditAnnotations: a submitted Workflow records who submitted it and from which
// commit (and whether the work tree had changes); list -o wide shows them.
func TestAuditAnnotations(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	setCLIEnv(t, "APPFLOWC_AUDIT_PW=audit-pw-0d1e")
	const infra = "infra:\n  audit-infra:\n    namespace: audit-ns\n    secrets:\n      db: {keys: {password: {fromEnv: APPFLOWC_AUDIT_PW}}}\n"
	ns := testNamespace(t)
	dir := writeConfig(t, ns, app("audit", "")+infra)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "config")
	head := git("rev-parse", "HEAD")
	c := stackClient(t)
	var out string
	annotations := func() map[string]string {
		t.Helper()
		out, _ = appflowc(t, ctx, 0, "apply", dir)
		var name string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[1] == "submitted" && strings.HasPrefix(f[0], "Workflow/"+ns+"/app-audit-") {
				name = strings.TrimPrefix(f[0], "Workflow/"+ns+"/")
			}
		}
		wf, err := c.Get(ctx, "argoproj.io/v1alpha1", "Workflow", ns, name)
		if err != nil {
			t.Fatal(err)
		}
		return wf.GetAnnotations()
	}
	ann := annotations()
	if ann[apply.AnnotationSubmittedBy] != "admin" || ann[apply.AnnotationGitCommit] != head || ann[apply.AnnotationGitDirty] != "false" {
		t.Errorf("audit annotations of a clean tree: %v (HEAD %s)", ann, head)
	}
	// Applied objects carry them too (a Secret only this test applies).
	secret := func() map[string]string {
		t.Helper()
		s, err := c.Get(ctx, "v1", "Secret", "audit-ns", "db")
		if err != nil {
			t.Fatal(err)
		}
		return s.GetAnnotations()
	}
	if ann := secret(); ann[apply.AnnotationSubmittedBy] != "admin" || ann[apply.AnnotationGitCommit] != head || ann[apply.AnnotationGitDirty] != "false" {
		t.Errorf("audit annotations of an applied Secret: %v", ann)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(app("audit", "appflow: {activeDeadlineSeconds: 900}\n")+infra), 0o644); err != nil {
		t.Fatal(err)
	}
	if ann := annotations(); ann[apply.AnnotationGitDirty] != "true" {
		t.Errorf("a changed work tree is not marked dirty: %v", ann)
	}
	if ann := secret(); ann[apply.AnnotationGitDirty] != "true" {
		t.Errorf("the Secret's audit annotations were not updated: %v", ann)
	}
	// Only the audit annotations changed: the change set says so.
	if !strings.Contains(out, "Secret/audit-ns/db unchanged") {
		t.Errorf("a new commit alone made the Secret \"configured\":\n%s", out)
	}
	wide, _ := appflowc(t, ctx, 0, "list", "-n", ns, "-o", "wide", "-l", "appflowc.dev/config=audit")
	if !strings.Contains(wide, "SUBMITTED-BY") || !strings.Contains(wide, "admin") || !strings.Contains(wide, head[:12]+"+dirty") {
		t.Errorf("list -o wide:\n%s", wide)
	}
}

// TestSelectiveApply: --select applies the named entries and what they need, nothing else.
func TestSelectiveApply(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(t)
	dir := writeConfig(t, ns, app("sel-a", "")+`  sel-b:
    labels: {team: bee}
    source: {repoURL: "https://charts.example.com", chart: nginx, targetRevision: 1.2.3}
    destination: {namespace: sel-b}
`)
	out, _ := appflowc(t, ctx, 0, "apply", dir, "--select", "applications/sel-b")
	if strings.Count(out, " submitted") != 1 || !strings.Contains(out, "Workflow/"+ns+"/app-sel-b-") || strings.Contains(out, "app-sel-a-") {
		t.Errorf("--select applications/sel-b submitted:\n%s", out)
	}
	if !strings.Contains(out, "WorkflowTemplate/"+ns+"/application-create") {
		t.Errorf("the selected entry's template was not applied:\n%s", out)
	}
	// The same entry by its labels, from a render output directory this time.
	rendered := filepath.Join(t.TempDir(), "out")
	runCLI(t, ctx, 0, "render", dir, "-o", rendered)
	out, _ = appflowc(t, ctx, 0, "apply", rendered, "-l", "team=bee")
	if strings.Count(out, " submitted") != 1 || !strings.Contains(out, "Workflow/"+ns+"/app-sel-b-") {
		t.Errorf("apply -l team=bee submitted:\n%s", out)
	}
	c := stackClient(t)
	listed, err := c.ListWorkflows(ctx, ns, "team=bee", "")
	if err != nil || len(listed) != 2 {
		t.Errorf("list -l team=bee finds %d workflows (want both runs of sel-b): %v", len(listed), err)
	}
	_, errOut := appflowc(t, ctx, 2, "apply", dir, "--select", "applications/sel-c")
	if !strings.Contains(errOut, "no entry applications.sel-c in the config (entries: applications/sel-a, applications/sel-b)") {
		t.Errorf("unknown entry: %s", errOut)
	}
}

// TestSubmit: each submit form takes the config path to the cluster and, with --watch,
// follows its Workflow to Succeeded (the app through Argo CD's sync of the loopback chart).
func TestSubmit(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	c := stackClient(t)
	t.Run("app", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, _ := appflowc(t, ctx, 0, "submit", "app", "flagged", "--repo-url", env.ChartRepo, "--chart", "demo", "--revision", "0.1.0",
			"--set", "replicaCount=2", "--sync", "auto", "--self-heal", "--watch", "--timeout", "4m")
		if !strings.Contains(out, "Workflow/argo/app-flagged-") || !regexp.MustCompile(`(?m)^app-flagged-\w+ Succeeded$`).MatchString(out) {
			t.Errorf("submit app --watch:\n%s", out)
		}
		requireSyncedHealthy(t, ctx, c, "flagged")
		if r, _, _ := unstructured.NestedInt64(deployment(t, ctx, c, "flagged", "flagged").Object, "spec", "replicas"); r != 2 {
			t.Errorf("--set replicaCount=2 did not reach the Deployment: %d replicas", r)
		}
	})
	t.Run("appset", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, _ := appflowc(t, ctx, 0, "submit", "appset", "flagset", "--repo-url", env.ChartRepo, "--chart", "demo", "--revision", "0.1.0", "--sync", "auto",
			"--env", "name=dev,namespace=flagset-dev,values=values-dev.yaml", "--env", "name=prod,namespace=flagset-prod,values=values-prod.yaml,p.replicaCount=3",
			"--watch", "--timeout", "4m")
		if !regexp.MustCompile(`(?m)^appset-flagset-\w+ Succeeded$`).MatchString(out) {
			t.Errorf("submit appset --watch:\n%s", out)
		}
		requireSyncedHealthy(t, ctx, c, "flagset-dev")
		requireSyncedHealthy(t, ctx, c, "flagset-prod")
		if r, _, _ := unstructured.NestedInt64(deployment(t, ctx, c, "flagset-prod", "flagset-prod").Object, "spec", "replicas"); r != 3 {
			t.Errorf("p.replicaCount=3 did not reach prod: %d replicas", r)
		}
	})
	t.Run("infra", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		const secret = "flag-s3cret-77d1"
		dir := t.TempDir()
		props := filepath.Join(dir, "app.properties")
		if err := os.WriteFile(props, []byte("LOG_LEVEL=debug\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		setCLIEnv(t, "APPFLOWC_FLAG_SECRET="+secret)
		out, errOut := appflowc(t, ctx, 0, "submit", "infra", "--namespace", "flagged-infra", "--label", "team=flags",
			"--configmap", "settings="+props, "--secret", "db=password:APPFLOWC_FLAG_SECRET", "--watch", "--timeout", "4m")
		if strings.Contains(out+errOut, secret) {
			t.Fatal("the secret value appears in submit's output")
		}
		if !regexp.MustCompile(`(?m)^infra-flagged-infra-\w+ Succeeded$`).MatchString(out) {
			t.Errorf("submit infra --watch:\n%s", out)
		}
		cm, err := c.Get(ctx, "v1", "ConfigMap", "flagged-infra", "settings")
		if err != nil {
			t.Fatal(err)
		}
		if v, _, _ := unstructured.NestedString(cm.Object, "data", "app.properties"); v != "LOG_LEVEL=debug\n" {
			t.Errorf("ConfigMap data %v", cm.Object["data"])
		}
		sec, err := c.Get(ctx, "v1", "Secret", "flagged-infra", "db")
		if err != nil {
			t.Fatal(err)
		}
		if v, _, _ := unstructured.NestedString(sec.Object, "data", "password"); v != base64.StdEncoding.EncodeToString([]byte(secret)) {
			t.Errorf("Secret db password is not the value from the environment")
		}
	})
}
