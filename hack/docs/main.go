// Command docs writes the CLI reference (docs/cli/*.md) and man pages (docs/man/*.1)
// from the cobra command tree (make docs). cmd/appflowc/cli's TestDocsAreCurrent fails
// when they are out of date.
package main

import (
	"fmt"
	"os"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

func main() {
	if err := cli.WriteDocs("docs"); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
}
