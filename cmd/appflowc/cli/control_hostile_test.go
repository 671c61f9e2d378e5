package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/file"
	"github.com/argoproj/argo-workflows/v3/workflow/packer"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/fakeapi"
)

// patchable puts a proxy in front of the fake API server that also answers merge
// patches of workflows (the fake answers list, watch, get and delete only), applying
// them to the fake's object; the cluster's kubeconfig then points at the proxy.
func patchable(t *testing.T, c *cluster) {
	t.Helper()
	target, _ := url.Parse(c.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if r.Method != http.MethodPatch || len(p) != 7 || p[5] != "workflows" {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var out []byte
		var perr error
		c.Update("workflows", p[4], p[6], func(obj map[string]any) {
			cur, _ := json.Marshal(obj)
			merged, err := jsonpatch.MergePatch(cur, body)
			if err != nil {
				perr = err
				return
			}
			next := map[string]any{}
			if perr = json.Unmarshal(merged, &next); perr != nil {
				return
			}
			for k := range obj {
				delete(obj, k)
			}
			for k, v := range next {
				obj[k] = v
			}
			out = merged
		})
		if perr != nil || out == nil {
			http.Error(w, "patch", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	kc, err := os.ReadFile(c.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.kubeconfig, bytes.ReplaceAll(kc, []byte(c.URL), []byte(srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// stored reads the fake's workflow as Argo's controller reads it (its status hydrated).
func stored(t *testing.T, c *cluster, name string) *wfv1.Workflow {
	t.Helper()
	var wf wfv1.Workflow
	c.Update("workflows", "argo", name, func(obj map[string]any) {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &wf); err != nil {
			t.Fatal(err)
		}
	})
	if err := packer.DecompressWorkflow(&wf); err != nil {
		t.Fatal(err)
	}
	return &wf
}

// TestResumeOfACompressedStatus: Argo's controller compresses the node status of a large
// workflow into status.compressedNodes. resume (and stop --node-field-selector) read it
// decompressed, but patch the resumed suspend node into status.nodes beside it: the
// controller then sees status.nodes non-empty, does not decompress, and the workflow's
// status is one partial node (no name, type, children; the root gone). Argo's resume
// writes the whole node map back, compressed again (hydrator.Dehydrate).
func TestResumeOfACompressedStatus(t *testing.T) {
	c := newCluster(t)
	patchable(t, c)
	nodes, _ := json.Marshal(map[string]any{
		"wf-big": map[string]any{"id": "wf-big", "name": "wf-big", "displayName": "wf-big", "type": "Steps", "phase": "Running", "children": []any{"sg"}},
		"sg":     map[string]any{"id": "sg", "name": "wf-big[0]", "displayName": "[0]", "type": "StepGroup", "phase": "Running", "boundaryID": "wf-big", "children": []any{"ok"}},
		"ok":     map[string]any{"id": "ok", "name": "wf-big[0].approve", "displayName": "approve", "type": "Suspend", "phase": "Running", "boundaryID": "wf-big"},
	})
	c.Put("workflows", workflow("wf-big", map[string]any{"phase": "Running", "compressedNodes": file.CompressEncodeString(string(nodes))}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := c.run(t, ctx, "resume", "wf-big")
	wf := stored(t, c, "wf-big")
	ok := wf.Status.Nodes["ok"]
	if code == ExitOK && (ok.Phase != wfv1.NodeSucceeded || ok.Type != wfv1.NodeTypeSuspend || !wf.Status.Nodes.Has("wf-big") || !wf.Status.Nodes.Has("sg")) {
		t.Errorf("resume said %q (exit 0) and left a status the controller reads as %d node(s): %+v", strings.TrimSpace(out+errOut), len(wf.Status.Nodes), wf.Status.Nodes)
	}
}

// TestResumeWithNothingSuspended: Argo's ResumeWorkflow (workflow/util, v3.7.18) has no
// precondition: a workflow neither suspended nor holding a running suspend step is left
// as it is and argo resume exits 0 (so `argo resume $(argo list --running -o name)` and
// a repeated resume succeed). appflowc refuses it: "workflow X is not suspended", exit 1.
func TestResumeWithNothingSuspended(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("wf-run", map[string]any{"phase": "Running", "startedAt": "2026-01-02T03:04:05Z"}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code, out, errOut := c.run(t, ctx, "resume", "wf-run"); code != ExitOK {
		t.Errorf("resume of a running workflow with nothing suspended: exit %d (argo: 0)\n%s%s", code, out, errOut)
	}
}

// TestControlExitCodeOfAnOverloadedServer: a 429 "come back in an hour" and a garbage
// body are the cluster not answering, not a refusal of the action: wait, watch and
// stop --all (whose list meets them) exit 2 and say what to do next; suspend, retry and
// resubmit of a named workflow exit 1 ("could not be suspended") with no hint, against
// the same server. unanswered() knows net errors, deadlines and cut bodies only.
func TestControlExitCodeOfAnOverloadedServer(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("wf-run", map[string]any{"phase": "Running", "startedAt": "2026-01-02T03:04:05Z"}))
	c.Put("workflows", workflow("wf-failed", map[string]any{"phase": "Failed", "startedAt": "2026-01-02T03:04:05Z", "finishedAt": "2026-01-02T03:04:06Z"}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, kind := range []fakeapi.FaultKind{fakeapi.RetryAfter, fakeapi.Garbage} {
		c.Heal()
		c.Fail(fakeapi.Fault{Kind: kind})
		want, _, _ := c.run(t, ctx, "wait", "wf-run")
		for _, args := range [][]string{{"suspend", "wf-run"}, {"retry", "wf-failed"}, {"resubmit", "wf-failed"}} {
			if code, out, errOut := c.run(t, ctx, args...); code != want {
				t.Errorf("fault %d: %s: exit %d, where wait exits %d against the same server\n%s%s", kind, strings.Join(args, " "), code, want, out, errOut)
			}
		}
	}
}

// TestWatchOfACompressedStatus: a workflow whose node status Argo compressed (any large
// run: status.compressedNodes, the many-steps case the live view is for) is followed as
// if it had no step: no step tree, no counts, and wait/watch end with "wf-big Failed"
// without the failed step and its message (argo watch and argo wait hydrate the status
// first; apply.Control's workflowOf decompresses, the watch side does not).
func TestWatchOfACompressedStatus(t *testing.T) {
	c := newCluster(t)
	nodes, _ := json.Marshal(map[string]any{
		"wf-big": map[string]any{"id": "wf-big", "name": "wf-big", "displayName": "wf-big", "type": "Steps", "phase": "Failed", "children": []any{"sg"}},
		"sg":     map[string]any{"id": "sg", "name": "wf-big[0]", "displayName": "[0]", "type": "StepGroup", "phase": "Failed", "boundaryID": "wf-big", "children": []any{"dep"}},
		"dep":    map[string]any{"id": "dep", "name": "wf-big[0].deploy", "displayName": "deploy", "type": "Pod", "phase": "Failed", "boundaryID": "wf-big", "message": "exit code 3"},
	})
	c.Put("workflows", workflow("wf-big", map[string]any{"phase": "Failed", "startedAt": "2026-01-02T03:04:05Z", "finishedAt": "2026-01-02T03:04:06Z",
		"message": "child 'dep' failed", "compressedNodes": file.CompressEncodeString(string(nodes))}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, cmd := range []string{"watch", "wait"} {
		if code, out, errOut := c.run(t, ctx, cmd, "wf-big"); code != ExitFailed || !strings.Contains(out, "wf-big Failed: step deploy: exit code 3") {
			t.Errorf("%s of a failed run with a compressed status: exit %d\n%s%s", cmd, code, out, errOut)
		}
	}
}

// TestControlUsageErrors: a --node-field-selector that does not parse and a -p without
// "=" are bad usage (exit 2, before any request, as STYLE's "flags validated while
// parsing" asks); they are found per workflow after reading it, and exit 1 as if the
// cluster had refused the action.
func TestControlUsageErrors(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("wf-run", map[string]any{"phase": "Running", "startedAt": "2026-01-02T03:04:05Z"}))
	c.Put("workflows", workflow("wf-failed", map[string]any{"phase": "Failed", "startedAt": "2026-01-02T03:04:05Z", "finishedAt": "2026-01-02T03:04:06Z"}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"resume", "wf-run", "--node-field-selector", "displayName"},
		{"stop", "wf-run", "--node-field-selector", "displayName"},
		{"retry", "wf-failed", "--restart-successful", "--node-field-selector", "displayName"},
		{"retry", "wf-failed", "-p", "novalue"},
		{"resubmit", "wf-failed", "-p", "novalue"},
	} {
		if code, out, errOut := c.run(t, ctx, args...); code != ExitUsage {
			t.Errorf("%s: exit %d, want %d (usage)\n%s%s", strings.Join(args, " "), code, ExitUsage, out, errOut)
		}
	}
}

// TestWatchLogsOfAWideFanOut: watch --logs opens one followed log stream per running pod
// of the workflow, all at once, without bound: a withItems fan-out of 300 pods (or an
// API server that labels 100,000 pods with the workflow's name) is 300 concurrent
// requests, goroutines and connections (file descriptors run out near 1,024; kubectl
// logs -f refuses more than --max-log-requests=5 by default).
func TestWatchLogsOfAWideFanOut(t *testing.T) {
	c := newCluster(t)
	c.Put("workflows", workflow("wf-wide", map[string]any{"phase": "Running", "startedAt": "2026-01-02T03:04:05Z"}))
	for i := range 300 {
		name := fmt.Sprintf("wf-wide-%d", i)
		c.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": name, "namespace": "argo",
				"labels":      map[string]any{"workflows.argoproj.io/workflow": "wf-wide"},
				"annotations": map[string]any{"workflows.argoproj.io/node-name": fmt.Sprintf("wf-wide[0].fan(%d:x)", i)}},
			"status": map[string]any{"phase": "Running"}})
		c.SetLog("argo", name, "line\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { code, _, _ := c.run(t, ctx, "watch", "wf-wide", "--logs"); done <- code }()
	time.Sleep(3 * time.Second)
	open := len(c.Requests("log", "pods"))
	cancel()
	<-done
	if open > 64 {
		t.Errorf("watch --logs of a 300-pod fan-out opened %d log streams at once", open)
	}
}

// TestHydrateDecompressesOnce: a compressed node status is put into status.nodes once,
// read as it reads compressed, and a status that does not decode is left as it is.
func TestHydrateDecompressesOnce(t *testing.T) {
	nodes := map[string]any{"wf": map[string]any{"id": "wf", "name": "wf", "type": "Steps", "phase": "Running"}}
	data, _ := json.Marshal(nodes)
	u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "wf"},
		"status": map[string]any{"compressedNodes": file.CompressEncodeString(string(data))}}}
	want, _ := json.Marshal(apply.NodesOf(u))
	apply.Hydrate(u)
	status := u.Object["status"].(map[string]any)
	if _, ok := status["compressedNodes"]; ok {
		t.Error("compressedNodes kept beside the hydrated nodes")
	}
	if got, _ := json.Marshal(status["nodes"]); string(got) != string(want) || string(got) != string(data) {
		t.Errorf("hydrated nodes %s, want %s", got, want)
	}
	bad := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"compressedNodes": "not base64!"}}}
	apply.Hydrate(bad)
	if s := bad.Object["status"].(map[string]any); s["compressedNodes"] != "not base64!" || s["nodes"] != nil {
		t.Errorf("an undecodable status was changed: %v", s)
	}
}
