package apply

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestStatusLine(t *testing.T) {
	for in, want := range map[string]string{
		"validate-inputs":       "validate-inputs",
		"verify-application(0)": "verify-application(0)",
		"validate-environment(1:cluster:https://kubernetes.default.svc,name:staging,namespace:shop-staging)": "validate-environment(1)",
		// An attempt of a retried fanned-out step keeps its attempt number: attempts apart.
		"verify-secret(0:keys:[\"password\"],name:db)(0)": "verify-secret(0)(0)",
		"deploy(0:a.yaml)(1)":                             "deploy(0)(1)",
		"deploy(2:f(x))":                                  "deploy(2)",
	} {
		if got := ShortStep(in); got != want {
			t.Errorf("ShortStep(%q) = %q, want %q", in, got, want)
		}
	}
	nodes := map[string]any{}
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		nodes[n] = map[string]any{"type": "Pod", "phase": "Running", "displayName": n + "(" + string(rune('0'+i)) + ":x)"}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "wf-1"},
		"status":   map[string]any{"phase": "Running", "progress": "1/6", "nodes": nodes},
	}}
	// Progress is counted from the steps (five running: 0/5), not Argo's status.progress.
	if got, want := statusLine(u, nil), "wf-1  Running  0/5  step: a(0),b(1),c(2),+2 more"; got != want {
		t.Errorf("statusLine = %q, want %q", got, want)
	}
	if got := statusLine(u, func(p string) string { return "<" + p + ">" }); !strings.Contains(got, "  <Running>  ") {
		t.Errorf("painted statusLine = %q", got)
	}
	// Every field is the cluster's: escaped, so a progress line cannot retitle the
	// terminal, clear it or add a line.
	evil := "\x1b]0;t\x07\x1b[2J\n\u202e"
	nodes["a"] = map[string]any{"type": "Pod", "phase": "Running", "displayName": "a" + evil}
	h := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "wf" + evil},
		"status":   map[string]any{"phase": "Running" + evil, "progress": "1/2" + evil, "nodes": nodes},
	}}
	if got := statusLine(h, nil); strings.ContainsAny(got, "\x1b\x07\n\u202e") || !strings.Contains(got, "wf^[]0;t^G^[[2J\\n<U+202E>") {
		t.Errorf("hostile statusLine = %q", got)
	}
}

// TestFinishedAtEndsTheWatch: a workflow has finished once Argo set finishedAt, whatever
// its phase string; without it, only a final phase counts.
func TestFinishedAtEndsTheWatch(t *testing.T) {
	wf := func(status map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "wf"}, "status": status}}
	}
	if oc, done := OutcomeOf(wf(map[string]any{"phase": "Archived", "finishedAt": "2026-01-02T03:04:05Z"})); !done || oc.Phase != "Archived" {
		t.Errorf("finishedAt in an unknown phase: %+v %t", oc, done)
	}
	if oc, done := OutcomeOf(wf(map[string]any{"finishedAt": "2026-01-02T03:04:05Z"})); !done || oc.Phase != "Unknown" {
		t.Errorf("finishedAt without a phase: %+v %t", oc, done)
	}
	if _, done := OutcomeOf(wf(map[string]any{"phase": "Archived"})); done {
		t.Error("an unknown phase without finishedAt counted as finished")
	}
}

// TestOutcomeDiagnosis: a failed workflow's outcome names the earliest failed step and
// carries the exit handler's "diagnosis" outputs (deduplicated); a succeeded one has none.
func TestOutcomeDiagnosis(t *testing.T) {
	node := func(name, phase, finished string, params ...map[string]any) map[string]any {
		n := map[string]any{"type": "Pod", "phase": phase, "displayName": name, "finishedAt": finished, "message": name + " says no"}
		if len(params) > 0 {
			ps := []any{}
			for _, p := range params {
				ps = append(ps, p)
			}
			n["outputs"] = map[string]any{"parameters": ps}
		}
		return n
	}
	diag := map[string]any{"name": "diagnosis", "value": "chart version 9.9.9 not found\n"}
	wf := func(phase string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "wf-1"},
			"status": map[string]any{"phase": phase, "nodes": map[string]any{
				"a": node("wait-healthy", "Failed", "2026-01-01T00:00:02Z"),
				"b": node("later", "Failed", "2026-01-01T00:00:09Z"),
				"c": node("diagnose", "Succeeded", "2026-01-01T00:00:05Z", diag, map[string]any{"name": "other", "value": "x"}),
				"d": node("diagnose-again", "Succeeded", "2026-01-01T00:00:06Z", diag, map[string]any{"name": "diagnosis", "value": ""}),
			}},
		}}
	}
	oc, done := OutcomeOf(wf("Failed"))
	if !done || oc.Failed != "wait-healthy" || oc.Message != "wait-healthy says no" {
		t.Errorf("outcome = %+v", oc)
	}
	if len(oc.Diagnosis) != 1 || oc.Diagnosis[0] != "chart version 9.9.9 not found" {
		t.Errorf("diagnosis = %q", oc.Diagnosis)
	}
	if oc, _ := OutcomeOf(wf("Succeeded")); oc.Diagnosis != nil {
		t.Errorf("a succeeded workflow has a diagnosis: %q", oc.Diagnosis)
	}
	if _, done := OutcomeOf(wf("Running")); done {
		t.Error("a running workflow counted as finished")
	}
}

// TestStepName: a pod's step is the last dot-separated part of its node name, where a
// loop item's own dots (file names, URLs) do not count.
func TestStepName(t *testing.T) {
	for node, want := range map[string]string{
		"app-web-x[0].validate-inputs": "validate-inputs",
		`appset-shop-6h4qw[3].wait-application(0:cluster:https://kubernetes.default.svc,name:dev,valueFiles:["values-dev.yaml"])(0)`: `wait-application(0:cluster:https://kubernetes.default.svc,name:dev,valueFiles:["values-dev.yaml"])(0)`,
		"plain": "plain",
	} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pod-1", Annotations: map[string]string{"workflows.argoproj.io/node-name": node}}}
		if got := stepName(p); got != want {
			t.Errorf("stepName(%q) = %q, want %q", node, got, want)
		}
		if got := ShortStep(stepName(p)); strings.Contains(got, ":") {
			t.Errorf("log prefix of %q is %q", node, got)
		}
	}
	if got := stepName(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pod-1"}}); got != "pod-1" {
		t.Errorf("a pod without node name: %q", got)
	}
}
