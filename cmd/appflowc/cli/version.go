package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X .../cli.version=v1.2.3".
var version = "dev"

// Versions of the engines appflowc embeds; TestVersionsMatchGoMod keeps them equal to go.mod
// (build info is not available in test binaries, and the CLI tests run in-process).
const (
	cueVersion  = "v0.17.1"
	argoVersion = "v3.7.18"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Example: "  appflowc version",
		Short:   "Print the version of appflowc and of the CUE and Argo Workflows it was built with",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "appflowc %s\ncue %s\nargo-workflows %s\n", version, cueVersion, argoVersion)
			return nil
		},
	}
}
