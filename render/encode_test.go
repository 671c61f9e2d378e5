package render

import (
	"encoding/json"
	"reflect"
	"testing"

	sigyaml "sigs.k8s.io/yaml"
)

// TestEncodingRoundTrips parses every encoded object back and requires the same data.
func TestEncodingRoundTrips(t *testing.T) {
	objs := libraryObjects(t)
	odd := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "true", "b": "1.0", "c": "0x1F", "d": "null", "e": "~", "f": "a: b", "g": "- x", "h": "multi\nline\n", "i": " lead", "j": "{{x}}", "k": "'q'\"", "l": "", "m": "2026-01-01", "n": "yes", "o": "#c"}}
	objs = append(objs, Object{Kind: "ConfigMap", Name: "odd", Obj: odd})
	for _, o := range objs {
		data, err := EncodeObject(o)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ToMap(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := sigyaml.Unmarshal(data, &got); err != nil {
			t.Fatalf("%s: %v", o.ID(), err)
		}
		wj, _ := json.Marshal(want)
		var wn map[string]any
		_ = json.Unmarshal(wj, &wn)
		if !reflect.DeepEqual(got, wn) {
			gj, _ := json.Marshal(got)
			t.Fatalf("%s does not round-trip:\n%s\nvs\n%s", o.ID(), gj, wj)
		}
	}
}
