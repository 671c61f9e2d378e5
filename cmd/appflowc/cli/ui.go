package cli

import (
	"fmt"
	"net"
	"strconv"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/graph"
	"github.com/appflowc/appflowc/render"
	"github.com/appflowc/appflowc/ui"
)

func newUICmd() *cobra.Command {
	var kf kubeFlags
	var argocdNS, address string
	var port int
	cmd := &cobra.Command{
		Use:   "ui [PATH...]",
		Short: "Serve a live page: config entries, their Workflow runs and steps, and Argo CD health",
		Long: `ui serves a local web page that follows the cluster live: each entry of the config
(or, with no PATH, each entry appflowc's runs in the namespace name), its newest
Workflow runs with phase, duration and step tree (a step's log on click), its
CronWorkflow, and the Argo CD Applications its runs created, with sync status, health
and Argo CD's message when they are not healthy.

It watches Workflows, CronWorkflows, Applications and ApplicationSets (one watch each,
re-watched with backoff when the API server goes away) and pushes each change to the
page. It is read-only: it makes no change to the cluster, and reads with your kubeconfig
only what list and status would. The page listens on loopback by default and its address
holds a random token: anyone with the address can see what the page shows. It opens no
browser; it prints the address. Ctrl-C stops it.`,
		Example: `  appflowc ui examples/multi-env
  appflowc ui -n argo --port 8080`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Without a config, the namespace every cluster command uses (resolveNamespace);
			// with one, the config's namespaces unless a flag says otherwise.
			opts := ui.Options{Namespace: kf.namespace, ArgoCDNamespace: argocdNS}
			if len(args) > 0 {
				in, err := configInput(cmd, args)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				res, err := compileConfig(cmd.Context(), cmd, in)
				if err != nil {
					return configErr(cmd.ErrOrStderr(), err)
				}
				if !cmd.Flags().Changed("namespace") {
					opts.Namespace = res.Config.Appflow.Namespace
				}
				if !cmd.Flags().Changed("argocd-namespace") {
					opts.ArgoCDNamespace = res.Config.Appflow.ArgoCDNamespace
				}
				opts.Entries = uiEntries(res)
			}
			if opts.Namespace == "" {
				ns, err := kf.resolveNamespace(cmd.Context())
				if err != nil {
					return withCode(ExitUsage, err)
				}
				opts.Namespace = ns
			}
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			srv, err := ui.NewServer(c, opts)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("ui: %w", err))
			}
			if ip, ok := ln.Addr().(*net.TCPAddr); !ok || !ip.IP.IsLoopback() {
				fmt.Fprintf(cmd.ErrOrStderr(), "appflowc: warning: ui: serving beyond loopback (%s): anyone who has the address below can see your workflows, Applications and step logs\n", address)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "appflowc ui: %s\n", srv.URL(ln))
			if err := srv.Serve(cmd.Context(), ln); err != nil {
				return withCode(ExitUsage, fmt.Errorf("ui: %w", err))
			}
			return withCode(ExitInterrupted, nil)
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the Workflows; with a config, its appflow.namespace unless -n is given")
	cmd.Flags().StringVar(&argocdNS, "argocd-namespace", config.DefaultArgoCDNamespace, "namespace of the Argo CD Applications (default: the config's appflow.argocdNamespace)")
	cmd.Flags().StringVar(&address, "address", "127.0.0.1", "address to listen on; anything but loopback shows the page to whoever has its address")
	cmd.Flags().IntVar(&port, "port", 0, "port to listen on (0: a free one)")
	addInputFlags(cmd)
	return cmd
}

// uiEntries are the config's entries as the page lists them: name and kind as their runs
// are labelled, where they are in the config, and their steps as graph draws them.
func uiEntries(res *frontend.Result) []ui.ConfigEntry {
	out := []ui.ConfigEntry{}
	for _, eg := range graph.OfObjects(res.Objects) {
		var labels map[string]string
		e := ui.ConfigEntry{}
		switch o := eg.Object.Obj.(type) {
		case *wfv1.Workflow:
			labels = o.Labels
		case *wfv1.CronWorkflow:
			labels = o.Labels
			e.Schedule = o.Spec.GetScheduleString()
		}
		e.Name, e.Kind = labels[render.LabelConfig], labels[render.LabelKind]
		if e.Name == "" {
			continue
		}
		if p := eg.Object.Source; p.IsValid() {
			e.Source = fmt.Sprintf("%s:%d:%d", eg.Object.SourceRel, p.Line, p.Col)
		}
		if eg.Err == nil {
			e.Plan = graph.Text([]*graph.Graph{eg.Graph})
		}
		out = append(out, e)
	}
	return out
}
