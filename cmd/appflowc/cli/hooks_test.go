package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestPreCommitHooksNameRealCommands: each hook in .pre-commit-hooks.yaml runs an
// appflowc command with flags that exist.
func TestPreCommitHooksNameRealCommands(t *testing.T) {
	data, err := os.ReadFile("../../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID    string `json:"id"`
		Entry string `json:"entry"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	for _, h := range hooks {
		f := strings.Fields(h.Entry)
		if len(f) < 2 || f[0] != "appflowc" {
			t.Errorf("%s: entry %q does not run appflowc", h.ID, h.Entry)
			continue
		}
		var o, e bytes.Buffer
		if code := RunEnv(context.Background(), append(f[1:], "--help"), testEnv(t), &o, &e); code != 0 {
			t.Errorf("%s: %q --help: exit %d: %s", h.ID, h.Entry, code, e.String())
		}
	}
}
