package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/appflowc/appflowc/apply"
)

// TestAHugeAnswerIsRefused: a hostile API server that ignores the page size and sends a
// list larger than MaxResponseBytes gets ResponseTooLargeError, not a client that holds
// whatever it is sent; an answer within the bound (exactly at it included) is read whole.
// The CLI's clients take the bound from DefaultClientOptions.
func TestAHugeAnswerIsRefused(t *testing.T) {
	var size int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		head := `{"apiVersion":"argoproj.io/v1alpha1","kind":"WorkflowTemplateList","metadata":{"resourceVersion":"1"},"items":[],"pad":"`
		tail := `"}`
		fmt.Fprint(w, head+strings.Repeat("x", size-len(head)-len(tail))+tail)
	}))
	defer srv.Close()
	const max = 1 << 20
	c, err := apply.NewClientWithOptions(&rest.Config{Host: srv.URL}, apply.ClientOptions{RequestTimeout: 10 * time.Second, MaxResponseBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	each := func() error {
		return c.EachTemplate(context.Background(), "argo", 10, func(*unstructured.Unstructured, bool) {})
	}
	for _, n := range []int{max / 2, max} {
		size = n
		if err := each(); err != nil {
			t.Errorf("a %d-byte answer: %v", n, err)
		}
	}
	size = 2 * max
	var tooLarge *apply.ResponseTooLargeError
	if err := each(); !errors.As(err, &tooLarge) {
		t.Errorf("a %d-byte answer: got %v, want ResponseTooLargeError", size, err)
	}
	if apply.DefaultClientOptions().MaxResponseBytes <= 0 {
		t.Error("the CLI's clients have no bound on an answer's size")
	}
}

// TestAnObjectNamedLogIsCapped: only a pod's log is a stream; a Workflow or a
// WorkflowTemplate that happens to be named "log" is an object like any other, and its
// answer is bounded (the path's "/log" suffix made it a stream: read whole, unbounded).
func TestAnObjectNamedLogIsCapped(t *testing.T) {
	const max = 1 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		head := `{"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","metadata":{"name":"log","namespace":"argo"},"pad":"`
		fmt.Fprint(w, head+strings.Repeat("x", 2*max)+`"}`)
	}))
	defer srv.Close()
	c, err := apply.NewClientWithOptions(&rest.Config{Host: srv.URL}, apply.ClientOptions{RequestTimeout: 10 * time.Second, MaxResponseBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	var tooLarge *apply.ResponseTooLargeError
	if _, err := c.Status(context.Background(), "argo", "log"); !errors.As(err, &tooLarge) {
		t.Errorf("the Workflow named log: got %v, want ResponseTooLargeError", err)
	}
	if _, err := c.GetTemplate(context.Background(), "argo", "log"); !errors.As(err, &tooLarge) {
		t.Errorf("the WorkflowTemplate named log: got %v, want ResponseTooLargeError", err)
	}
}
