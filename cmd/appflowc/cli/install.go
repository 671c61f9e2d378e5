package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/safetext"
	"github.com/appflowc/appflowc/render"
)

// libraryObjects renders the library and RBAC for the config in args (its appflow
// settings), or for the default settings when no config is given.
func libraryObjects(cmd *cobra.Command, args []string, kinds func(string) bool) ([]render.Object, error) {
	var objs []render.Object
	if len(args) == 0 {
		cfg, err := config.Decode(&config.Tree{Root: &config.Node{Kind: config.Map}})
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		if objs, err = render.Build(cmd.Context(), cfg, resultCache(cmd.Context())); err != nil {
			return nil, withCode(ExitUsage, err)
		}
	} else {
		// A config's library is what render writes of it: through every check vet makes,
		// patches applied.
		in, err := configInput(cmd, args)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		res, err := compileConfig(cmd.Context(), cmd, in)
		if err != nil {
			return nil, configErr(cmd.ErrOrStderr(), err)
		}
		objs = res.Objects
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
	cmd := &cobra.Command{Use: "templates", Short: "List, show, create or delete the WorkflowTemplates on the cluster",
		Example: "  appflowc templates list\n  appflowc templates get application-create\n  appflowc templates create\n  appflowc templates delete my-template"}
	var kf kubeFlags
	var allNamespaces, noHeaders bool
	output := enumFlag{allowed: []string{"table", "json", "yaml", "name"}, value: "table"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List WorkflowTemplates with their parameters",
		Example: "  appflowc templates list -n argo\n  appflowc templates list -A -o name",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if allNamespaces {
				ns = ""
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
			head, row := "NAME\tLIBRARY\tPARAMETERS", "%[2]s\t%[3]v\t%[4]s\n"
			if allNamespaces {
				head, row = "NAMESPACE\t"+head, "%[1]s\t"+row
			}
			if !noHeaders {
				fmt.Fprintln(tw, head)
			}
			for _, t := range ts {
				safetext.Fprintf(tw, row, t.Namespace, t.Name, t.Library, strings.Join(t.Parameters, ","))
			}
			return tw.Flush()
		},
	}
	kf.register(list)
	kf.registerNamespace(list, "namespace of the templates")
	list.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list the templates of every namespace")
	list.Flags().BoolVar(&noHeaders, "no-headers", false, "print no header row in table output")
	addEnum(list, &output, "output", "o", "output format")
	cmd.AddCommand(list, newTemplatesGetCmd(), newTemplatesDeleteCmd())

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
	cmd.AddCommand(create)
	return cmd
}

func newTemplatesGetCmd() *cobra.Command {
	var kf kubeFlags
	output := enumFlag{allowed: []string{"text", "json", "yaml"}, value: "text"}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a WorkflowTemplate: its description, parameters, entrypoint and templates",
		Long: `get shows one WorkflowTemplate (NAME or workflowtemplate/NAME, as templates list -o
name prints it). -o json and -o yaml print the object as the API server has it, without
metadata.managedFields (as kubectl get does).`,
		Example:           "  appflowc templates get application-create\n  appflowc templates get application-create -o yaml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.templateNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := templateName(args[0])
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("templates get: %w", err))
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			u, err := c.GetTemplate(cmd.Context(), ns, name)
			if err != nil {
				return lookupErr(err)
			}
			unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
			w := cmd.OutOrStdout()
			if ok, err := writeData(painter{on: colorful(cmd, w)}, w, output.value, u.Object); ok {
				return err
			}
			ts := apply.TemplateSummaryOf(u)
			safetext.Fprintf(w, "Name:         %s\nNamespace:    %s\nLibrary:      %t\n", ts.Name, ts.Namespace, ts.Library)
			if ts.Description != "" {
				safetext.Fprintf(w, "Description:  %s\n", ts.Description)
			}
			if ep, _, _ := unstructured.NestedString(u.Object, "spec", "entrypoint"); ep != "" {
				safetext.Fprintf(w, "Entrypoint:   %s\n", ep)
			}
			params, _, _ := unstructured.NestedSlice(u.Object, "spec", "arguments", "parameters")
			if len(params) > 0 {
				fmt.Fprintln(w, "\nParameters:")
				for _, p := range params {
					m, _ := p.(map[string]any)
					n, _, _ := unstructured.NestedString(m, "name")
					if v, ok, _ := unstructured.NestedString(m, "value"); ok {
						safetext.Fprintf(w, "  %s = %s\n", n, safetext.Field(v, safetext.MaxField))
					} else {
						safetext.Fprintf(w, "  %s\n", n)
					}
				}
			}
			tmpls, _, _ := unstructured.NestedSlice(u.Object, "spec", "templates")
			if len(tmpls) > 0 {
				fmt.Fprintln(w, "\nTemplates:")
				for _, t := range tmpls {
					m, _ := t.(map[string]any)
					n, _, _ := unstructured.NestedString(m, "name")
					safetext.Fprintf(w, "  %s\n", n)
				}
			}
			return nil
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the template")
	addEnum(cmd, &output, "output", "o", "output format")
	return cmd
}

func newTemplatesDeleteCmd() *cobra.Command {
	var kf kubeFlags
	var dryRun dryRunFlag
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete WorkflowTemplates",
		Long: `delete removes the named WorkflowTemplates (NAME or workflowtemplate/NAME). Workflows
that reference a deleted template fail when they next run it: appflowc templates create
(or install) puts the library back. --dry-run=server asks the API server to check each
delete without doing it; --dry-run=client only lists them; a bare --dry-run is server.`,
		Example:           "  appflowc templates delete my-template\n  appflowc templates delete application-create --dry-run=server",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: kf.templateNames(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, a := range args {
				n, err := templateName(a)
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("templates delete: %w", err))
				}
				names = append(names, n)
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			suffix := ""
			switch {
			case dryRun.server():
				suffix = " (server dry run)"
			case dryRun.client():
				suffix = " (client dry run)"
			}
			for _, n := range names {
				if !dryRun.client() {
					if err := c.DeleteTemplate(cmd.Context(), ns, n, dryRun.server()); err != nil {
						return lookupErr(err)
					}
				}
				safetext.Fprintf(cmd.OutOrStdout(), "WorkflowTemplate/%s/%s deleted%s\n", ns, n, suffix)
			}
			return nil
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the templates")
	addDryRun(cmd, &dryRun, "server: ask the API server to check each delete without doing it; client: only list what would be deleted")
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
	var opts apply.DeleteOptions
	var all, allNamespaces bool
	var older ageFlag
	var dryRun dryRunFlag
	cmd := &cobra.Command{
		Use:   "delete (NAME... | --all | --selector S | --completed | --older D) [-A] [--dry-run=server|client]",
		Short: "Delete workflows",
		Long: `delete removes workflows by name (NAME or workflow/NAME, as list -o name prints it), or
those a selection matches, with argo delete's meanings:
  --all          every workflow appflowc submitted in the namespace
  --completed    only finished workflows (Succeeded, Failed, Error)
  --older D      only workflows that finished more than D ago (90s, 10m, 3h, 7d)
  -l S           the workflows with these labels, appflowc's or not
A selection without -l is limited to appflowc's own workflows
(app.kubernetes.io/managed-by=appflowc): --all never deletes what another tool ran in
a shared namespace; give -l to choose others. -A selects in every namespace.
--dry-run=server sends each delete as a server-side dry run (your rights and the
workflow's existence are checked; nothing is removed); --dry-run=client only lists what
would be deleted; a bare --dry-run is server.`,
		Example: `  appflowc delete app-web-x7k2p
  appflowc list -o name --phase Failed | xargs appflowc delete
  appflowc delete --completed --older 7d
  appflowc delete --all --dry-run=server
  appflowc delete -A --selector appflowc.dev/config=web`,
		ValidArgsFunction: kf.workflowNames(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := workflowNamesOf(args)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("delete: %w", err))
			}
			opts.Names = names
			selecting := all || opts.Selector != "" || opts.Completed || older.d > 0
			if len(args) > 0 && (selecting || allNamespaces) {
				return withCode(ExitUsage, errors.New("delete: give workflow names, or --all/--selector/--completed/--older, not both"))
			}
			if len(args) == 0 && !selecting {
				return withCode(ExitUsage, errors.New("delete: name the workflows, or use --all, --selector, --completed or --older"))
			}
			if len(args) == 0 && opts.Selector == "" {
				opts.Selector = apply.ManagedSelector // without -l: appflowc's own
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if allNamespaces {
				ns = ""
			}
			if older.d > 0 {
				opts.FinishedBefore = time.Now().Add(-older.d)
			}
			suffix := ""
			switch {
			case dryRun.server():
				opts.DryRun, suffix = "server", " (server dry run)"
			case dryRun.client():
				opts.DryRun, suffix = "client", " (client dry run)"
			}
			deleted, err := c.DeleteWorkflows(cmd.Context(), ns, opts)
			for _, r := range deleted {
				safetext.Fprintf(cmd.OutOrStdout(), "%s deleted%s\n", r, suffix)
			}
			if err != nil {
				return lookupErr(err)
			}
			return nil
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflows")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "select in every namespace (with --all, --selector, --completed or --older)")
	cmd.Flags().BoolVar(&all, "all", false, "every workflow appflowc submitted in the namespace (app.kubernetes.io/managed-by=appflowc unless -l says otherwise)")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "delete the workflows with these labels")
	cmd.Flags().BoolVar(&opts.Completed, "completed", false, "only finished workflows (Succeeded, Failed, Error)")
	cmd.Flags().Var(&older, "older", "only workflows that finished longer ago than this duration (e.g. 10m, 3h, 7d)")
	addDryRun(cmd, &dryRun, "server: ask the API server to check each delete without doing it; client: only list what would be deleted")
	return cmd
}
