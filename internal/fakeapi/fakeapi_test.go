package fakeapi

import (
	"context"
	"io"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

var wfs = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

func wf(name string) map[string]any {
	return map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"name": name, "namespace": "argo", "labels": map[string]any{"app.kubernetes.io/managed-by": "appflowc"}}}
}

// TestServesClientGo: client-go's dynamic and typed clients list (in pages), get, watch
// and read logs from the fake, and a fault meets the requests it names.
func TestServesClientGo(t *testing.T) {
	s := Start()
	t.Cleanup(s.Close)
	cfg := s.RESTConfig()
	dyn := dynamic.NewForConfigOrDie(cfg)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range []string{"a", "b", "c"} {
		s.Put("workflows", wf(n))
	}
	l, err := dyn.Resource(wfs).Namespace("argo").List(ctx, metav1.ListOptions{Limit: 2})
	if err != nil || len(l.Items) != 2 || l.GetContinue() == "" {
		t.Fatalf("first page: %v %v", l, err)
	}
	l, err = dyn.Resource(wfs).Namespace("argo").List(ctx, metav1.ListOptions{Limit: 2, Continue: l.GetContinue()})
	if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "c" || l.GetContinue() != "" {
		t.Fatalf("second page: %v %v", l, err)
	}
	w, err := dyn.Resource(wfs).Namespace("argo").Watch(ctx, metav1.ListOptions{ResourceVersion: l.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	s.Delete("workflows", "argo", "b")
	if ev := <-w.ResultChan(); ev.Type != watch.Deleted {
		t.Errorf("watch: %v", ev)
	}
	w.Stop()
	s.Put("pods", map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "argo"}, "status": map[string]any{"phase": "Running"}})
	s.SetLog("argo", "p", "hello\n")
	rc, err := cs.CoreV1().Pods("argo").GetLogs("p", &corev1.PodLogOptions{}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if string(b) != "hello\n" {
		t.Errorf("log %q", b)
	}
	s.Fail(Fault{Kind: Error, Verb: "get", Resource: "workflows", Code: 500, Message: "boom", Times: 1})
	if _, err := dyn.Resource(wfs).Namespace("argo").Get(ctx, "a", metav1.GetOptions{}); err == nil {
		t.Error("the fault did not meet the get")
	}
	if _, err := dyn.Resource(wfs).Namespace("argo").Get(ctx, "a", metav1.GetOptions{}); err != nil {
		t.Errorf("a fault of Times 1 met two requests: %v", err)
	}
	if n := len(s.Requests("list", "workflows")); n != 2 {
		t.Errorf("%d list requests counted, want 2", n)
	}
}
