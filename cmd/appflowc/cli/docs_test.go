package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
)

// TestDocsAreCurrent fails when docs/ differs from what the command tree generates: run
// make docs and commit the result.
func TestDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDocs(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"cli", "man"} {
		want, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadDir(filepath.Join("..", "..", "..", "docs", sub))
		if err != nil {
			t.Fatalf("docs/%s: %v (run make docs)", sub, err)
		}
		if len(have) != len(want) {
			t.Errorf("docs/%s has %d files, the command tree generates %d (run make docs)", sub, len(have), len(want))
		}
		for _, e := range want {
			gen, _ := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			cur, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", sub, e.Name()))
			if err != nil || string(gen) != string(cur) {
				t.Errorf("docs/%s/%s is out of date (run make docs)", sub, e.Name())
			}
		}
	}
}

// TestEveryCommandHasExamples: --help of every command of ours shows how to use it.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" && c.Name() != "help" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd())
}
