package config

import (
	"strings"
	"testing"
)

// TestCheckArgoSpecCollapsesDisjunctions: a parameter value of none of the types Argo
// allows (bool | number | string) is one problem that says so, not CUE's "N errors in
// empty disjunction" and a conflict per type; a list or an object is told to be written
// as a JSON string (Argo would read it as an empty string).
func TestCheckArgoSpecCollapsesDisjunctions(t *testing.T) {
	spec := map[string]any{"entrypoint": "main", "templates": []any{map[string]any{"name": "main", "suspend": map[string]any{}}},
		"arguments": map[string]any{"parameters": []any{
			map[string]any{"name": "a", "value": []any{}},
			map[string]any{"name": "b", "default": map[string]any{"x": int64(1)}},
			map[string]any{"name": "c", "value": "ok"},
		}}}
	ps, err := CheckArgoSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, strings.Join(p.Path, ".")+": "+p.Msg)
		if !strings.Contains(p.Hint, "JSON string") {
			t.Errorf("%s: hint %q, want it to say to write a JSON string", p.Msg, p.Hint)
		}
	}
	want := []string{
		"arguments.parameters.0.value: expected bool, number or string, found [] (a list)",
		"arguments.parameters.1.default: expected bool, number or string, found {x:1} (an object)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
