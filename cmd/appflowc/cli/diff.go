package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
)

func newDiffCmd() *cobra.Command {
	var kf kubeFlags
	cmd := &cobra.Command{
		Use:   "diff [PATH...|DIR]",
		Short: "Show what apply would change on the cluster, as a unified diff",
		Long: `diff server-side applies every object as a dry run and prints a unified diff of
the live object against the result, so defaults and fields owned by others appear as
they would after apply. Secret values are masked (a changed value shows as
"*** (before)" / "*** (after)"). Workflows are runs, not state: apply always submits
them, so they are listed as "would be submitted" but do not count as a difference.
Exit status: 0 nothing would change, 1 something would (or the config has errors),
2 usage or connection error.`,
		Example: `  appflowc diff examples/quickstart
  appflowc render . -o deploy && appflowc diff deploy`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := loadObjects(cmd, args)
			if err != nil {
				return err
			}
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			diffs, err := c.Diff(cmd.Context(), objs)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("diff: %w", err))
			}
			changed := 0
			w := cmd.OutOrStdout()
			for _, d := range diffs {
				switch d.Action {
				case apply.Unchanged:
					continue
				case apply.Submitted:
					// A Workflow is a run, not state: reported, but not a difference.
					safetext.Fprintf(w, "# %s* would be submitted by apply\n", d.ID)
					continue
				default:
					// The live side is the cluster's text: each line escaped.
					for _, line := range strings.SplitAfter(d.Diff, "\n") {
						if body, ok := strings.CutSuffix(line, "\n"); ok {
							fmt.Fprintln(w, safetext.Escape(body))
						} else if line != "" {
							fmt.Fprint(w, safetext.Escape(line))
						}
					}
				}
				changed++
			}
			if changed > 0 {
				return withCode(ExitFailed, errors.New("diff: "+plural.N(changed, "object")+" would change"))
			}
			return nil
		},
	}
	kf.register(cmd)
	addInputFlags(cmd)
	addSecretsFlag(cmd)
	return cmd
}
