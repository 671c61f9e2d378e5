package testenv

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// TestExecutorSimulator holds the simulator of Argo's `argoexec resource` to what the
// end-to-end tests rely on, against a real API server: a running resource-step pod is
// performed once, with the pod's service account's rights (a step whose account may not
// create the object fails with the API server's refusal), its output parameter is read
// with kubectl's jsonpath into a completed WorkflowTaskResult, a failure condition that
// holds fails the step, and the pod is marked done with the step's exit code.
func TestExecutorSimulator(t *testing.T) {
	if _, err := Binaries(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := Start(ctx, t.TempDir(), Options{APIOnly: true})
	t.Cleanup(e.Stop)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "argo"
	for _, sa := range []string{"allowed", "denied"} {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "step"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "get", "list", "watch"}},
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch", "get"}}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, sa := range []string{"allowed", "denied"} {
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "step-" + sa}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "step"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}}
		if sa == "denied" { // may report outputs, may not create ConfigMaps
			rb.RoleRef.Name = "results-only"
			r := role.DeepCopy()
			r.Name, r.Rules = "results-only", r.Rules[1:]
			if _, err := cs.RbacV1().Roles(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	manifest := func(name, value string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: argo}\ndata: {color: " + value + "}\n"
	}
	pods := []struct {
		name, sa, action string
		tmpl             wfv1.Template
		wantExit         string
		wantMsg          string
	}{
		{"create-ok", "allowed", "create", wfv1.Template{Name: "c", Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: manifest("made-by-step", "blue")},
			Outputs: wfv1.Outputs{Parameters: []wfv1.Parameter{{Name: "color", ValueFrom: &wfv1.ValueFrom{JSONPath: "{.data.color}"}}}}}, "0", ""},
		{"create-denied", "denied", "create", wfv1.Template{Name: "c", Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: manifest("not-allowed", "red")}},
			"1", `cannot create resource "configmaps"`},
		{"failure-condition", "allowed", "create", wfv1.Template{Name: "c", Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: manifest("red-one", "red"),
			FailureCondition: "data.color == red"}}, "1", "failure condition"},
	}
	for _, p := range pods {
		tj, err := json.Marshal(p.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{labelWorkflow: "wf-sim"}},
			Spec: corev1.PodSpec{ServiceAccountName: p.sa, NodeName: "kwok-node-0", Containers: []corev1.Container{{Name: "main", Image: "x",
				Command: []string{"/var/run/argo/argoexec", "emissary", "--", "argoexec", "resource", p.action},
				Env:     []corev1.EnvVar{{Name: "ARGO_TEMPLATE", Value: string(tj)}, {Name: "ARGO_NODE_ID", Value: "wf-sim-" + p.name}, {Name: "ARGO_WORKFLOW_UID", Value: "uid-1"}}}}}}
		created, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created.Status.Phase = corev1.PodRunning // what kwok would report
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.startExecutor(); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		var ann map[string]string
		for ann[annDone] == "" {
			got, err := cs.CoreV1().Pods(ns).Get(ctx, p.name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ann = got.Annotations
			if ctx.Err() != nil {
				log, _ := os.ReadFile(filepath.Join(e.Dir, "run", "executor.log"))
				t.Fatalf("%s was never marked done; executor log:\n%s", p.name, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if ann[annExitCode] != p.wantExit || !strings.Contains(ann[annMessage], p.wantMsg) {
			t.Errorf("%s: exit %q message %q, want %q containing %q", p.name, ann[annExitCode], ann[annMessage], p.wantExit, p.wantMsg)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "made-by-step", metav1.GetOptions{}); err != nil {
		t.Errorf("the allowed step did not create its object: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "not-allowed", metav1.GetOptions{}); err == nil {
		t.Error("the denied step created its object: the simulator did not act as the pod's service account")
	}
	res, err := dyn.Resource(taskResultGVR).Namespace(ns).Get(ctx, "wf-sim-create-ok", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetLabels()[labelOutputsCompleted] != "true" {
		t.Errorf("the task result is not marked complete: %v", res.GetLabels())
	}
	params, _, _ := unstructured.NestedSlice(res.Object, "outputs", "parameters")
	if len(params) != 1 || params[0].(map[string]any)["value"] != "blue" {
		t.Errorf("output parameters %v, want color=blue", params)
	}
}
