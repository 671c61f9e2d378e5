package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(m map[string]any) *unstructured.Unstructured { return &unstructured.Unstructured{Object: m} }

// workflow is a Workflow of entry with the given phase, created at minute min, and
// status.nodes as given.
func workflow(name, entry, kind, phase string, min int, nodes map[string]any) *unstructured.Unstructured {
	st := map[string]any{"phase": phase, "progress": "1/2", "startedAt": "2026-01-02T03:04:05Z"}
	if phase == "Succeeded" || phase == "Failed" {
		st["finishedAt"] = "2026-01-02T03:05:05Z"
	}
	if nodes != nil {
		st["nodes"] = nodes
	}
	return obj(map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"name": name, "namespace": "argo", "creationTimestamp": fmt.Sprintf("2026-01-02T03:%02d:00Z", min),
			"labels": map[string]any{"app.kubernetes.io/managed-by": "appflowc", "appflowc.dev/config": entry, "appflowc.dev/kind": kind}},
		"status": st})
}

func application(name string, labels, annotations map[string]any, status map[string]any) *unstructured.Unstructured {
	return obj(map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": "argocd", "labels": labels, "annotations": annotations},
		"status":   status})
}

// What the cluster says reaches the page escaped: terminal escapes and bidi overrides
// visible, not acted on; huge messages cut.
func TestClusterTextIsEscapedAndBounded(t *testing.T) {
	nodes := map[string]any{
		"wf\x1b[2J": map[string]any{"displayName": "wf", "type": "Steps", "phase": "Failed", "children": []any{"s1"}},
		"s1":        map[string]any{"displayName": "deploy\u202e", "type": "Pod", "phase": "Failed", "message": "boom\x1b]52;c;aGk=\x07" + strings.Repeat("x", 10000), "finishedAt": "2026-01-02T03:05:00Z"},
	}
	u := workflow("wf\x1b[2J", "web", "application", "Failed", 1, nodes)
	r := runOf(u)
	b, _ := json.Marshal(r)
	for _, bad := range []string{"\x1b", "\u202e", "\x07"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("run JSON holds %q raw: %s", bad, b[:200])
		}
	}
	if !strings.Contains(r.Name, "^[") || r.Failed != "deploy<U+202E>" {
		t.Errorf("name %q, failed %q: want escapes shown", r.Name, r.Failed)
	}
	if len(r.Message) > maxMessage+8 || !strings.HasSuffix(r.Message, "…") {
		t.Errorf("message of %d bytes not cut at %d", len(r.Message), maxMessage)
	}
	a := appOf(application("a\x1b[31m", nil, nil, map[string]any{"health": map[string]any{"status": "Degraded", "message": "\u2066evil\u2069"}}))
	if strings.ContainsAny(a.Name+a.Message, "\x1b\u2066\u2069") {
		t.Errorf("app %+v not escaped", a)
	}
}

// A run with more nodes than MaxSteps shows MaxSteps of them and says how many it left out.
func TestStepsAreBounded(t *testing.T) {
	nodes := map[string]any{}
	var kids []any
	for i := 0; i < MaxSteps+50; i++ {
		id := fmt.Sprintf("n%d", i)
		kids = append(kids, id)
		nodes[id] = map[string]any{"displayName": id, "type": "Pod", "phase": "Succeeded"}
	}
	nodes["wf"] = map[string]any{"displayName": "wf", "type": "Steps", "phase": "Running", "children": kids}
	r := runOf(workflow("wf", "web", "application", "Running", 1, nodes))
	shown := 0
	var walk func(s *Step)
	walk = func(s *Step) {
		shown++
		for _, c := range s.Children {
			walk(c)
		}
	}
	walk(r.Steps)
	if shown != MaxSteps || r.Hidden != 51 {
		t.Errorf("shown %d steps, hidden %d; want %d and 51", shown, r.Hidden, MaxSteps)
	}
}

// Entries join their runs (newest first, at most RunsPerEntry), their CronWorkflow and
// the Applications they own; nothing of another entry, and with a config nothing of an
// entry it does not have.
func TestSnapshotJoinsEntriesRunsAndApplications(t *testing.T) {
	st := newState()
	for i := 0; i < RunsPerEntry+2; i++ {
		r := runOf(workflow(fmt.Sprintf("app-web-%d", i), "web", "application", "Succeeded", i, nil))
		st.runs[r.Name] = r
	}
	for _, u := range []*unstructured.Unstructured{
		workflow("appset-shop-1", "shop", "applicationset", "Running", 1, nil),
		workflow("app-other-1", "other", "application", "Failed", 1, nil),
	} {
		st.runs[u.GetName()] = runOf(u)
	}
	healthy := map[string]any{"sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}
	for _, u := range []*unstructured.Unstructured{
		application("web", nil, map[string]any{"appflowc.dev/applied-by": "app-web-6"}, healthy),
		application("shop-dev", map[string]any{"appflowc.dev/applicationset": "shop"}, nil, healthy),
		application("shop-prod", map[string]any{"appflowc.dev/applicationset": "shop"}, nil,
			map[string]any{"sync": map[string]any{"status": "OutOfSync"}, "conditions": []any{map[string]any{"type": "ComparisonError", "message": "chart not found"}}}),
		application("other", nil, nil, healthy),
	} {
		st.apps[u.GetName()] = appOf(u)
	}
	st.crons["web-nightly"] = Cron{Name: "web-nightly", Schedule: "0 3 * * *", entry: "web"}
	config := []ConfigEntry{{Name: "web", Kind: "application", Source: "apps.cue:3:2"}, {Name: "shop", Kind: "applicationset"}, {Name: "idle", Kind: "application"}}

	got, _ := st.snapshot(config, true)
	names := []string{}
	for _, e := range got {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "idle,shop,web" {
		t.Fatalf("entries %v: want the config's, by name, and no run-only entry", names)
	}
	idle, shop, web := got[0], got[1], got[2]
	if len(idle.Runs) != 0 || len(idle.Apps) != 0 {
		t.Errorf("idle has %+v", idle)
	}
	if len(web.Runs) != RunsPerEntry || web.Runs[0].Name != "app-web-6" || web.Runs[RunsPerEntry-1].Name != "app-web-2" {
		t.Errorf("web's runs %v: want the %d newest, newest first", runNames(web.Runs), RunsPerEntry)
	}
	if len(web.Apps) != 1 || web.Apps[0].Name != "web" || web.Cron == nil || web.Cron.Schedule != "0 3 * * *" || web.Source != "apps.cue:3:2" {
		t.Errorf("web: apps %+v cron %+v source %q", web.Apps, web.Cron, web.Source)
	}
	if len(shop.Apps) != 2 || shop.Apps[0].Name != "shop-dev" || shop.Apps[1].Message != "ComparisonError: chart not found" {
		t.Errorf("shop's apps %+v: want its two generated Applications, the failing one with its condition", shop.Apps)
	}

	// Without a config: every entry a run names.
	got, _ = st.snapshot(nil, false)
	names = names[:0]
	for _, e := range got {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "other,shop,web" {
		t.Errorf("entries without a config: %v", names)
	}
}

func runNames(rs []Run) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestRunOutcome(t *testing.T) {
	nodes := map[string]any{
		"wf": map[string]any{"displayName": "wf", "type": "Steps", "phase": "Failed", "children": []any{"w"}},
		"w": map[string]any{"displayName": "wait-healthy(0)", "type": "Pod", "phase": "Failed", "message": "failure condition met", "finishedAt": "2026-01-02T03:05:00Z",
			"outputs": map[string]any{"parameters": []any{map[string]any{"name": "diagnosis", "value": `Failed to load target state: chart "demo" version "9.9.9" not found`}}}},
	}
	r := runOf(workflow("wf", "broken", "application", "Failed", 1, nodes))
	if r.Failed != "wait-healthy(0)" || r.Message != "failure condition met" || len(r.Diagnosis) != 1 || !strings.Contains(r.Diagnosis[0], "9.9.9") {
		t.Errorf("run %+v: want the failed step, its message and Argo CD's diagnosis", r)
	}
	if r.Finished.Sub(r.Started) != time.Minute {
		t.Errorf("started %v finished %v", r.Started, r.Finished)
	}
}
