// Package browsertest drives `appflowc ui` in a real browser (Debian's headless
// Chromium, through chromedp) against the local control plane: what a person sees on the
// page while the bundled multi-env example and a failing run go through Argo Workflows
// and Argo CD.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
	"github.com/appflowc/appflowc/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.RunTests(m, testenv.Options{}, &env))
}

// Chromium is where make browser installs it (Debian's package).
const chromium = "/usr/bin/chromium"

// synced writes what the CLI prints, for a test to read while it runs.
type synced struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *synced) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}
func (s *synced) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

var sourcePos = regexp.MustCompile(`^[a-z0-9_.-]+\.(cue|yaml|json|jsonnet):\d+:\d+$`)

var pageURL = regexp.MustCompile(`appflowc ui: (http://127\.0\.0\.1:\d+/[0-9a-f]{32}/)`)

// The page follows one config from nothing to the end: the multi-env ApplicationSet (three
// generated Applications turning Synced and Healthy) and an Application whose chart
// version does not exist (its run fails at wait-healthy with Argo CD's message). The page
// is opened before anything is applied and never reloaded.
func TestPageFollowsRunsToArgoCD(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v (make browser installs Debian's chromium)", chromium, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, ctx, "ui-e2e")
	dir := t.TempDir()
	loopback := strings.NewReplacer(`"https://charts.bitnami.com/bitnami"`, `"`+env.ChartRepo+`"`, `"nginx"`, `"demo"`, `"15.4.2"`, `"0.1.0"`)
	copyDir(t, filepath.Join(root, "examples", "multi-env"), dir, loopback)
	write(t, filepath.Join(dir, "namespace.yaml"), "appflow:\n  namespace: "+ns+"\n")
	write(t, filepath.Join(dir, "broken.yaml"), fmt.Sprintf(`applications:
  broken:
    source: {repoURL: %q, chart: demo, targetRevision: "9.9.9"}
    destination: {namespace: broken}
    syncPolicy: {automated: true, createNamespace: true}
`, env.ChartRepo))
	home := t.TempDir()
	cliEnv := []string{"HOME=" + home, "APPFLOWC_CACHE_DIR=" + home + "/cache", "PATH=" + os.Getenv("PATH")}

	// appflowc ui DIR, in-process, until the test ends.
	uiCtx, stopUI := context.WithCancel(ctx)
	var uiOut, uiErr synced
	uiDone := make(chan int, 1)
	go func() {
		uiDone <- cli.RunEnv(uiCtx, []string{"ui", dir, "--kubeconfig", env.Kubeconfig}, cliEnv, &uiOut, &uiErr)
	}()
	defer func() {
		stopUI()
		if code := <-uiDone; code != cli.ExitInterrupted {
			t.Errorf("appflowc ui exited %d after Ctrl-C, want %d\n%s", code, cli.ExitInterrupted, uiErr.String())
		}
	}()
	var url string
	for url == "" {
		if m := pageURL.FindStringSubmatch(uiOut.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-uiDone:
			t.Fatalf("appflowc ui exited %d:\n%s%s", code, uiOut.String(), uiErr.String())
		case <-ctx.Done():
			t.Fatal("appflowc ui printed no address")
		case <-time.After(50 * time.Millisecond):
		}
	}

	browser := newBrowser(t, ctx)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(browser, actions...); err != nil {
			shot(t, browser, "failure")
			t.Fatalf("%s: %v\npage text:\n%s", what, err, text(browser, "body"))
		}
	}
	run("open the page", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`section[data-entry="shop"]`)),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[int](`window.appflowcLoaded = 1`)(ctx, tg)
			return err
		}))
	for _, want := range []string{"shop", "applicationset", "broken", "no run in this namespace yet", "steps as configured"} {
		// (innerText is what is shown: CSS upper-cases some labels)
		if body := text(browser, "main"); !strings.Contains(strings.ToLower(body), want) {
			t.Errorf("before apply, the page lacks %q:\n%s", want, body)
		}
	}
	if src := text(browser, `section[data-entry="shop"] .source`); !sourcePos.MatchString(src) {
		t.Errorf("shop's source position %q: want the config file and line", src)
	}

	var applyOut, applyErr bytes.Buffer
	if code := cli.RunEnv(ctx, []string{"apply", dir, "--kubeconfig", env.Kubeconfig}, cliEnv, &applyOut, &applyErr); code != 0 {
		t.Fatalf("appflowc apply: exit %d\n%s%s", code, applyOut.String(), applyErr.String())
	}

	// The ApplicationSet's run succeeds and its three Applications become Synced and
	// Healthy, on the page as it was opened.
	shop := `section[data-entry="shop"]`
	waits := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(shop + ` .run[data-phase="Succeeded"]`))}
	for _, e := range []string{"dev", "staging", "prod"} {
		waits = append(waits, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`%s tr[data-app="shop-%s"][data-sync="Synced"][data-health="Healthy"]`, shop, e))))
	}
	run("wait for shop to succeed and its Applications to be Synced and Healthy", waits...)
	card := text(browser, shop)
	for _, want := range []string{"Succeeded", "shop-dev", "shop-staging", "shop-prod", "Synced", "Healthy", "wait-healthy(0)", "appset-shop-"} {
		if !strings.Contains(card, want) {
			t.Errorf("shop's card lacks %q:\n%s", want, card)
		}
	}
	shot(t, browser, "ui-succeeded")

	// The broken run fails at wait-healthy; the page names the step and shows Argo CD's
	// message (the run's exit handler deletes the Application, so it comes from the run).
	broken := `section[data-entry="broken"]`
	run("wait for broken to fail", chromedp.WaitVisible(chromedp.CSS(broken+` .run[data-phase="Failed"] .failure`)))
	failure := text(browser, broken+" .failure")
	for _, want := range []string{"step wait-healthy", "failed", `chart "demo" version "9.9.9" not found`} {
		if !strings.Contains(failure, want) {
			t.Errorf("the failure box lacks %q:\n%s", want, failure)
		}
	}
	shot(t, browser, "ui-failed")

	// A failed step's log, on click (failed pods stay; they hold the executor's log).
	run("open the failed step's log",
		chromedp.Click(chromedp.CSS(broken+` .step[data-phase="Failed"] button.name`)),
		chromedp.WaitVisible(chromedp.CSS(`#logs-body .end`)))
	if logs := text(browser, "#logs-body"); !strings.Contains(logs, "hello from a kwok pod") || !strings.Contains(logs, "end of log") {
		t.Errorf("the step's log panel:\n%s", logs)
	}

	// The API server restarts under the page; a run submitted afterwards still appears:
	// the watches came back by themselves.
	if err := env.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	applyOut.Reset()
	applyErr.Reset()
	if code := cli.RunEnv(ctx, []string{"apply", dir, "--kubeconfig", env.Kubeconfig, "--select", "applicationSets/shop"}, cliEnv, &applyOut, &applyErr); code != 0 {
		t.Fatalf("appflowc apply after the restart: exit %d\n%s%s", code, applyOut.String(), applyErr.String())
	}
	run("see the run submitted after the API server restarted", chromedp.WaitVisible(chromedp.CSS(shop+` .older .chip`)))

	if loaded, err := chromedp.Run(browser, chromedp.Evaluate[int](`window.appflowcLoaded || 0`)); err != nil || loaded != 1 {
		t.Error("the page was reloaded: it must update in place")
	}
}

// newBrowser starts headless Chromium with the flags this machine's closed network needs.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return bctx
}

// text is what a person reads in the element (innerText), or "" if there is none.
func text(browser context.Context, sel string) string {
	ctx, cancel := context.WithTimeout(browser, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	return s
}

// shot keeps a screenshot of the whole page as a test artifact (out/screenshots).
func shot(t *testing.T, browser context.Context, name string) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Error(err)
		return
	}
	dir := filepath.Join(root, "out", "screenshots")
	ctx, cancel := context.WithTimeout(browser, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Error(err)
		return
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Error(err)
		return
	}
	t.Logf("screenshot: %s", p)
}

func namespace(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func copyDir(t *testing.T, src, dst string, rw *strings.Replacer) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dst, e.Name()), rw.Replace(string(data)))
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
