package ui

// What a hostile or broken cluster, or a stalled browser, can do to the page, found by
// a hostile tester; each test failed before its fix.

import (
	"context"
	"encoding/json"
	"fmt"
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

// Times that time.Parse takes and JSON refuses ("+24:00", year 0 once made local) are
// made encodable: one such Workflow used to stop every snapshot for every page.
func TestOddTimestampsDoNotFreezeThePage(t *testing.T) {
	bad := managedWorkflow("app-evil-abcde", "evil", "Running")
	bad["status"].(map[string]any)["startedAt"] = "2026-01-01T00:00:00+24:00"
	bad["metadata"].(map[string]any)["creationTimestamp"] = "0000-01-01T00:00:00+14:00"
	if _, err := json.Marshal(runOf(obj(bad))); err != nil {
		t.Errorf("a run with odd times does not encode: %v", err)
	}
	cron := obj(map[string]any{"metadata": map[string]any{"name": "c"}, "status": map[string]any{"lastScheduledTime": "2026-01-01T00:00:00-24:00"}})
	if _, err := json.Marshal(cronOf(cron)); err != nil {
		t.Errorf("a CronWorkflow with an odd time does not encode: %v", err)
	}
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
	fa.Put("workflows", bad)
	ev := openEvents(t, serve(t, fa, nil)+"events")
	ev.until("both runs", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 2 }))
	fa.Update("workflows", "argo", "app-web-abcde", func(o map[string]any) { o["status"].(map[string]any)["phase"] = "Succeeded" })
	ev.until("the change after it", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 2 && s.Entries[1].Runs[0].Phase == "Succeeded" }))
}

// What one snapshot carries is bounded whatever the cluster holds.
func TestSnapshotIsBounded(t *testing.T) {
	// A run of 50 failed steps, each with a long message and a diagnosis.
	nodesOf := func(root string) map[string]any {
		nodes := map[string]any{}
		var kids []any
		for i := 0; i < 50; i++ {
			id := fmt.Sprint("n", i)
			kids = append(kids, id)
			nodes[id] = map[string]any{"displayName": id, "type": "Pod", "phase": "Failed", "message": strings.Repeat("m", 4000),
				"outputs": map[string]any{"parameters": []any{map[string]any{"name": "diagnosis", "value": fmt.Sprint(i)}}}}
		}
		nodes[root] = map[string]any{"displayName": root, "type": "Steps", "phase": "Failed", "children": kids}
		return nodes
	}
	r := runOf(workflow("wf", "web", "application", "Failed", 1, nodesOf("wf")))
	if len(r.Diagnosis) != MaxDiagnoses || len(r.Steps.Children[0].Message) > maxStepMessage+4 {
		t.Errorf("%d diagnoses (want %d), a step message of %d bytes", len(r.Diagnosis), MaxDiagnoses, len(r.Steps.Children[0].Message))
	}

	st := newState()
	for i := 1; i < MaxEntries+10; i++ {
		name := fmt.Sprint("w", i)
		st.runs[name] = runOf(workflow(name, fmt.Sprintf("entry-%04d", i), "pipeline", "Running", 1, nodesOf(name)))
	}
	for i := 0; i < 3; i++ { // older runs of one entry: the page draws the newest's steps only
		name := fmt.Sprint("set-run-", i)
		st.runs[name] = runOf(workflow(name, "entry-0000", "applicationset", "Running", 2+i, nodesOf(name)))
	}
	for i := 0; i < MaxApps+5; i++ {
		a := appOf(application(fmt.Sprint("app-", i), map[string]any{"appflowc.dev/applicationset": "entry-0000"},
			map[string]any{"appflowc.dev/applied-by": "\x1b[2J" + strings.Repeat("y", 100000)}, nil))
		st.apps[a.Name] = a
	}
	entries, hidden := st.snapshot(nil, false)
	if len(entries) != MaxEntries || hidden != 10 {
		t.Errorf("%d entries shown, %d hidden; want %d and 10", len(entries), hidden, MaxEntries)
	}
	first := entries[0]
	if first.Name != "entry-0000" || len(first.Runs) != 3 || first.Runs[0].Steps == nil || first.Runs[1].Steps != nil {
		t.Errorf("entry %s: %d runs, steps on the newest %v, on the next %v", first.Name, len(first.Runs), first.Runs[0].Steps != nil, first.Runs[1].Steps != nil)
	}
	if len(first.Apps) != MaxApps || first.HiddenApps != 5 {
		t.Errorf("%d Applications shown, %d hidden", len(first.Apps), first.HiddenApps)
	}
	steps := 0
	for _, e := range entries {
		for _, r := range e.Runs {
			steps += size(r.Steps)
		}
	}
	if steps > MaxSnapshotSteps {
		t.Errorf("%d steps in one snapshot", steps)
	}
	b, _ := json.Marshal(Snapshot{Entries: entries})
	if strings.Contains(string(b), "yyyy") || strings.Contains(string(b), "\x1b") {
		t.Error("the applied-by annotation reaches the page")
	}
}

func stepPod(wf, pod, node string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": pod, "namespace": "argo",
		"labels":      map[string]any{"workflows.argoproj.io/workflow": wf},
		"annotations": map[string]any{"workflows.argoproj.io/node-name": node}},
		"status": map[string]any{"phase": "Running"}}
}

// A log line is cut at MaxLogEvent (three 1 MiB lines used to be ~5 MB events each).
func TestLogLinesAreCut(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Succeeded"))
	fa.Put("pods", stepPod("app-web-abcde", "app-web-abcde-1", "app-web-abcde.deploy"))
	fa.SetLog("argo", "app-web-abcde-1", strings.Repeat(strings.Repeat("\x9b", 1<<20)+"\n", 3))
	base := serve(t, fa, nil)
	openEvents(t, base+"events").until("the run", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 }))
	lines := 0
	openEvents(t, base+"logs?workflow=app-web-abcde&node=app-web-abcde.deploy").until("the end", func(name, data string) bool {
		if name == "line" {
			lines++
			var l string
			_ = json.Unmarshal([]byte(data), &l)
			if len(l) > MaxLogEvent+64 || !strings.HasSuffix(l, " bytes cut)") {
				t.Errorf("a log event of %d bytes, ending %q", len(l), l[max(0, len(l)-30):])
			}
		}
		return name == "end"
	})
	if lines != 3 {
		t.Errorf("%d lines, want 3", lines)
	}
}

// Logs are served only of the steps the page shows, and one step is one pod stream.
func TestLogsOnlyOfShownSteps(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Put("workflows", managedWorkflow("app-other-abcde", "other", "Running"))
	for i := 0; i < RunsPerEntry+1; i++ {
		w := managedWorkflow(fmt.Sprintf("app-web-%d", i), "web", "Running")
		w["metadata"].(map[string]any)["creationTimestamp"] = fmt.Sprintf("2026-01-02T03:%02d:00Z", i)
		fa.Put("workflows", w)
	}
	for _, wf := range []string{"app-other-abcde", "app-web-0", "app-web-5"} {
		for i := 0; i < 20; i++ { // pods claiming the same node: one stream
			pod := fmt.Sprint(wf, "-", i)
			fa.Put("pods", stepPod(wf, pod, wf+".deploy"))
			fa.SetLog("argo", pod, "line of "+pod+"\n")
		}
	}
	base := serve(t, fa, []ConfigEntry{{Name: "web", Kind: "application"}})
	openEvents(t, base+"events").until("web's runs", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 && len(s.Entries[0].Runs) == RunsPerEntry }))
	for _, wf := range []string{"app-other-abcde", "app-web-0"} { // another entry's; one beyond RunsPerEntry
		if resp, _ := get(t, base+"logs?workflow="+wf+"&node="+wf+".deploy", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the log of %s, not on the page: %d, want 404", wf, resp.StatusCode)
		}
	}
	var got []string
	openEvents(t, base+"logs?workflow=app-web-5&node=app-web-5.deploy").until("a line", func(name, data string) bool {
		got = append(got, data)
		return name == "line"
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(fa.Requests("log", "")); n != 1 {
		t.Errorf("one step's log opened %d pod log streams", n)
	}
}

// Serve returns within the CLI's Ctrl-C grace (1 s) whatever the browsers do: a
// connection that never sent a request, a log reader that stopped reading.
func TestServeStopsPromptly(t *testing.T) {
	for _, c := range []struct {
		name    string
		request bool
	}{{"a connection that has sent nothing (a browser's preconnect)", false}, {"a log reader that stopped reading", true}} {
		t.Run(c.name, func(t *testing.T) {
			fa := fakeapi.Start()
			t.Cleanup(fa.Close)
			fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
			fa.Put("pods", stepPod("app-web-abcde", "app-web-abcde-1", "app-web-abcde.deploy"))
			fa.SetLog("argo", "app-web-abcde-1", strings.Repeat(strings.Repeat("x", 1000)+"\n", 20000))
			cl, err := apply.NewClient(fa.RESTConfig())
			if err != nil {
				t.Fatal(err)
			}
			fast := wait.Backoff{Duration: 20 * time.Millisecond, Factor: 1, Steps: math.MaxInt32}
			srv, _ := NewServer(cl, Options{Namespace: "argo", ArgoCDNamespace: "argocd", Token: token, Backoff: &fast})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln) }()
			defer cancel()
			base := srv.URL(ln)
			openEvents(t, base+"events").until("the run", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 }))
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if c.request {
				fmt.Fprintf(conn, "GET /%s/logs?workflow=app-web-abcde&node=app-web-abcde.deploy HTTP/1.1\r\nHost: %s\r\n\r\n", token, ln.Addr())
				time.Sleep(time.Second) // the socket buffers fill; the handler blocks in a write
			}
			start := time.Now()
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Serve did not return")
			}
			if d := time.Since(start); d > 800*time.Millisecond {
				t.Errorf("Serve returned %s after its context ended: the CLI gives a second", d)
			}
		})
	}
}

// Watches that end as soon as they open (a proxy's timeout) still bring changes (by
// listing again), and the page says what is wrong.
func TestWatchesThatEndAtOnce(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Fail(fakeapi.Fault{Kind: fakeapi.CloseAtOnce, Verb: "watch"})
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
	ev := openEvents(t, serve(t, fa, nil)+"events")
	ev.until("the run, and the problem named", snapshotWith(func(s Snapshot) bool {
		return len(s.Entries) == 1 && strings.Contains(strings.Join(s.Problems, "\n"), "ended as soon as it opened")
	}))
	fa.Update("workflows", "argo", "app-web-abcde", func(o map[string]any) { o["status"].(map[string]any)["phase"] = "Succeeded" })
	ev.until("the change, by a list", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 && s.Entries[0].Runs[0].Phase == "Succeeded" }))
	fa.Heal()
	ev.until("the problem gone once a watch works", snapshotWith(func(s Snapshot) bool { return len(s.Problems) == 0 }))
}
