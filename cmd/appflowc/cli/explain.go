package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	schema "github.com/appflowc/appflowc/cue"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [#Definition|path.to.field]",
		Short: "Print the schema documentation of a config field or a schema definition",
		Long: `explain prints what the CUE schema (cue/schema.cue) says about a field of the config or
a definition: its documentation, its constraint, and the fields it holds. Entries of a
section are reached by any name: applications.web.source and applications.source are the
same. Without an argument it explains the whole config (#Config).`,
		Example: `  appflowc explain applications
  appflowc explain applications.source
  appflowc explain '#SyncPolicy'`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: explainNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			out, err := schema.Explain(path)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fmt.Fprint(cmd.OutOrStdout(), out)
			return nil
		},
	}
}
