package ui

// A second hostile pass (over the first pass's fixes); each test failed before its fix.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/fakeapi"
)

// H1: Step.Node (new in 40a32ab) is neither escaped nor bounded: a run's node names reach
// every snapshot whole.
func TestNodeNamesBounded(t *testing.T) {
	long := strings.Repeat("n", 64<<10)
	nodes := map[string]any{"wf": map[string]any{"name": "wf", "displayName": "wf", "type": "Steps"}}
	var kids []any
	for i := 0; i < MaxSteps; i++ {
		id := fmt.Sprint("s", i)
		kids = append(kids, id)
		nodes[id] = map[string]any{"name": fmt.Sprint(long, i), "displayName": id, "type": "Pod", "phase": "Running"}
	}
	nodes["wf"].(map[string]any)["children"] = kids
	b, _ := json.Marshal(Snapshot{Entries: []Entry{{Name: "web", Runs: []Run{runOf(workflow("wf", "web", "pipeline", "Running", 1, nodes))}}}})
	t.Logf("one run of %d steps: a snapshot of %d bytes", MaxSteps, len(b))
	if len(b) > 1<<20 {
		t.Errorf("one run's snapshot is %.1f MiB (node names %d KiB each, uncut)", float64(len(b))/(1<<20), len(long)>>10)
	}
}

// H2: without a config, an entry known only by its CronWorkflow (its runs deleted by
// the TTL, or not yet run) has no kind, so its Application is not shown, although the
// CronWorkflow carries appflowc.dev/kind like the runs.
func TestCronOnlyEntryHasItsKind(t *testing.T) {
	st := newState()
	c := cronOf(obj(map[string]any{"metadata": map[string]any{"name": "app-web", "labels": map[string]any{
		"app.kubernetes.io/managed-by": "appflowc", "appflowc.dev/config": "web", "appflowc.dev/kind": "application"}},
		"spec": map[string]any{"schedules": []any{"0 * * * *"}}}))
	st.crons[c.Name] = c
	a := appOf(application("web", nil, nil, map[string]any{"health": map[string]any{"status": "Degraded", "message": "boom"}}))
	st.apps[a.Name] = a
	entries, _ := st.snapshot(nil, false)
	if len(entries) != 1 || entries[0].Kind != "application" || len(entries[0].Apps) != 1 {
		t.Errorf("cron-only entry: kind %q, %d Applications; want application, 1", entries[0].Kind, len(entries[0].Apps))
	}
}

// H3: two CronWorkflows naming one entry (a renamed or re-kinded entry, two configs in one
// namespace): which one the page shows changes from snapshot to snapshot (map order), so
// every unrelated change flips the card and re-sends a snapshot.
func TestCronChoiceIsDeterministic(t *testing.T) {
	st := newState()
	for _, n := range []string{"app-web", "infra-web"} {
		st.crons[n] = cronOf(obj(map[string]any{"metadata": map[string]any{"name": n, "labels": map[string]any{"appflowc.dev/config": "web"}},
			"spec": map[string]any{"schedules": []any{"0 * * * *"}}}))
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		e, _ := st.snapshot([]ConfigEntry{{Name: "web", Kind: "application"}}, true)
		seen[e[0].Cron.Name] = true
	}
	if len(seen) != 1 {
		t.Errorf("the same state shows CronWorkflow %v in turn", seen)
	}
}

// H4: while every watch ends at once, the problem the page names is cleared by the very
// re-list it announces (Listed, and Event for what the list finds changed): the page says
// all is well most of the time while changes come only once per three backoff steps.
func TestWatchProblemStaysWhileItLasts(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Fail(fakeapi.Fault{Kind: fakeapi.CloseAtOnce, Verb: "watch"})
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Running"))
	c, err := apply.NewClient(fa.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := wait.Backoff{Duration: 300 * time.Millisecond, Factor: 1, Steps: 1 << 30}
	l := newLive(c, Options{Namespace: "argo", ArgoCDNamespace: "argocd", Backoff: &b})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.run(ctx)
	with, without := 0, 0
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		named := strings.Contains(strings.Join(l.snapshot().Problems, "\n"), "ended as soon as it opened")
		switch {
		case named:
			with++
		case with > 0:
			without++
		}
	}
	t.Logf("after the problem was first named: %d samples with it, %d without (the fault never healed)", with, without)
	if without > 0 {
		t.Errorf("the watch problem disappears from the page while watches still end at once")
	}
}

// H5: the log of a finished step whose pod is gone (podGC OnPodSuccess, appflowc's
// default, deletes every succeeded step's pod) never ends while the run goes on: an
// empty panel, one of MaxLogStreams held with a workflow watch and a pod watch.
func TestLogOfGoneStepEnds(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	wf := workflow("app-web-abcde", "web", "application", "Running", 1, map[string]any{
		"app-web-abcde": map[string]any{"name": "app-web-abcde", "displayName": "app-web-abcde", "type": "Steps", "phase": "Running", "children": []any{"s1", "s2"}},
		"s1":            map[string]any{"name": "app-web-abcde.render", "displayName": "render", "type": "Pod", "phase": "Succeeded"},
		"s2":            map[string]any{"name": "app-web-abcde.deploy", "displayName": "deploy", "type": "Pod", "phase": "Running"},
	}).Object
	fa.Put("workflows", wf)
	base := serve(t, fa, nil)
	openEvents(t, base+"events").until("the run", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 }))
	logs := openEvents(t, base+"logs?workflow=app-web-abcde&node=app-web-abcde.render")
	select {
	case ev := <-logs.ch:
		t.Logf("first event: %v", ev)
	case <-time.After(4 * time.Second):
		t.Errorf("the log of a finished step with no pod: no event at all in 4 s (no end, no word of the pod being gone)")
	}
}

// H6: the cost of one snapshot grows with entries × Applications (each applicationset
// entry scans every Application), all entries before MaxEntries cuts; it is recomputed
// (under live.mu, which every watch event waits on) after each change.
func TestSnapshotCostFollowsWhatIsShown(t *testing.T) {
	st := newState()
	for i := 0; i < 2000; i++ {
		n := fmt.Sprint("r", i)
		st.runs[n] = runOf(workflow(n, fmt.Sprintf("set-%04d", i), "applicationset", "Running", 1, nil))
	}
	for i := 0; i < 20000; i++ {
		a := appOf(application(fmt.Sprint("a", i), map[string]any{"appflowc.dev/applicationset": fmt.Sprintf("set-%04d", i%2000)}, nil, nil))
		st.apps[a.Name] = a
	}
	start := time.Now()
	st.snapshot(nil, false)
	d := time.Since(start)
	t.Logf("2,000 applicationset entries, 20,000 Applications: one snapshot in %s", d)
	for n, r := range st.runs {
		r.kind = "pipeline"
		st.runs[n] = r
	}
	start = time.Now()
	st.snapshot(nil, false)
	t.Logf("the same entries as pipelines (no Application scan): %s", time.Since(start))
	if d > 100*time.Millisecond {
		t.Errorf("one snapshot takes %s", d)
	}
}

// H7: the attempts of a retried fanned-out step are drawn under one label: ShortStep cuts
// "deploy(0:a.yaml)(1)" to "deploy(0)", the retry suffix with the item; the page shows
// two "deploy(0)" buttons whose logs differ, and neither says which attempt it is.
func TestRetriedFanOutAttemptsApart(t *testing.T) {
	nodes := map[string]any{
		"wf": map[string]any{"name": "wf", "displayName": "wf", "type": "Steps", "phase": "Failed", "children": []any{"g0"}},
		"g0": map[string]any{"name": "wf[0]", "displayName": "[0]", "type": "StepGroup", "boundaryID": "wf", "children": []any{"r0"}},
		"r0": map[string]any{"name": "wf[0].deploy(0:a.yaml)", "displayName": "deploy(0:a.yaml)", "type": "Retry", "boundaryID": "wf", "children": []any{"p0", "p1"}},
		"p0": map[string]any{"name": "wf[0].deploy(0:a.yaml)(0)", "displayName": "deploy(0:a.yaml)(0)", "type": "Pod", "phase": "Failed", "boundaryID": "wf"},
		"p1": map[string]any{"name": "wf[0].deploy(0:a.yaml)(1)", "displayName": "deploy(0:a.yaml)(1)", "type": "Pod", "phase": "Failed", "boundaryID": "wf"},
	}
	r := runOf(workflow("wf", "web", "application", "Failed", 1, nodes))
	att := r.Steps.Children[0].Children[0].Children
	t.Logf("retry %q, attempts %q (node %s) and %q (node %s)", r.Steps.Children[0].Children[0].Name, att[0].Name, att[0].Node, att[1].Name, att[1].Node)
	if att[0].Name == att[1].Name {
		t.Errorf("two attempts both labelled %q", att[0].Name)
	}
}

// H8 (nit): MaxLogEvent bounds the text before JSON; json.Marshal writes '<', '>' and '&'
// as six bytes each, so one "line" event is up to ~6 × MaxLogEvent on the wire.
func TestLogEventBytesOnTheWire(t *testing.T) {
	fa := fakeapi.Start()
	t.Cleanup(fa.Close)
	fa.Put("workflows", managedWorkflow("app-web-abcde", "web", "Succeeded"))
	fa.Put("pods", stepPod("app-web-abcde", "app-web-abcde-1", "app-web-abcde.deploy"))
	fa.SetLog("argo", "app-web-abcde-1", strings.Repeat("<", 1<<20)+"\n")
	base := serve(t, fa, nil)
	openEvents(t, base+"events").until("the run", snapshotWith(func(s Snapshot) bool { return len(s.Entries) == 1 }))
	openEvents(t, base+"logs?workflow=app-web-abcde&node=app-web-abcde.deploy").until("a line", func(name, data string) bool {
		if name == "line" {
			t.Logf("one line event: %d bytes of data (MaxLogEvent %d)", len(data), MaxLogEvent)
			if len(data) > 2*MaxLogEvent {
				t.Errorf("a line event of %d bytes", len(data))
			}
		}
		return name == "line"
	})
}
