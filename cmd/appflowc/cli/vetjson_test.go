package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestVetJSONMatchesDoc holds `vet -o json` to docs/vet-json.md: the report of a broken
// config and of a valid one (the configs of the doc's examples) has exactly the fields
// of the doc's table, with their types, as the examples do; the version is 1; exit 2
// prints nothing on stdout.
func TestVetJSONMatchesDoc(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/vet-json.md")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]string{} // field path -> type, from the table's rows
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z.\\[\\]]+)` \\| ([a-z]+) \\|").FindAllSubmatch(doc, -1) {
		table[string(m[1])] = string(m[2])
	}
	var examples [][]byte
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1) {
		examples = append(examples, m[1])
	}
	if len(table) == 0 || len(examples) != 2 {
		t.Fatalf("the doc has %d fields in its table and %d JSON examples, want some and 2", len(table), len(examples))
	}

	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := testEnv(t)
	vet := func(wantCode int, args ...string) []byte {
		t.Helper()
		var o, e bytes.Buffer
		if code := RunEnv(context.Background(), append([]string{"vet", "-o", "json"}, args...), env, &o, &e); code != wantCode {
			t.Fatalf("vet %v: exit %d, want %d\n%s%s", args, code, wantCode, o.String(), e.String())
		}
		return o.Bytes()
	}
	write("settings.cue", `appflow: namespace: "argo"`+"\n")
	write("apps.yaml", "appflow:\n  namespace: workflows\n")
	broken := vet(ExitFailed, dir)
	os.Remove(filepath.Join(dir, "settings.cue"))
	write("apps.yaml", "applications:\n  web:\n    source: {repoURL: \"https://charts.example.com\", chart: nginx, targetRevision: 1.2.3}\n    destination: {namespace: web}\n")
	clean := vet(ExitOK, dir)

	for i, c := range []struct {
		name       string
		real, want []byte
		ok         bool
	}{{"broken", broken, examples[0], false}, {"valid", clean, examples[1], true}} {
		real, example := shapeOf(t, c.real), shapeOf(t, c.want)
		if !maps.Equal(real, example) {
			t.Errorf("%s config: the report has fields %v, the doc's example %d %v", c.name, real, i+1, example)
		}
		for path, typ := range real {
			if table[path] != typ {
				t.Errorf("%s config: field %s is a %s, the doc's table says %q", c.name, path, typ, table[path])
			}
		}
		var head struct {
			Version *int
			OK      bool
			Errors  []json.RawMessage
		}
		if err := json.Unmarshal(c.real, &head); err != nil || head.Version == nil || *head.Version != 1 || head.OK != c.ok || (len(head.Errors) == 0) != c.ok {
			t.Errorf("%s config: version, ok or errors wrong (%v):\n%s", c.name, err, c.real)
		}
	}
	// The broken config shows every field of the table (it is the doc's example).
	if real := shapeOf(t, broken); !maps.Equal(real, table) {
		t.Errorf("the doc's table lists %v, the report has %v", slices.Sorted(maps.Keys(table)), slices.Sorted(maps.Keys(real)))
	}
	if out := vet(ExitUsage, filepath.Join(dir, "missing")); len(out) != 0 {
		t.Errorf("exit 2 printed on stdout: %q", out)
	}
}

// shapeOf maps every field path of a JSON document ("errors[].pos.file") to its JSON
// type; the elements of an array share the path with "[]" appended (objects have no
// row of their own: the table's "array" row stands for an array of objects).
func shapeOf(t *testing.T, data []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if path != "" && !strings.HasSuffix(path, "[]") { // an array's objects: the array's row says so
				out[path] = "object"
			}
			if path != "" {
				path += "."
			}
			for k, e := range v {
				walk(path+k, e)
			}
		case []any:
			out[path] = "array"
			for _, e := range v {
				walk(path+"[]", e)
			}
		case string:
			out[path] = "string"
		case float64:
			out[path] = "number"
		case bool:
			out[path] = "boolean"
		default:
			out[path] = fmt.Sprintf("%T", v) // null: the doc promises none
		}
	}
	walk("", v)
	return out
}
