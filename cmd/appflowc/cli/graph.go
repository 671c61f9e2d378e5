package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/graph"
	"github.com/appflowc/appflowc/internal/safetext"
)

func newGraphCmd() *cobra.Command {
	var kf kubeFlags
	var entry, workflow string
	output := enumFlag{allowed: []string{"text", "mermaid", "dot"}, value: "text"}
	cmd := &cobra.Command{
		Use:   "graph [PATH...] | --workflow NAME",
		Short: "Draw the steps of a config's Workflows, or of a run on the cluster",
		Long: `graph draws each Workflow a config renders (resolved through its WorkflowTemplate,
including the exit handler), or with --workflow a run on the cluster with each step
coloured by phase. -o mermaid is for pull-request descriptions (GitHub renders it),
-o dot for Graphviz, -o text (default) for terminals.`,
		Example: `  appflowc graph examples/quickstart
  appflowc graph examples/multi-env -o mermaid
  appflowc graph --workflow app-web-x7k2p -o dot | dot -Tsvg > run.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var gs []*graph.Graph
			if workflow != "" {
				if len(args) > 0 {
					return withCode(ExitUsage, errors.New("graph: give a config or --workflow, not both"))
				}
				name, err := workflowName(workflow)
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("graph --workflow: %w", err))
				}
				workflow = name
				c, ns, err := kf.clientNS(cmd.Context())
				if err != nil {
					return withCode(ExitUsage, err)
				}
				u, err := c.Get(cmd.Context(), "argoproj.io/v1alpha1", "Workflow", ns, workflow)
				if err != nil {
					return lookupErr(err)
				}
				nodes := apply.NodesOf(u)
				g, cycles := graph.FromRun(workflow, graph.RunNodes(nodes))
				warnCycles(cmd, "Workflow/"+ns+"/"+workflow, cycles)
				gs = append(gs, g)
			} else {
				in, err := configInput(cmd, args)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				res, err := compileConfig(cmd.Context(), cmd, in)
				if err != nil {
					return configErr(cmd.ErrOrStderr(), err)
				}
				egs := graph.OfObjects(res.Objects)
				for _, eg := range egs {
					if entry != "" && eg.Entry != entry && !strings.HasSuffix(eg.Entry, "."+entry) {
						continue
					}
					if eg.Err != nil {
						return withCode(ExitUsage, eg.Err)
					}
					gs = append(gs, eg.Graph)
				}
				if len(gs) == 0 {
					return withCode(ExitUsage, noEntryErr(entry, egs))
				}
			}
			switch output.value {
			case "mermaid":
				fmt.Fprint(cmd.OutOrStdout(), graph.Mermaid(gs))
			case "dot":
				fmt.Fprint(cmd.OutOrStdout(), graph.DOT(gs))
			default:
				fmt.Fprint(cmd.OutOrStdout(), graph.Text(gs))
			}
			return nil
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of --workflow")
	cmd.Flags().StringVar(&workflow, "workflow", "", "draw this run on the cluster (NAME or workflow/NAME), steps coloured by phase")
	cmd.Flags().StringVar(&entry, "entry", "", "only the Workflow of this entry (web, or applications.web)")
	addEnum(cmd, &output, "output", "o", "format")
	_ = cmd.RegisterFlagCompletionFunc("workflow", kf.workflowNames(0))
	addInputFlags(cmd)
	return cmd
}

// warnCycles says, on stderr, that a run's status.nodes links back on itself (Argo never
// does that): the tree shown is each node once, the cycle not followed.
func warnCycles(cmd *cobra.Command, what string, cycles []string) {
	for _, c := range cycles {
		safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: warning: %s: status.nodes has a cycle (%s); not followed\n", what, c)
	}
}

// noEntryErr says that --entry matches no Workflow of the config, with the entries there
// are (and the nearest, when the name looks like a typo of one).
func noEntryErr(entry string, egs []graph.Entry) error {
	if len(egs) == 0 {
		return fmt.Errorf("graph: the config renders no Workflow")
	}
	var names, candidates []string
	for _, eg := range egs {
		names = append(names, eg.Entry)
		_, short, _ := strings.Cut(eg.Entry, ".")
		candidates = append(candidates, eg.Entry, short)
	}
	hint := ""
	if s := config.Suggest(entry, candidates); s != "" {
		hint = fmt.Sprintf("did you mean %q? ", s)
	}
	const most = 20
	more := ""
	if len(names) > most {
		names, more = names[:most], fmt.Sprintf(" and %d more", len(names)-most)
	}
	return fmt.Errorf("graph: no entry %q renders a Workflow (%sentries: %s%s)", entry, hint, strings.Join(names, ", "), more)
}
