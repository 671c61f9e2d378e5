package cli

import (
	_ "embed"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// WriteDocs writes the Markdown reference (dir/cli) and man pages (dir/man) of every
// command. Output is deterministic: the man pages carry a fixed date (manDate), not the
// day they were generated.
func WriteDocs(dir string) error {
	root := NewRootCmd()
	root.InitDefaultCompletionCmd() // cobra adds it only when executing
	disableAutoGen(root)
	md, man := filepath.Join(dir, "cli"), filepath.Join(dir, "man")
	for _, d := range []string{md, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(root, md); err != nil {
		return err
	}
	// The hand-written pages of docs/cli (make docs rewrites the directory whole) are
	// kept in doc/ beside this file and written with the generated ones.
	for _, name := range []string{"argo-parity.md"} {
		if err := os.WriteFile(filepath.Join(md, name), handWritten(name), 0o644); err != nil {
			return err
		}
	}
	return doc.GenManTree(root, &doc.GenManHeader{Title: "APPFLOWC", Section: "1", Source: "appflowc", Manual: "appflowc manual", Date: &manDate}, man)
}

func disableAutoGen(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGen(sub)
	}
}

//go:embed doc/argo-parity.md
var argoParity []byte

func handWritten(name string) []byte {
	switch name {
	case "argo-parity.md":
		return argoParity
	}
	return nil
}

// manDate is the date in the man pages' footer; bump it when the CLI changes materially.
var manDate = time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)
