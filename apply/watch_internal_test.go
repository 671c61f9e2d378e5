package apply

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestStatusLine(t *testing.T) {
	for in, want := range map[string]string{
		"validate-inputs":       "validate-inputs",
		"verify-application(0)": "verify-application(0)",
		"validate-environment(1:cluster:https://kubernetes.default.svc,name:staging,namespace:shop-staging)": "validate-environment(1)",
		"verify-secret(0:keys:[\"password\"],name:db)(0)":                                                    "verify-secret(0)",
	} {
		if got := shortStep(in); got != want {
			t.Errorf("shortStep(%q) = %q, want %q", in, got, want)
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
	if got, want := statusLine(u, nil), "wf-1  Running  1/6  step: a(0),b(1),c(2),+2 more"; got != want {
		t.Errorf("statusLine = %q, want %q", got, want)
	}
	if got := statusLine(u, func(p string) string { return "<" + p + ">" }); !strings.Contains(got, "  <Running>  ") {
		t.Errorf("painted statusLine = %q", got)
	}
}
