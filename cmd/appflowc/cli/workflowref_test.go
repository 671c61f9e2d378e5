package cli

import (
	"strings"
	"testing"
)

func TestWorkflowName(t *testing.T) {
	for arg, want := range map[string]string{
		"app-web-x7k2p":                       "app-web-x7k2p",
		"workflow/app-web-x7k2p":              "app-web-x7k2p",
		"workflows/app-web-x7k2p":             "app-web-x7k2p",
		"wf/app-web-x7k2p":                    "app-web-x7k2p",
		"Workflow/app-web-x7k2p":              "app-web-x7k2p",
		"workflows.argoproj.io/app-web-x7k2p": "app-web-x7k2p",
	} {
		got, err := workflowName(arg)
		if err != nil || got != want {
			t.Errorf("workflowName(%q) = %q, %v; want %q", arg, got, err, want)
		}
	}
	for arg, want := range map[string]string{
		"cronworkflow/nightly": `kind "cronworkflow" is not a Workflow`,
		"pod/x":                `kind "pod" is not a Workflow`,
		"workflow/":            "is not a workflow name",
		"workflow/a/b":         "is not a workflow name",
		"Bad_Name":             "is not a workflow name",
	} {
		if _, err := workflowName(arg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("workflowName(%q): %v, want an error with %q", arg, err, want)
		}
	}
}
