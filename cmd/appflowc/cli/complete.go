package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	schema "github.com/appflowc/appflowc/cue"
)

// workflowNames completes workflow names from the cluster, as kubectl does; at most max
// arguments (0: any number, each name once). Errors complete nothing: a shell prompt is
// no place for them.
func (k *kubeFlags) workflowNames(ns *string, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// Cobra runs no PersistentPreRun for completions: take the user's defaults here.
		if err := applyUserConfig(cmd); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := k.client(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		wfs, err := c.ListWorkflows(ctx, *ns, "", "")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, w := range wfs {
			if strings.HasPrefix(w.Name, toComplete) && !slices.Contains(args, w.Name) {
				out = append(out, w.Name+"\t"+w.Phase)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// explainNames completes explain's argument from the schema.
func explainNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, n := range schema.Names() {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
