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

// TestDeclarationReadsEveryDefault: the entrypoint's inputs take their defaults from
// spec.arguments, all of them: a value past the first MaxExternalNames arguments was not
// read, so its input was declared required, and a reference that leaves it out (as Argo
// takes) was refused.
func TestDeclarationReadsEveryDefault(t *testing.T) {
	var args []any
	for i := 0; i < MaxExternalNames; i++ {
		args = append(args, map[string]any{"name": fmt.Sprintf("a%d", i), "value": "x"})
	}
	args = append(args, map[string]any{"name": "late", "value": "v"})
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
		"metadata": map[string]any{"name": "many-args"},
		"spec": map[string]any{"entrypoint": "main", "arguments": map[string]any{"parameters": args}, "templates": []any{
			map[string]any{"name": "main", "inputs": map[string]any{"parameters": []any{map[string]any{"name": "late"}}}},
		}},
	}}
	d, skipped := DeclarationOf(u, false)
	if d == nil || len(d.Templates) != 1 || len(d.Templates[0].Parameters) != 1 {
		t.Fatalf("declaration %+v, skipped %q", d, skipped)
	}
	if p := d.Templates[0].Parameters[0]; p.Default == nil || *p.Default != "v" {
		t.Errorf("input late: default %v, want v (spec.arguments' 201st)", p.Default)
	}
}
