package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/appflowc/appflowc/apply"
	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/internal/safetext"
)

// workflowNames completes workflow names from the cluster, as kubectl does; at most max
// arguments (0: any number, each name once). Errors complete nothing: a shell prompt is
// no place for them.
func (k *kubeFlags) workflowNames(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// Cobra runs no PersistentPreRun for completions: take the user's defaults here.
		if err := applyUserConfig(cmd); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, ns, err := k.clientNS(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		// One page at most: a prompt needs a few names, not a namespace of 100,000. Only
		// names a user could type are offered (a name with control characters can only
		// come from a broken or hostile API server), and the phase is escaped.
		var out []string
		_ = c.EachWorkflow(ctx, ns, "", "", func(wfs []apply.WorkflowSummary) error {
			for _, w := range wfs {
				if len(validation.IsDNS1123Subdomain(w.Name)) == 0 && strings.HasPrefix(w.Name, toComplete) && !slices.Contains(args, w.Name) {
					out = append(out, w.Name+"\t"+safetext.Field(w.Phase, 32))
				}
			}
			return apply.ErrEnough
		})
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
