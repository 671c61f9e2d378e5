package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X .../cli.version=v1.2.3".
var version = "dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of appflowc and of the CUE and Argo Workflows it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "appflowc %s\n", version)
			fmt.Fprintf(w, "cue %s\n", depVersion("cuelang.org/go"))
			fmt.Fprintf(w, "argo-workflows %s\n", depVersion("github.com/argoproj/argo-workflows/v3"))
			return nil
		},
	}
}

// depVersion reads a dependency's version from the binary's build info, so it cannot drift from go.mod.
func depVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}
