package testenv

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

var workflows = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

// TestStackRunsAWorkflow starts the whole control plane and has the real Argo controller
// run a Workflow to completion on kwok's fake node: once succeeding, once failing with
// the exit code set through the pod annotation kwok reads.
func TestStackRunsAWorkflow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := Start(ctx, t.TempDir())
	defer env.Stop()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"0": "Succeeded", "3": "Failed"} {
		var obj map[string]any
		src := `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: smoke-, namespace: argo}
spec:
  entrypoint: main
  templates:
  - name: main
    metadata: {annotations: {sim.ctlplane/exit-code: "` + code + `"}}
    container: {image: "docker.io/library/busybox:1.37.0", command: [sh, -c, "exit ` + code + `"]}
`
		if err := yaml.Unmarshal([]byte(src), &obj); err != nil {
			t.Fatal(err)
		}
		created, err := dc.Resource(workflows).Namespace("argo").Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		phase := ""
		for ctx.Err() == nil {
			got, err := dc.Resource(workflows).Namespace("argo").Get(ctx, created.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			phase, _, _ = unstructured.NestedString(got.Object, "status", "phase")
			if phase == "Succeeded" || phase == "Failed" || phase == "Error" {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if phase != want {
			t.Fatalf("exit code %s: workflow phase %q, want %q\ncontroller:\n%s\nkwok:\n%s", code, phase, want, env.Log("workflow-controller"), env.Log("kwok"))
		}
	}
}
