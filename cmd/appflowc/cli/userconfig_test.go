package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestOutputCommandsMatchFlags keeps the user config's table of -o values in step with
// the commands' own flags: a value the file accepts is one the command takes.
func TestOutputCommandsMatchFlags(t *testing.T) {
	root := NewRootCmd()
	for path, want := range outputCommands {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || commandPath(cmd) != path {
			t.Errorf("%s: no such command (%v)", path, err)
			continue
		}
		e, ok := cmd.Flags().Lookup("output").Value.(*enumFlag)
		if !ok || !slices.Equal(e.allowed, want) {
			t.Errorf("%s: the file allows -o %v, the flag %v", path, want, e.allowed)
		}
	}
	for _, c := range allFormatCommands {
		if _, ok := outputCommands[c]; !ok {
			t.Errorf("%s takes output: FORMAT but is not in outputCommands", c)
		}
	}
}

func TestOutputDefaultsFor(t *testing.T) {
	all := outputDefaults{All: "wide"}
	if got := all.For("list", outputCommands["list"]); got != "wide" {
		t.Errorf("output: wide for list = %q", got)
	}
	if got := all.For("status", outputCommands["status"]); got != "" {
		t.Errorf("output: wide for status = %q, want none (status has no wide)", got)
	}
	js := outputDefaults{All: "json"}
	if got := js.For("vet", outputCommands["vet"]); got != "" {
		t.Errorf("output: json reached vet: %q", got)
	}
	per := outputDefaults{PerCommand: map[string]string{"vet": "json"}, All: ""}
	if got := per.For("vet", outputCommands["vet"]); got != "json" {
		t.Errorf("output: {vet: json} for vet = %q", got)
	}
}
