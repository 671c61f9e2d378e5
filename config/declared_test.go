package config

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestDeclarationLeavesOutWhatItCannotHoldWhole: a template read from a cluster with more
// inputs than a declaration holds is left out, and said so, rather than declared with its
// list cut short (which would refuse an argument the template takes); the others stay.
func TestDeclarationLeavesOutWhatItCannotHoldWhole(t *testing.T) {
	var params []any
	for i := 0; i <= MaxExternalNames; i++ {
		params = append(params, map[string]any{"name": fmt.Sprintf("p%d", i)})
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "wide"},
		"spec": map[string]any{"entrypoint": "small", "templates": []any{
			map[string]any{"name": "big", "inputs": map[string]any{"parameters": params}},
			map[string]any{"name": "small", "inputs": map[string]any{"parameters": []any{map[string]any{"name": "x"}}}},
		}},
	}}
	d, skipped := DeclarationOf(u, false)
	if d == nil || len(d.Templates) != 1 || d.Templates[0].Name != "small" || d.Entrypoint != "small" {
		t.Fatalf("declaration %+v", d)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "template big, whose inputs or outputs number more than 200") {
		t.Errorf("skipped: %q", skipped)
	}
}
