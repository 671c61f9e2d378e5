package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
	"github.com/appflowc/appflowc/render"
	"github.com/appflowc/appflowc/vet"
)

// clusterReadDeadline bounds vet --cluster's read of the cluster's templates.
const clusterReadDeadline = 30 * time.Second

func newVetCmd() *cobra.Command {
	var opts vet.Options
	var kf kubeFlags
	var cluster bool
	output := enumFlag{allowed: []string{"text", "json"}, value: "text"}
	cmd := &cobra.Command{
		Use:   "vet [PATH...]",
		Short: "Check configs offline: schema, cross-field rules and Argo's own validation",
		Long: `vet is the pre-commit check. It
  1. reads every .cue, .yaml, .yml, .json and .jsonnet file of the given directories
     (not their subdirectories) or files, and unifies them into one config;
  2. validates it against the appflowc schema's rules (all errors at once, each with
     file:line:col, the field, what is wrong and how to fix it); with --schema, also
     against the published CUE schema itself (a second line);
  3. renders the manifests in memory and checks every WorkflowTemplate and Workflow
     with Argo's own validation, including workflow parameters against the
     templates they reference.
It needs no kubeconfig and no network. With --cluster it also reads the
WorkflowTemplates of the config's workflow namespace and the cluster's
ClusterWorkflowTemplates, and checks references to them as to templates declared
under externalTemplates (the config's own templates and declarations win).
Exit status: 0 clean, 1 errors, 2 usage or I/O error (with --cluster: the cluster
unreachable or refusing the read).`,
		Example: `  appflowc vet examples/quickstart
  appflowc vet apps/*.cue base.yaml
  appflowc vet -o json . | jq '.errors[].message'
  appflowc vet --cluster --context staging .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := configInput(cmd, args)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fo := frontendOptions(cmd.Context(), cmd)
			opts.Cache, opts.Schema = fo.Cache, fo.Schema
			if cluster {
				opts.ReadCluster = func(ctx context.Context, namespace string) ([]*config.ExternalTemplate, error) {
					c, err := kf.client(ctx)
					if err != nil {
						return nil, err
					}
					// The whole read has a deadline of its own: vet is a pre-commit check,
					// and a cluster that answers slowly must not hold it for long.
					ctx, cancel := context.WithTimeout(ctx, clusterReadDeadline)
					defer cancel()
					var decls []*config.ExternalTemplate
					err = c.EachTemplate(ctx, namespace, config.MaxExternalTemplates, func(u *unstructured.Unstructured, cluster bool) {
						d, skipped := config.DeclarationOf(u, cluster)
						for _, s := range skipped {
							safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: warning: vet --cluster left out %s\n", s)
						}
						if d != nil {
							decls = append(decls, d)
						}
					})
					if err != nil {
						return nil, fmt.Errorf("vet --cluster: %w", err)
					}
					config.SortDeclarations(decls)
					return decls, nil
				}
			}
			prog := startProgress(cmd, cmd.ErrOrStderr(), "checking")
			res, err := vet.Run(cmd.Context(), in, opts)
			prog.Stop()
			if err != nil && cluster && !render.IsConfigError(err) && !errors.Is(err, context.Canceled) {
				var stopped *frontend.StoppedError
				if errors.As(err, &stopped) && len(stopped.Known) > 0 {
					// What was found is said, in the output asked for; the exit code is
					// the cluster's (2), and the summary says the run stopped there.
					if output.value == "json" {
						summary := plural.N(len(stopped.Known), "error") + "; the cluster could not be read, so the checks after it did not run"
						_ = stopped.Known.WriteJSON(cmd.OutOrStdout(), summary)
					} else {
						_ = stopped.Known.WriteText(cmd.ErrOrStderr())
					}
					err = fmt.Errorf("%w (and %s found before the cluster was read; the checks after it did not run)", err, plural.N(len(stopped.Known), "config error"))
				}
				return withCode(ExitUsage, err) // the cluster unreachable or refusing: Main adds the next step
			}
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
	// --skip-schema skipped what is now off unless asked for: still taken, so that hooks
	// and CI lines that pass it keep working.
	cmd.Flags().Bool("skip-schema", false, "")
	_ = cmd.Flags().MarkDeprecated("skip-schema", "the CUE schema check is off unless --schema is given")
	cmd.Flags().BoolVar(&cluster, "cluster", false, "also read the cluster's WorkflowTemplates and ClusterWorkflowTemplates and check references to them")
	kf.register(cmd)
	addInputFlags(cmd)
	return cmd
}
