package apply_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/cmd/appflowc/cli"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/testenv"
	"github.com/appflowc/appflowc/manifest"
	"github.com/appflowc/appflowc/render"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var env *testenv.Env

// TestMain runs one real control plane for the package (etcd, kube-apiserver with Argo's
// and Argo CD's CRDs, kwok, scheduler, Argo's controller, Argo CD's ApplicationSet and
// Application controllers, the executor simulator) in private namespaces, and stops it
// whatever happens (testenv.RunTests).
func TestMain(m *testing.M) {
	os.Exit(testenv.RunTests(m, testenv.Options{}, &env))
}

// testNamespace gives a test a namespace of its own on the shared control plane (deleted
// when the test ends), for its Workflows and WorkflowTemplates: tests then share only
// cluster-scoped objects (which every config renders alike) and Applications, which
// they name apart, and no test depends on what another did or in which order they ran.
func testNamespace(t *testing.T) string {
	t.Helper()
	name := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	name = strings.TrimRight(name[:min(len(name), 40)], "-") + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

var nonDNS = regexp.MustCompile(`[^a-z0-9]+`)

// inNamespace is the config file that puts a config's Workflows and templates in ns.
func inNamespace(ns string) string { return "appflow:\n  namespace: " + ns + "\n" }

func renderConfig(t *testing.T, ns, src string) []manifest.Object {
	t.Helper()
	fsys := fstest.MapFS{"c/app.yaml": {Data: []byte(src)}, "c/namespace.yaml": {Data: []byte(inNamespace(ns))}}
	res, err := frontend.Render(context.Background(), config.Input{FS: fsys, Paths: []string{"c"}}, nil, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Objects
}

func app(name, extra string) string {
	return fmt.Sprintf(`applications:
  %s:
    source: {repoURL: "https://charts.example.com", chart: nginx, targetRevision: 1.2.3}
    destination: {namespace: %s}
%s`, name, name, extra)
}

// stackClient is a client of the test control plane, as its admin.
func stackClient(t *testing.T) *apply.Client {
	t.Helper()
	c, err := apply.NewClient(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// appflowc runs the CLI in-process against the test cluster and requires exit wantCode.
func appflowc(t *testing.T, ctx context.Context, wantCode int, args ...string) (stdout, stderr string) {
	t.Helper()
	return runCLI(t, ctx, wantCode, append(args, "--kubeconfig", env.Kubeconfig)...)
}

func runCLI(t *testing.T, ctx context.Context, wantCode int, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if code := cli.RunEnv(ctx, args, cliEnv(t), &o, &e); code != wantCode {
		t.Fatalf("appflowc %v: exit %d, want %d\n%s\n%s", args, code, wantCode, o.String(), e.String())
	}
	return o.String(), e.String()
}

// cliEnvs holds what tests added to the CLI's environment (setCLIEnv), by test.
var cliEnvs sync.Map // *testing.T -> []string

// cliEnv is the environment the CLI runs in for test t (cli.RunEnv): a HOME and a result
// cache of the test's own, the PATH (for git), and what the test set with setCLIEnv —
// never the process's environment, which tests running side by side would share.
func cliEnv(t *testing.T) []string {
	t.Helper()
	v, ok := cliEnvs.Load(t)
	if !ok {
		home := t.TempDir()
		v, _ = cliEnvs.LoadOrStore(t, []string{"HOME=" + home, "APPFLOWC_CACHE_DIR=" + home + "/cache", "PATH=" + os.Getenv("PATH")})
		t.Cleanup(func() { cliEnvs.Delete(t) })
	}
	return v.([]string)
}

// setCLIEnv sets KEY=VALUE pairs in the CLI's environment for the rest of test t.
func setCLIEnv(t *testing.T, kv ...string) {
	t.Helper()
	cliEnvs.Store(t, append(slices.Clone(cliEnv(t)), kv...))
}

func submitted(changes []apply.Change) []string {
	var names []string
	for _, c := range changes {
		if c.Action == apply.Submitted {
			names = append(names, c.Name)
		}
	}
	return names
}

func TestApplyIsOrderedAndIdempotent(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	objs := renderConfig(t, ns, app("idem", ""))
	first, err := c.Apply(ctx, objs, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Kind != "ServiceAccount" && first[0].Kind != "ClusterRole" {
		t.Errorf("RBAC must come first, got %v", first[0])
	}
	if last := first[len(first)-1]; last.Kind != "Workflow" || last.Action != apply.Submitted {
		t.Errorf("the Workflow must be submitted last, got %v", last)
	}
	second, err := c.Apply(ctx, objs, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range second {
		if ch.Kind != "Workflow" && ch.Action != apply.Unchanged {
			t.Errorf("second apply changed %v", ch)
		}
	}
	dry, err := c.Apply(ctx, renderConfig(t, ns, app("idem", "appflow: {activeDeadlineSeconds: 900}\n")), apply.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	configured := 0
	for _, ch := range dry {
		if ch.Action == apply.Configured {
			configured++
		}
	}
	if configured != 3 {
		t.Errorf("dry run of a changed deadline: %d templates configured, want 3: %v", configured, dry)
	}
}

// stepsWorkflow is testenv's two-step Workflow as a manifest.Object.
func stepsWorkflow(ns, name, exitCode string) manifest.Object {
	return manifest.Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Namespace: ns, Name: name + "-", Obj: testenv.StepsWorkflow(ns, name, exitCode)}
}

// TestWatchFollowsWorkflowsToTheEnd follows two Workflows with one watch: one succeeds,
// one fails in its second step, and the outcome names that step.
func TestWatchFollowsWorkflowsToTheEnd(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	changes, err := c.Apply(ctx, []manifest.Object{stepsWorkflow(ns, "watch-ok", "0"), stepsWorkflow(ns, "watch-fail", "3")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := c.Watch(ctx, ns, submitted(changes), apply.WatchOptions{Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s\ncontroller:\n%s", err, out.String(), env.Log("workflow-controller"))
	}
	if len(res) != 2 {
		t.Fatalf("outcomes %+v\n%s", res, out.String())
	}
	got := map[string]apply.Outcome{}
	for _, oc := range res {
		got[strings.SplitN(oc.Name, "-", 3)[1]] = oc
	}
	if got["ok"].Phase != "Succeeded" {
		t.Errorf("watch-ok: %+v", got["ok"])
	}
	if f := got["fail"]; f.Phase != "Failed" || f.Failed != "deploy" || !strings.Contains(f.Message, "exit code 3") {
		t.Errorf("watch-fail: %+v", f)
	}
	// Whether a step is caught running between two status updates depends on timing (the
	// "step:" display is unit-tested in TestStatusLine); the phases and ends do not.
	for _, want := range []string{"Running", "Succeeded  2/2", "Failed  1/2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress output lacks %q:\n%s", want, out.String())
		}
	}
}

// requestLog records the requests a client makes ("WATCH /apis/...", "GET /apis/...").
type requestLog struct {
	mu   sync.Mutex
	reqs []string
	next http.RoundTripper
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	verb := r.Method
	if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
		verb = "WATCH"
	}
	l.mu.Lock()
	l.reqs = append(l.reqs, verb+" "+r.URL.Path)
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// since returns the requests from index i on, and the current length.
func (l *requestLog) since(i int) ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs[min(i, len(l.reqs)):]...), len(l.reqs)
}

// loggedClient is a stack client whose requests are recorded.
func loggedClient(t *testing.T) (*apply.Client, *requestLog) {
	t.Helper()
	log := &requestLog{}
	cfg := rest.CopyConfig(env.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { log.next = rt; return log })
	c, err := apply.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, log
}

// waitRequest waits until the log holds, from index from on, a request with the given
// prefix ("WATCH /apis/argoproj.io/v1alpha1/namespaces/NS/workflows").
func waitRequest(t *testing.T, ctx context.Context, log *requestLog, from int, prefix string) {
	t.Helper()
	for {
		reqs, _ := log.since(from)
		for _, r := range reqs {
			if strings.HasPrefix(r, prefix) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s request after %d: %v", prefix, from, reqs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestWatchSurvivesAPIServerRestart restarts the kube-apiserver while a watch follows a
// Workflow; the watch watches again after the restart and still reports the outcome.
func TestWatchSurvivesAPIServerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testNamespace(t)
	c, log := loggedClient(t)
	// Submitted suspended and resumed after the restart, so that it cannot end before
	// the watch has to resume.
	wf := stepsWorkflow(ns, "restart", "0")
	wf.Obj.(map[string]any)["spec"].(map[string]any)["suspend"] = true
	changes, err := c.Apply(ctx, []manifest.Object{wf}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		res []apply.Outcome
		err error
	}
	done := make(chan result, 1)
	var out bytes.Buffer
	_, mark := log.since(0)
	go func() {
		res, err := c.Watch(ctx, ns, submitted(changes), apply.WatchOptions{Out: &out})
		done <- result{res, err}
	}()
	watchPath := "WATCH /apis/argoproj.io/v1alpha1/namespaces/" + ns + "/workflows"
	waitRequest(t, ctx, log, mark, watchPath)
	_, mark = log.since(0)
	if err := env.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	wfs := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
	if _, err := dyn.Resource(wfs).Namespace(ns).Patch(ctx, submitted(changes)[0], types.MergePatchType, []byte(`{"spec":{"suspend":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.res) != 1 || r.res[0].Phase != "Succeeded" {
		t.Fatalf("after restart: %+v %v\n%s", r.res, r.err, out.String())
	}
	// The outcome came through a watch (or list) made after the restart began: the
	// watch was re-established, not merely lucky.
	after, _ := log.since(mark)
	resumed := false
	for _, req := range after {
		resumed = resumed || strings.HasPrefix(req, watchPath) || strings.HasPrefix(req, "GET /apis/argoproj.io/v1alpha1/namespaces/"+ns+"/workflows")
	}
	if !resumed {
		t.Errorf("no watch or list of the workflows after the restart: %v", after)
	}
}

// TestApplyCommand drives `appflowc apply` in-process: a config, a render directory,
// a dry run, and an unreachable cluster.
func TestApplyCommand(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(t)
	dir := t.TempDir()
	cfgDir := writeConfig(t, ns, app("clicmd", ""))
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := cli.RunEnv(ctx, args, cliEnv(t), &o, &e)
		return code, o.String(), e.String()
	}
	code, out, errOut := run("apply", cfgDir, "--kubeconfig", env.Kubeconfig, "--dry-run")
	if code != 0 || !strings.Contains(out, "WorkflowTemplate/"+ns+"/application-create") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = run("render", cfgDir, "-o", dir+"/out"); code != 0 {
		t.Fatalf("render: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run("apply", dir+"/out", "--kubeconfig", env.Kubeconfig)
	if code != 0 || !strings.Contains(out, "Workflow/"+ns+"/app-clicmd-") || !strings.Contains(out, " submitted") {
		t.Fatalf("apply of a render directory: exit %d\n%s\n%s", code, out, errOut)
	}
	bad := dir + "/bad-kubeconfig"
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = run("apply", cfgDir, "--kubeconfig", bad, "--timeout", "20s"); code != 2 || !strings.Contains(errOut, "appflowc:") {
		t.Fatalf("unreachable cluster: exit %d, %s", code, errOut)
	}
	if code, _, _ = run("apply", cfgDir, "--watch", "--dry-run"); code != 2 {
		t.Fatalf("--watch --dry-run: exit %d, want 2", code)
	}
}

// TestSecretsFromTheOperatorsEnvironment applies an infra config whose Secret reads an
// environment variable and a file: the Secret holds the values, no output holds them,
// and a missing source stops everything before any apply.
func TestSecretsFromTheOperatorsEnvironment(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const envValue, fileValue = "s3cret-env-7d1f", "s3cret-file-22ab"
	ns := testNamespace(t)
	dir := t.TempDir()
	cfg := `infra:
  vault:
    namespace: vault-test
    secrets:
      db:
        keys:
          password: {fromEnv: APPFLOWC_TEST_DB_PASSWORD}
          cert: {fromFile: cert.pem}
`
	for name, data := range map[string]string{"app.yaml": cfg, "namespace.yaml": inNamespace(ns), "cert.pem": fileValue} {
		if err := os.WriteFile(dir+"/"+name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var o, e bytes.Buffer
	if code := cli.RunEnv(ctx, []string{"apply", dir, "--kubeconfig", env.Kubeconfig}, cliEnv(t), &o, &e); code != 2 || !strings.Contains(e.String(), "environment variable APPFLOWC_TEST_DB_PASSWORD is not set") {
		t.Fatalf("missing env: exit %d\n%s", code, e.String())
	}
	if strings.Contains(o.String(), "created") {
		t.Fatalf("something was applied before the missing source was found:\n%s", o.String())
	}
	setCLIEnv(t, "APPFLOWC_TEST_DB_PASSWORD="+envValue)
	o.Reset()
	e.Reset()
	if code := cli.RunEnv(ctx, []string{"apply", dir, "--kubeconfig", env.Kubeconfig}, cliEnv(t), &o, &e); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, o.String(), e.String())
	}
	if !strings.Contains(o.String(), "Secret/vault-test/db created") {
		t.Fatalf("change set:\n%s", o.String())
	}
	for _, v := range []string{envValue, fileValue} {
		if strings.Contains(o.String()+e.String(), v) {
			t.Fatalf("a secret value appears in the output")
		}
	}
	c := stackClient(t)
	got, err := c.Get(ctx, "v1", "Secret", "vault-test", "db")
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(got.Object, "data")
	if data["password"] != base64.StdEncoding.EncodeToString([]byte(envValue)) || data["cert"] != base64.StdEncoding.EncodeToString([]byte(fileValue)) {
		t.Fatalf("secret data %v", data)
	}
	// The rendered Workflow carries the Secret's name and keys only.
	res, err := frontend.Render(ctx, config.Input{FS: os.DirFS(dir), Paths: []string{"."}}, nil, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		for _, v := range []string{envValue, fileValue} {
			if bytes.Contains(f.Data, []byte(v)) {
				t.Fatalf("%s contains a secret value", f.Path)
			}
		}
	}
}

// TestListAndStatusCommands runs two Workflows to their end, then reads them back with
// `appflowc list` and `appflowc status`.
func TestListAndStatusCommands(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	changes, err := c.Apply(ctx, []manifest.Object{stepsWorkflow(ns, "listok", "0"), stepsWorkflow(ns, "listfail", "3")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := submitted(changes)
	if _, err := c.Watch(ctx, ns, names, apply.WatchOptions{}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		out, _ := appflowc(t, ctx, 0, append(args, "-n", ns)...)
		return out
	}
	all := run("list", "-o", "name")
	for _, n := range names {
		if !strings.Contains(all, "workflow/"+n+"\n") {
			t.Errorf("list lacks %s:\n%s", n, all)
		}
	}
	failed := run("list", "--phase", "Failed")
	if !strings.HasPrefix(failed, "NAME") || !strings.Contains(failed, "listfail-") || strings.Contains(failed, "listok-") {
		t.Errorf("list --phase Failed:\n%s", failed)
	}
	var failName string
	for _, n := range names {
		if strings.HasPrefix(n, "listfail-") {
			failName = n
		}
	}
	st := run("status", failName)
	for _, want := range []string{"Phase:     Failed", "Progress:  1/2", "Steps:", "  prepare  Succeeded", "  deploy  Failed  "} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	// The run as a graph, steps with their phases.
	g := run("graph", "--workflow", failName)
	for _, want := range []string{failName + "\n", "prepare (pod) Succeeded", "deploy (pod) Failed"} {
		if !strings.Contains(g, want) {
			t.Errorf("graph --workflow lacks %q:\n%s", want, g)
		}
	}
	if m := run("graph", "--workflow", failName, "-o", "mermaid"); !strings.Contains(m, "class ") || !strings.Contains(m, " Failed\n") {
		t.Errorf("mermaid of a run is not coloured by phase:\n%s", m)
	}
	// Shell completion offers the workflows of the cluster, with their phase.
	comp, _ := runCLI(t, ctx, 0, "__complete", "status", "--kubeconfig", env.Kubeconfig, "-n", ns, "listfail")
	if !strings.Contains(comp, failName+"\tFailed\n") || strings.Contains(comp, "listok-") {
		t.Errorf("completion of status listfail:\n%s", comp)
	}
	if _, errOut := appflowc(t, ctx, 1, "status", "no-such-workflow", "-n", ns); !strings.Contains(errOut, "not found") {
		t.Errorf("status of a missing workflow: %s", errOut)
	}
}

// TestInstallTemplatesDelete covers install, templates list/create and delete.
func TestInstallTemplatesDelete(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, errOut := appflowc(t, ctx, 0, "install")
	if !strings.Contains(out, "ClusterRole/appflowc-workflows") || !strings.Contains(out, "WorkflowTemplate/argo/infra-provision") {
		t.Errorf("install change set:\n%s", out)
	}
	// The test stack runs the controller as a process, not a Deployment.
	if !strings.Contains(errOut, "no workflow-controller Deployment found") {
		t.Errorf("install did not warn about the controller:\n%s", errOut)
	}
	out, _ = appflowc(t, ctx, 0, "templates", "create")
	if strings.Count(out, " unchanged") != 3 {
		t.Errorf("templates create after install should change nothing:\n%s", out)
	}
	out, _ = appflowc(t, ctx, 0, "templates", "list")
	if !strings.Contains(out, "application-create") || !strings.Contains(out, "app_name,namespace,repo_url,chart_path") {
		t.Errorf("templates list:\n%s", out)
	}
	c := stackClient(t)
	ns := testNamespace(t)
	changes, err := c.Apply(ctx, []manifest.Object{stepsWorkflow(ns, "delone", "0"), stepsWorkflow(ns, "deltwo", "0")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := submitted(changes)
	if _, err := c.Watch(ctx, ns, names, apply.WatchOptions{}); err != nil {
		t.Fatal(err)
	}
	appflowc(t, ctx, 2, "delete", "-n", ns)
	appflowc(t, ctx, 2, "delete", "-n", ns, names[0], "--completed")
	out, _ = appflowc(t, ctx, 0, "delete", "-n", ns, names[0])
	if out != "Workflow/"+ns+"/"+names[0]+" deleted\n" {
		t.Errorf("delete by name: %q", out)
	}
	out, _ = appflowc(t, ctx, 0, "delete", "-n", ns, "--completed")
	if !strings.Contains(out, names[1]+" deleted") {
		t.Errorf("delete --completed:\n%s", out)
	}
	left, err := c.ListWorkflows(ctx, ns, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range left {
		if w.Name == names[0] || w.Name == names[1] {
			t.Errorf("%s still listed after delete", w.Name)
		}
	}
}

// TestLogsCommand reads step logs through the API server (kwok serves them), filtered by
// step, and follows a running workflow until it completes.
func TestLogsCommand(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := stackClient(t)
	ns := testNamespace(t)
	run := func(args ...string) string {
		out, _ := appflowc(t, ctx, 0, append(args, "-n", ns)...)
		return out
	}
	changes, err := c.Apply(ctx, []manifest.Object{stepsWorkflow(ns, "logs", "0")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	name := submitted(changes)[0]
	// Follow from the start: returns only once the workflow has completed.
	followed := run("logs", name, "-f")
	st, err := c.Status(ctx, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != "Succeeded" {
		t.Errorf("logs -f returned while the workflow was %s", st.Phase)
	}
	if !strings.Contains(followed, "prepare: ") {
		t.Errorf("followed logs:\n%s", followed)
	}
	all := run("logs", name)
	for _, want := range []string{"prepare: ", "deploy: ", "hello from a kwok pod"} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %q:\n%s", want, all)
		}
	}
	only := run("logs", name, "--step", "deploy")
	if strings.Contains(only, "prepare: ") || !strings.Contains(only, "deploy: ") {
		t.Errorf("logs --step deploy:\n%s", only)
	}
}
