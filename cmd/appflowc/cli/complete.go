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
		ctx, c, ns, done, ok := k.completing(cmd, args, max)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer done()
		// One page at most: a prompt needs a few names, not a namespace of 100,000. Only
		// names a user could type are offered (a name with control characters can only
		// come from a broken or hostile API server), and the phase is escaped.
		// NAME or KIND/NAME as typed (workflow/<TAB> completes as kubectl's pod/<TAB>); a
		// name given either way is not offered again.
		given := map[string]bool{}
		for _, a := range args {
			if n, err := workflowName(a); err == nil {
				given[n] = true
			}
		}
		prefix, partial := "", toComplete
		if kind, rest, ok := strings.Cut(toComplete, "/"); ok && isWorkflowKind(kind) {
			prefix, partial = kind+"/", rest
		}
		var out []string
		_ = c.EachWorkflow(ctx, ns, "", "", func(wfs []apply.WorkflowSummary) error {
			for _, w := range wfs {
				if len(validation.IsDNS1123Subdomain(w.Name)) == 0 && strings.HasPrefix(w.Name, partial) && !given[w.Name] {
					out = append(out, prefix+w.Name+"\t"+safetext.Field(w.Phase, 32))
				}
			}
			return apply.ErrEnough
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completing is what a completion of cluster names needs: the user's defaults (cobra
// runs no PersistentPreRun for completions), a client and namespace, and 5 s for the
// API server to answer; ok is false when no more argument is wanted or there is no
// cluster to ask.
func (k *kubeFlags) completing(cmd *cobra.Command, args []string, max int) (ctx context.Context, c *apply.Client, ns string, done func(), ok bool) {
	if max > 0 && len(args) >= max {
		return nil, nil, "", nil, false
	}
	if err := applyUserConfig(cmd); err != nil {
		return nil, nil, "", nil, false
	}
	c, ns, err := k.clientNS(cmd.Context())
	if err != nil {
		return nil, nil, "", nil, false
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	return ctx, c, ns, cancel, true
}

// explainNames completes explain's argument from the schema: definitions and top-level
// fields, and after a dot the fields below (applications.source.<TAB>). NoSpace after a
// path that has fields of its own would be nicer, but cobra applies a directive to all
// candidates at once.
func explainNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return schema.Completions(toComplete), cobra.ShellCompDirectiveNoFileComp
}

// templateNames completes WorkflowTemplate names from the cluster, as workflowNames does.
func (k *kubeFlags) templateNames(max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		ctx, c, ns, done, ok := k.completing(cmd, args, max)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer done()
		ts, err := c.ListTemplates(ctx, ns)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, t := range ts {
			if len(validation.IsDNS1123Subdomain(t.Name)) == 0 && strings.HasPrefix(t.Name, toComplete) && !slices.Contains(args, t.Name) {
				out = append(out, t.Name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// entryNames completes --select from the config the command line names (or the current
// directory): its entries as applications/web. The config is read as vet reads it; a
// config that does not load completes nothing. A list flag completes its last item.
func entryNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	in, err := configInput(cmd, args)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	res, err := compileConfig(ctx, cmd, in)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, o := range res.Objects {
		if o.Entry == "" || strings.HasPrefix(o.Entry, "workflowTemplates.") {
			continue
		}
		e := strings.Replace(o.Entry, ".", "/", 1)
		if strings.HasPrefix(e, last) && !slices.Contains(out, done+e) && !slices.Contains(strings.Split(done, ","), e) {
			out = append(out, done+e)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
