package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/fakeapi"
)

const token = "0123456789abcdef0123456789abcdef"

// serve runs a page server against a fake API server (what a real one cannot be made to
// do: fail on cue) and returns its base URL.
func serve(t *testing.T, fa *fakeapi.Server, entries []ConfigEntry) string {
	t.Helper()
	c, err := apply.NewClient(fa.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	fast := wait.Backoff{Duration: 20 * time.Millisecond, Factor: 1, Steps: math.MaxInt32}
	srv, err := NewServer(c, Options{Namespace: "argo", ArgoCDNamespace: "argocd", Entries: entries, Token: token, Backoff: &fast})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return srv.URL(ln)
}

func get(t *testing.T, url, host string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The page answers only under its token, only to its own address, and tells the browser
// to run nothing but its own script.
func TestPageGuards(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	base := serve(t, fa, nil)
	origin := strings.TrimSuffix(base, token+"/")
	if resp, _ := get(t, origin, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/ without the token: %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, origin+strings.Repeat("f", 32)+"/", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a wrong token: %d, want 404", resp.StatusCode)
	}
	_, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(origin, "http://"), "/"))
	if resp, _ := get(t, base, "attacker.example:"+port); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a rebound DNS name as Host: %d, want 421", resp.StatusCode)
	}
	resp, body := get(t, base, "localhost:"+port)
	if resp.StatusCode != 200 || !strings.Contains(body, `<script src="app.js"`) {
		t.Fatalf("the page: %d\n%s", resp.StatusCode, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", resp.Header)
	}
	if resp, js := get(t, base+"app.js", ""); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || strings.Contains(js, "innerHTML") {
		t.Errorf("app.js: %d %s (and it must not write markup: innerHTML found=%v)", resp.StatusCode, resp.Header.Get("Content-Type"), strings.Contains(js, "innerHTML"))
	}
	if resp, _ := get(t, base+"logs?workflow=not-on-the-page&node=x", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("logs of a run the page does not show: %d, want 404", resp.StatusCode)
	}
}

// events reads a Server-Sent Events stream.
type events struct {
	t  *testing.T
	r  *bufio.Reader
	ch chan [2]string
}

func openEvents(t *testing.T, url string) *events {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	e := &events{t: t, r: bufio.NewReader(resp.Body), ch: make(chan [2]string, 64)}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	go func() {
		defer close(e.ch)
		name := ""
		for {
			line, err := e.r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.ch <- [2]string{name, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	return e
}

// until reads events until one satisfies ok, or fails after a while.
func (e *events) until(what string, ok func(name, data string) bool) string {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	var last string
	for {
		select {
		case ev, open := <-e.ch:
			if !open {
				e.t.Fatalf("stream ended waiting for %s; last: %s", what, last)
			}
			last = ev[1]
			if ok(ev[0], ev[1]) {
				return ev[1]
			}
		case <-deadline:
			e.t.Fatalf("no event with %s; last: %s", what, last)
		}
	}
}

func snapshotWith(pred func(Snapshot) bool) func(string, string) bool {
	return func(name, data string) bool {
		var s Snapshot
		return name == "snapshot" && json.Unmarshal([]byte(data), &s) == nil && pred(s)
	}
}

func managedWorkflow(name, entry, phase string) map[string]any {
	return workflow(name, entry, "application", phase, 1, map[string]any{
		name: map[string]any{"displayName": name, "type": "Steps", "phase": phase, "children": []any{"s1"}},
		"s1": map[string]any{"name": name + ".deploy", "displayName": "deploy", "type": "Pod", "phase": phase},
	}).Object
}

// The page gets the current state at once, then each change as it happens, pushed; while
// the API server fails it says so, and it recovers when the server does.
func TestEventsFollowTheCluster(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "list", Resource: "workflows", Code: 503, Message: "etcd is restarting"})
	base := serve(t, fa, []ConfigEntry{{Name: "web", Kind: "application", Source: "apps.yaml:2:3"}})
	ev := openEvents(t, base+"events")
	ev.until("the API server's failure shown", snapshotWith(func(s Snapshot) bool {
		return len(s.Problems) == 1 && strings.Contains(s.Problems[0], "Workflows in argo: retrying in") && strings.Contains(s.Problems[0], "etcd is restarting") &&
			len(s.Entries) == 1 && s.Entries[0].Source == "apps.yaml:2:3"
	}))
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
	fa.Heal()
	ev.until("recovery: the run shown, the problem gone", snapshotWith(func(s Snapshot) bool {
		return len(s.Problems) == 0 && len(s.Entries[0].Runs) == 1 && s.Entries[0].Runs[0].Phase == "Running"
	}))
	fa.Update("workflows", "argo", "app-web-abcde", func(o map[string]any) {
		o["status"].(map[string]any)["phase"] = "Succeeded"
		o["status"].(map[string]any)["finishedAt"] = "2026-01-02T03:09:00Z"
	})
	fa.Put("applications", application("web", map[string]any{"app.kubernetes.io/managed-by": "appflowc"}, nil,
		map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}).Object)
	ev.until("the run's end and its Application", snapshotWith(func(s Snapshot) bool {
		e := s.Entries[0]
		return e.Runs[0].Phase == "Succeeded" && len(e.Apps) == 1 && e.Apps[0].Health == "Healthy"
	}))
	fa.Delete("applications", "argocd", "web")
	ev.until("the Application's deletion", snapshotWith(func(s Snapshot) bool { return len(s.Entries[0].Apps) == 0 }))
}

// A kind the cluster does not serve (Argo CD not installed) is named on the page; the
// rest goes on.
func TestMissingKindIsReported(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "list", Resource: "applications", Code: 404, Message: "the server could not find the requested resource"})
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
	ev := openEvents(t, serve(t, fa, nil)+"events")
	ev.until("Argo CD named as missing", snapshotWith(func(s Snapshot) bool {
		return len(s.Problems) == 1 && strings.Contains(s.Problems[0], "Applications: not served by this cluster (is Argo CD installed?)") &&
			len(s.Entries) == 1 && s.Entries[0].Name == "web"
	}))
}

// A step's log streams as one escaped line per event, then an end event.
func TestLogStream(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Succeeded"))
	fa.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "app-web-abcde-1", "namespace": "argo",
		"labels":      map[string]any{"workflows.argoproj.io/workflow": "app-web-abcde"},
		"annotations": map[string]any{"workflows.argoproj.io/node-name": "app-web-abcde.deploy"}}})
	fa.SetLog("argo", "app-web-abcde-1", "rolling out\n\x1b]0;pwned\x07done\n")
	base := serve(t, fa, nil)
	ev := openEvents(t, base+"events")
	ev.until("the run", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 }))
	if resp, _ := get(t, base+"logs?workflow=app-web-abcde&node=app-web-abcde.other", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the log of a node the page does not show: %d, want 404", resp.StatusCode)
	}
	logs := openEvents(t, base+"logs?workflow=app-web-abcde&node=app-web-abcde.deploy")
	var lines []string
	logs.until("the end of the log", func(name, data string) bool {
		if name == "line" {
			var l string
			_ = json.Unmarshal([]byte(data), &l)
			lines = append(lines, l)
		}
		return name == "end"
	})
	if got := strings.Join(lines, "\n"); got != "deploy: rolling out\ndeploy: ^[]0;pwned^Gdone" {
		t.Errorf("log lines:\n%q", got)
	}
}

// Open pages are bounded: one more than MaxViewers is refused, not served.
func TestViewersBounded(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	base := serve(t, fa, nil)
	for i := 0; i < MaxViewers; i++ {
		openEvents(t, base+"events")
	}
	if resp, _ := get(t, base+"events", ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("viewer %d: %d, want 429", MaxViewers+1, resp.StatusCode)
	}
}
