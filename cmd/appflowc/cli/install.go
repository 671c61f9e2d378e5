package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/safetext"
	"github.com/appflowc/appflowc/render"
)

// libraryObjects renders the library and RBAC for the config in args (its appflow
// settings), or for the default settings when no config is given.
func libraryObjects(cmd *cobra.Command, args []string, kinds func(string) bool) ([]render.Object, error) {
	var cfg *config.Config
	var err error
	if len(args) == 0 {
		cfg, err = config.Decode(&config.Tree{Root: &config.Node{Kind: config.Map}})
	} else {
		var in config.Input
		if in, err = configInput(cmd, args); err != nil {
			return nil, withCode(ExitUsage, err)
		}
		cfg, err = config.Load(cmd.Context(), in)
	}
	if err != nil {
		return nil, configErr(cmd.ErrOrStderr(), err)
	}
	objs, err := render.Build(cmd.Context(), cfg, resultCache(cmd.Context()))
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	var out []render.Object
	for _, o := range objs {
		if kinds(o.Kind) {
			out = append(out, o)
		}
	}
	return out, nil
}

func newTemplatesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "templates", Short: "List or create the WorkflowTemplate library on the cluster",
		Example: "  appflowc templates list\n  appflowc templates create"}
	var kf kubeFlags
	var ns string
	output := enumFlag{allowed: []string{"table", "json", "yaml", "name"}, value: "table"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List WorkflowTemplates with their parameters",
		Example: "  appflowc templates list -n argo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			ts, err := c.ListTemplates(cmd.Context(), ns)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			w := cmd.OutOrStdout()
			if ok, err := writeData(painter{on: colorful(cmd, w)}, w, output.value, ts); ok {
				return err
			}
			if output.value == "name" {
				for _, t := range ts {
					safetext.Fprintf(w, "workflowtemplate/%s\n", t.Name)
				}
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tLIBRARY\tPARAMETERS")
			for _, t := range ts {
				safetext.Fprintf(tw, "%s\t%v\t%s\n", t.Name, t.Library, strings.Join(t.Parameters, ","))
			}
			return tw.Flush()
		},
	}
	kf.register(list)
	list.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the templates")
	list.Flags().VarP(&output, "output", "o", output.help("output format"))

	var ckf kubeFlags
	create := &cobra.Command{
		Use:   "create [CONFIG...]",
		Short: "Apply the library's WorkflowTemplates (with the config's appflow settings, or the defaults)",
		Example: `  appflowc templates create
  appflowc templates create examples/quickstart`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := libraryObjects(cmd, args, func(k string) bool { return k == "WorkflowTemplate" })
			if err != nil {
				return err
			}
			return applyAndPrint(cmd, &ckf, objs)
		},
	}
	ckf.register(create)
	addInputFlags(create)
	cmd.AddCommand(list, create)
	return cmd
}

func applyAndPrint(cmd *cobra.Command, kf *kubeFlags, objs []render.Object) error {
	c, err := kf.client(cmd.Context())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	changes, err := c.Apply(cmd.Context(), objs, apply.Options{})
	for _, ch := range changes {
		safetext.Fprintln(cmd.OutOrStdout(), ch)
	}
	if err != nil {
		return withCode(ExitUsage, err)
	}
	return nil
}

func newInstallCmd() *cobra.Command {
	var kf kubeFlags
	var print bool
	cmd := &cobra.Command{
		Use:   "install [CONFIG...]",
		Short: "Apply the RBAC and the WorkflowTemplate library, and check that Argo Workflows is installed",
		Long: `install
  1. checks that the cluster serves the Argo Workflows CRDs (install Argo first if not);
  2. server-side applies the service account, the least-privilege ClusterRole and
     bindings, and the three library WorkflowTemplates (with the config's appflow
     settings, or the defaults);
  3. warns when no workflow-controller Deployment is found (it may run elsewhere).
With --print nothing is applied: the objects are printed as one YAML stream.`,
		Example: `  appflowc install
  appflowc install --print > appflowc-install.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := libraryObjects(cmd, args, func(k string) bool { return k != "Workflow" })
			if err != nil {
				return err
			}
			if print {
				files, err := render.Encode(objs)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				if err := writeStream(cmd, cmd.OutOrStdout(), files); err != nil {
					return withCode(ExitUsage, err)
				}
				return nil
			}
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			crds, dep, err := c.ControllerPresent(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if !crds {
				return withCode(ExitUsage, fmt.Errorf("install: %w", &apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}))
			}
			if err := applyAndPrint(cmd, &kf, objs); err != nil {
				return err
			}
			if dep == "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: no workflow-controller Deployment found; Workflows will not run unless the controller runs elsewhere")
			} else {
				safetext.Fprintln(cmd.ErrOrStderr(), "Argo workflow-controller found:", dep)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().BoolVar(&print, "print", false, "print the objects instead of applying them")
	addInputFlags(cmd)
	return cmd
}

func newDeleteCmd() *cobra.Command {
	var kf kubeFlags
	var ns string
	var opts apply.DeleteOptions
	cmd := &cobra.Command{
		Use:   "delete (NAME... | --selector S | --completed)",
		Short: "Delete workflows",
		Example: `  appflowc delete app-web-x7k2p
  appflowc delete --completed
  appflowc delete --selector appflowc.dev/config=web`,
		ValidArgsFunction: kf.workflowNames(&ns, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if len(args) > 0 && (opts.Selector != "" || opts.Completed) {
				return withCode(ExitUsage, errors.New("delete: give workflow names, or --selector/--completed, not both"))
			}
			if len(args) == 0 && opts.Selector == "" && !opts.Completed {
				return withCode(ExitUsage, errors.New("delete: name the workflows, or use --selector or --completed"))
			}
			if len(args) == 0 && opts.Selector == "" {
				opts.Selector = "app.kubernetes.io/managed-by=appflowc" // --completed alone: appflowc's own
			}
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			deleted, err := c.DeleteWorkflows(cmd.Context(), ns, opts)
			for _, n := range deleted {
				safetext.Fprintf(cmd.OutOrStdout(), "Workflow/%s/%s deleted\n", ns, n)
			}
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the workflows")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "delete the workflows with these labels")
	cmd.Flags().BoolVar(&opts.Completed, "completed", false, "only finished workflows (Succeeded, Failed, Error)")
	return cmd
}
