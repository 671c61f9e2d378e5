package wfcontrol

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// failedRun is the status Argo's controller writes for steps [[prepare]] [[deploy]]
// where deploy failed.
func failedRun() *wfv1.Workflow {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "run", Labels: map[string]string{"workflows.argoproj.io/completed": "true"}}}
	wf.Spec.Arguments.Parameters = []wfv1.Parameter{{Name: "code", Value: wfv1.AnyStringPtr("3")}}
	wf.Status.Phase = wfv1.WorkflowFailed
	t0 := metav1.NewTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	node := func(id, name, display string, typ wfv1.NodeType, phase wfv1.NodePhase, tmpl string, children ...string) wfv1.NodeStatus {
		n := wfv1.NodeStatus{ID: id, Name: name, DisplayName: display, Type: typ, Phase: phase, TemplateName: tmpl, Children: children, StartedAt: t0, FinishedAt: t0}
		if id != "run" {
			n.BoundaryID = "run"
		}
		return n
	}
	wf.Status.Nodes = wfv1.Nodes{
		"run":  node("run", "run", "run", wfv1.NodeTypeSteps, wfv1.NodeFailed, "main", "g0"),
		"g0":   node("g0", "run[0]", "[0]", wfv1.NodeTypeStepGroup, wfv1.NodeSucceeded, "", "prep"),
		"prep": node("prep", "run[0].prepare", "prepare", wfv1.NodeTypePod, wfv1.NodeSucceeded, "step", "g1"),
		"g1":   node("g1", "run[1]", "[1]", wfv1.NodeTypeStepGroup, wfv1.NodeFailed, "", "dep"),
		"dep":  node("dep", "run[1].deploy", "deploy", wfv1.NodeTypePod, wfv1.NodeFailed, "last"),
	}
	return wf
}

func TestRetryResetsTheFailedStepOnly(t *testing.T) {
	wf := failedRun()
	got, pods, err := Retry(context.Background(), wf, false, "", []string{"code=0"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != wfv1.WorkflowRunning || got.Labels["workflows.argoproj.io/completed"] != "" {
		t.Errorf("phase %s labels %v: the retried run is not running again", got.Status.Phase, got.Labels)
	}
	if p := got.Status.Nodes["prep"]; p.Phase != wfv1.NodeSucceeded || !p.StartedAt.Time.Equal(wf.Status.Nodes["prep"].StartedAt.Time) {
		t.Errorf("prepare was reset: %+v", p)
	}
	if _, ok := got.Status.Nodes["dep"]; ok {
		t.Errorf("the failed step's node is kept: %+v", got.Status.Nodes["dep"])
	}
	if want := GeneratePodName("run", "run[1].deploy", "last", "dep", PodNameV2); !slices.Equal(pods, []string{want}) {
		t.Errorf("pods to delete %v, want [%s]", pods, want)
	}
	if v := got.Spec.Arguments.Parameters[0].Value.String(); v != "0" {
		t.Errorf("-p code=0 gave code=%s", v)
	}
	// A run that did not fail is not retried without --restart-successful.
	wf.Status.Phase = wfv1.WorkflowSucceeded
	if _, _, err := Retry(context.Background(), wf, false, "", nil); err == nil {
		t.Error("a succeeded run was retried")
	}
}

// A status from a hostile or broken API server: Argo's walks would loop forever on a
// cycle, panic on a missing root; here each is an error.
func TestRetryRefusesBrokenStatus(t *testing.T) {
	for name, mutate := range map[string]func(*wfv1.Workflow){
		"cycle": func(wf *wfv1.Workflow) {
			n := wf.Status.Nodes["dep"]
			n.Children = []string{"g0"}
			wf.Status.Nodes["dep"] = n
		},
		"dangling child": func(wf *wfv1.Workflow) {
			n := wf.Status.Nodes["dep"]
			n.Children = []string{"nowhere"}
			wf.Status.Nodes["dep"] = n
		},
		"no root":   func(wf *wfv1.Workflow) { delete(wf.Status.Nodes, "run") },
		"offloaded": func(wf *wfv1.Workflow) { wf.Status.OffloadNodeStatusVersion = "v1" },
		"orphan": func(wf *wfv1.Workflow) {
			wf.Status.Nodes["lost"] = wfv1.NodeStatus{ID: "lost", Name: "lost", Type: wfv1.NodeTypePod, Phase: wfv1.NodeFailed}
		},
	} {
		wf := failedRun()
		mutate(wf)
		done := make(chan error, 1)
		go func() { _, _, err := Retry(context.Background(), wf, false, "", nil); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: retried", name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: retry did not return", name)
		}
	}
}

// A DAG of many diamonds: Argo's walk of descendants is exponential in them; here each
// node is visited once.
func TestRetryOfDiamondsIsLinear(t *testing.T) {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "run"}}
	wf.Status.Phase = wfv1.WorkflowFailed
	nodes := wfv1.Nodes{}
	prev := "run"
	nodes["run"] = wfv1.NodeStatus{ID: "run", Name: "run", Type: wfv1.NodeTypeDAG, Phase: wfv1.NodeFailed}
	for i := range 60 {
		a, b, j := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("j%d", i)
		p := nodes[prev]
		p.Children = []string{a, b}
		nodes[prev] = p
		for _, id := range []string{a, b} {
			nodes[id] = wfv1.NodeStatus{ID: id, Name: "run." + id, Type: wfv1.NodeTypePod, Phase: wfv1.NodeSucceeded, Children: []string{j}, BoundaryID: "run"}
		}
		nodes[j] = wfv1.NodeStatus{ID: j, Name: "run." + j, Type: wfv1.NodeTypePod, Phase: wfv1.NodeSucceeded, BoundaryID: "run"}
		prev = j
	}
	last := nodes[prev]
	last.Phase = wfv1.NodeFailed
	nodes[prev] = last
	wf.Status.Nodes = nodes
	done := make(chan error, 1)
	go func() { _, _, err := Retry(context.Background(), wf, true, "phase=Succeeded", nil); done <- err }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("retry of 60 diamonds did not return in 20 s")
	}
}

func TestResubmit(t *testing.T) {
	wf := failedRun()
	wf.GenerateName = "run-"
	wf.Spec.Shutdown = wfv1.ShutdownStrategyStop
	got, err := Resubmit(context.Background(), wf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "" || got.GenerateName != "run-" || got.Spec.Shutdown != "" || len(got.Status.Nodes) != 0 {
		t.Errorf("resubmission: name %q generateName %q shutdown %q nodes %d", got.Name, got.GenerateName, got.Spec.Shutdown, len(got.Status.Nodes))
	}
	if got.Labels["workflows.argoproj.io/resubmitted-from-workflow"] != "run" || got.Labels["workflows.argoproj.io/completed"] != "" {
		t.Errorf("labels %v", got.Labels)
	}
	mem, err := Resubmit(context.Background(), wf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := mem.Status.Nodes[mem.NodeID(mem.Name+"[0].prepare")]; n.Phase != wfv1.NodeSkipped {
		t.Errorf("memoized: prepare is %s, want Skipped (reused)", n.Phase)
	}
}

// FuzzRetry: no status makes Retry panic or hang.
func FuzzRetry(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 3, 3, 4}, uint8(5))
	f.Add([]byte{0, 1, 1, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, edges []byte, n uint8) {
		count := int(n%16) + 1
		wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "n0"}}
		wf.Status.Phase = wfv1.WorkflowFailed
		wf.Status.Nodes = wfv1.Nodes{}
		types := []wfv1.NodeType{wfv1.NodeTypeSteps, wfv1.NodeTypePod, wfv1.NodeTypeStepGroup, wfv1.NodeTypeRetry, wfv1.NodeTypeDAG}
		for i := range count {
			id := fmt.Sprintf("n%d", i)
			phase := wfv1.NodeSucceeded
			if i%3 == 2 {
				phase = wfv1.NodeFailed
			}
			wf.Status.Nodes[id] = wfv1.NodeStatus{ID: id, Name: id, Type: types[i%len(types)], Phase: phase}
		}
		for i := 0; i+1 < len(edges) && i < 64; i += 2 {
			from, to := fmt.Sprintf("n%d", int(edges[i])%count), fmt.Sprintf("n%d", int(edges[i+1])%(count+1))
			nd := wf.Status.Nodes[from]
			nd.Children = append(nd.Children, to)
			wf.Status.Nodes[from] = nd
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, _ = Retry(context.Background(), wf.DeepCopy(), true, "phase=Succeeded", nil)
			_, _ = Resubmit(context.Background(), wf.DeepCopy(), true, nil)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("hang")
		}
	})
}

// returnsWithin runs f and fails t if it has not returned within d (a hang or a walk
// exponential in the status).
func returnsWithin(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return in %s", what, d)
	}
}

// TestRetryOfANodeItsOwnBoundary: a step group whose boundaryID is its own ID (no
// controller writes it; an API server can) passes checkNodes (no cycle of children), and
// Argo's resetBoundaries then finds the boundary at the node it starts from, forever: a
// hang at 100% CPU that Ctrl-C does not reach (the walk never looks at ctx).
func TestRetryOfANodeItsOwnBoundary(t *testing.T) {
	wf := failedRun()
	g1 := wf.Status.Nodes["g1"]
	g1.BoundaryID = "g1"
	wf.Status.Nodes["g1"] = g1
	returnsWithin(t, 5*time.Second, "retry of a node that is its own boundary", func() {
		_, _, _ = Retry(context.Background(), wf, false, "", nil)
	})
}

// diamondsAllFailed is 40 diamonds of steps (a group of two steps, each leading to the
// next group, as Argo links steps) where every step failed: nothing below any step
// succeeded, so Argo's isDescendantNodeSucceeded walks every path, 2^40 of them.
func diamondsAllFailed(typ wfv1.NodeType) *wfv1.Workflow {
	wf := &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: "run", Labels: map[string]string{"workflows.argoproj.io/completed": "true"}}}
	wf.Status.Phase = wfv1.WorkflowFailed
	nodes := wfv1.Nodes{"run": {ID: "run", Name: "run", Type: wfv1.NodeTypeSteps, Phase: wfv1.NodeFailed, Children: []string{"g0"}}}
	for i := range 40 {
		g, a, b, next := fmt.Sprintf("g%d", i), fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("g%d", i+1)
		nodes[g] = wfv1.NodeStatus{ID: g, Name: fmt.Sprintf("run[%d]", i), Type: wfv1.NodeTypeStepGroup, Phase: wfv1.NodeFailed, Children: []string{a, b}, BoundaryID: "run"}
		for _, id := range []string{a, b} {
			nodes[id] = wfv1.NodeStatus{ID: id, Name: fmt.Sprintf("run[%d].%s", i, id), Type: typ, Phase: wfv1.NodeFailed, Children: []string{next}, BoundaryID: "run"}
		}
	}
	nodes["g40"] = wfv1.NodeStatus{ID: "g40", Name: "run[40]", Type: wfv1.NodeTypeStepGroup, Phase: wfv1.NodeFailed, BoundaryID: "run"}
	wf.Status.Nodes = nodes
	return wf
}

// TestRetryDescendantsWalkIsLinear: getChildren was made linear in diamonds, but
// isDescendantNodeSucceeded (called for every failed step by retry, and for every
// skipped node by a memoized resubmit) still walks every path below a node.
func TestRetryDescendantsWalkIsLinear(t *testing.T) {
	returnsWithin(t, 10*time.Second, "retry of 40 failed diamonds", func() {
		_, _, _ = Retry(context.Background(), diamondsAllFailed(wfv1.NodeTypePod), false, "", nil)
	})
}

func TestResubmitMemoizedDescendantsWalkIsLinear(t *testing.T) {
	returnsWithin(t, 10*time.Second, "memoized resubmit of 40 skipped diamonds", func() {
		_, _ = Resubmit(context.Background(), diamondsAllFailed(wfv1.NodeTypeSkipped), true, nil)
	})
}
