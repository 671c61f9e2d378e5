package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/vet"
)

func newVetCmd() *cobra.Command {
	var opts vet.Options
	output := enumFlag{allowed: []string{"text", "json"}, value: "text"}
	cmd := &cobra.Command{
		Use:   "vet [PATH...]",
		Short: "Check configs offline: schema, cross-field rules and Argo's own validation",
		Long: `vet is the pre-commit check. It
  1. reads every .cue, .yaml, .yml, .json and .jsonnet file of the given directories
     (not their subdirectories) or files, and unifies them into one config;
  2. validates it against the appflowc schema (all errors at once, each with
     file:line:col, the field, what is wrong and how to fix it);
  3. renders the manifests in memory and checks every WorkflowTemplate and Workflow
     with Argo's own validation, including workflow parameters against the
     templates they reference.
It needs no kubeconfig and no network. Exit status: 0 clean, 1 errors, 2 usage or I/O error.`,
		Example: `  appflowc vet examples/quickstart
  appflowc vet apps/*.cue base.yaml
  appflowc vet -o json . | jq '.errors[].message'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := configInput(cmd, args)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			opts.Cache = resultCache(cmd.Context())
			prog := startProgress(cmd, cmd.ErrOrStderr(), "checking")
			res, err := vet.Run(cmd.Context(), in, opts)
			prog.Stop()
			if err != nil {
				return configErr(cmd.ErrOrStderr(), err)
			}
			if output.value == "json" {
				if err := res.Diags.WriteJSON(cmd.OutOrStdout(), res.Summary()); err != nil {
					return withCode(ExitUsage, err)
				}
			} else if len(res.Diags) > 0 {
				// Diagnostics, like every command's, go to stderr (where editors and CI
				// annotate from; kubectl's convention); -o json is data and stays on stdout.
				if err := res.Diags.WriteText(cmd.ErrOrStderr()); err != nil {
					return withCode(ExitUsage, err)
				}
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), res.Summary())
			}
			if len(res.Diags) > 0 {
				return withCode(ExitFailed, fmt.Errorf("vet: %s", res.Summary()))
			}
			return nil
		},
	}
	addEnum(cmd, &output, "output", "o", "output format")
	cmd.Flags().BoolVar(&opts.SkipSchema, "skip-schema", false, "skip the second-line check against the CUE schema")
	addInputFlags(cmd)
	return cmd
}
