package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
)

// Workflow control: suspend, resume, stop, terminate, retry, resubmit, with the argo
// CLI's names, flags and semantics (apply.Control has Argo's rules); wait and watch are
// in watchcmd.go.

// controlSpec is what sets one control command apart from the others.
type controlSpec struct {
	action  apply.ControlAction
	short   string
	long    string
	example string
	// all says which workflows --all (and -l) choose: those this action applies to.
	all     string
	applies func(phase string) bool
}

func unfinished(phase string) bool {
	return phase != "Succeeded" && phase != "Failed" && phase != "Error"
}

var controlSpecs = []controlSpec{
	{action: apply.ActionSuspend, short: "Suspend workflows: no new step starts until they are resumed",
		long:    "suspend sets spec.suspend, as argo suspend does: running steps go on, no new step starts. A finished workflow cannot be suspended.",
		example: "  appflowc suspend app-web-x7k2p\n  appflowc suspend --all", all: "every unfinished workflow", applies: unfinished},
	{action: apply.ActionResume, short: "Resume suspended workflows (or their suspend steps)",
		long: `resume unsets spec.suspend and lets every running suspend step succeed, as argo resume does
(a suspend step's supplied outputs take their defaults). With --node-field-selector only
the matching suspend steps succeed.`,
		example: "  appflowc resume app-web-x7k2p\n  appflowc resume app-web-x7k2p --node-field-selector displayName=approve",
		all:     "every unfinished workflow", applies: unfinished},
	{action: apply.ActionStop, short: "Stop workflows: running steps finish, exit handlers run, nothing new starts",
		long: `stop sets spec.shutdown=Stop, as argo stop does: Argo lets running steps end, starts no
new one and runs the exit handlers (the library's handlers read Argo CD's diagnosis). With
--node-field-selector it fails only the matching suspend steps (with --message).`,
		example: "  appflowc stop app-web-x7k2p\n  appflowc stop -l appflowc.dev/config=web",
		all:     "every unfinished workflow", applies: unfinished},
	{action: apply.ActionTerminate, short: "Terminate workflows at once: running steps are killed, exit handlers do not run",
		long:    "terminate sets spec.shutdown=Terminate, as argo terminate does: running steps are killed and no exit handler runs. Prefer stop, which lets the library's exit handlers report.",
		example: "  appflowc terminate app-web-x7k2p", all: "every unfinished workflow", applies: unfinished},
	{action: apply.ActionRetry, short: "Retry failed workflows from their failed steps",
		long: `retry runs a Failed or Error workflow again from where it failed, with Argo's own
algorithm (ported from Argo v3.7.18): failed steps and what they lead to are reset, their
pods deleted, succeeded steps kept. With --restart-successful and --node-field-selector,
matching succeeded steps run again too (a Succeeded workflow can be retried that way).`,
		example: "  appflowc retry app-web-x7k2p -w\n  appflowc retry --all -l appflowc.dev/config=web\n  appflowc retry app-web-x7k2p --restart-successful --node-field-selector templateName=deploy",
		all:     "every Failed or Error workflow", applies: func(p string) bool { return p == "Failed" || p == "Error" }},
	{action: apply.ActionResubmit, short: "Submit a finished workflow again as a new workflow",
		long: `resubmit creates a new workflow from an old one's spec, labels and annotations, as argo
resubmit does; the new one is labelled workflows.argoproj.io/resubmitted-from-workflow.
With --memoized a Failed or Error workflow's succeeded steps are reused.`,
		example: "  appflowc resubmit app-web-x7k2p -w\n  appflowc resubmit app-web-x7k2p --memoized"},
}

func newControlCmds() []*cobra.Command {
	cmds := make([]*cobra.Command, 0, len(controlSpecs))
	for _, s := range controlSpecs {
		cmds = append(cmds, newControlCmd(s))
	}
	return cmds
}

func newControlCmd(s controlSpec) *cobra.Command {
	var kf kubeFlags
	var selector string
	var all, follow bool
	var opts apply.ControlOptions
	dryRun := enumFlag{allowed: []string{"none", "server", "client"}, value: "none"}
	long := s.long + `

Workflows are chosen by name (NAME or workflow/NAME, as list -o name prints)`
	if s.applies != nil {
		long += `, or with -l
(a label selector) or --all: ` + s.all + ` among the workflows appflowc manages (or
matching -l), the others skipped`
	} else {
		long += ` or with -l (a label selector)`
	}
	long += `.
--dry-run=server sends the change for the API server to check and keep nothing;
--dry-run=client prints what would be done.

Exit status: 0 done for every workflow chosen, 1 a workflow could not be ` + s.action.Past() + `
(its state forbids it, it is not found, the API server refused), 2 bad usage or an
unreachable cluster, 130 interrupted.`
	if s.action == apply.ActionRetry || s.action == apply.ActionResubmit {
		long += " With -w, the exit status is the new run's: 0 Succeeded, 1 not."
	}
	cmd := &cobra.Command{
		Use:               string(s.action) + " [NAME...]",
		Short:             s.short,
		Long:              long,
		Example:           s.example,
		ValidArgsFunction: kf.workflowNames(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := workflowNamesOf(args)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("%s: %w", s.action, err))
			}
			// Flags are checked before any request: a bad one is a usage error (2), not a
			// refusal found workflow by workflow.
			if opts.NodeFieldSelector != "" {
				if _, err := fields.ParseSelector(opts.NodeFieldSelector); err != nil {
					return withCode(ExitUsage, fmt.Errorf("%s: --node-field-selector %q: %w (e.g. displayName=approve)", s.action, opts.NodeFieldSelector, err))
				}
				if !strings.Contains(opts.NodeFieldSelector, "=") {
					return withCode(ExitUsage, fmt.Errorf("%s: --node-field-selector %q: want FIELD=VALUE (e.g. displayName=approve)", s.action, opts.NodeFieldSelector))
				}
			}
			for _, p := range opts.Parameters {
				if k, _, ok := strings.Cut(p, "="); !ok || k == "" {
					return withCode(ExitUsage, fmt.Errorf("%s: -p %q: want NAME=VALUE", s.action, p))
				}
			}
			bySelector := all || selector != ""
			if len(names) == 0 && !bySelector {
				hint := "name workflows, or choose them with -l SELECTOR"
				if s.applies != nil {
					hint += " or --all"
				}
				return withCode(ExitUsage, fmt.Errorf("%s: %s", s.action, hint))
			}
			if follow && (len(names) != 1 || bySelector) {
				return withCode(ExitUsage, fmt.Errorf("%s: -w follows one workflow: name exactly one", s.action))
			}
			opts.DryRun = dryRun.value == "server"
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			ctx := cmd.Context()
			chosen := map[string]bool{}
			for _, n := range names {
				chosen[n] = true
			}
			named := len(names)
			if bySelector {
				sel := selector
				if sel == "" {
					sel = apply.ManagedSelector
				}
				wfs, err := c.ListWorkflows(ctx, ns, sel, "")
				if err != nil {
					return withCode(ExitUsage, err)
				}
				for _, w := range wfs {
					if chosen[w.Name] {
						continue
					}
					if s.applies != nil && !s.applies(w.Phase) {
						continue
					}
					chosen[w.Name] = true
					names = append(names, w.Name)
				}
				if len(names) == 0 {
					safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: %s: no workflow in namespace %s matches %s\n", s.action, ns, sel)
					return nil
				}
			}
			out := cmd.OutOrStdout()
			failed := 0
			var created []string
			for i, n := range names {
				if dryRun.value == "client" {
					safetext.Fprintf(out, "workflow %s %s (dry run)\n", n, s.action.Past())
					continue
				}
				res, err := c.Control(ctx, s.action, ns, n, opts)
				if ctx.Err() != nil {
					return withCode(ExitInterrupted, ctx.Err())
				}
				if err != nil && i >= named && errors.Is(err, apply.ErrNotApplicable) {
					// Chosen by a selector and changed state since it was listed.
					safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: skipped: %s\n", err)
					continue
				}
				if err != nil && unanswered(err) {
					// The cluster did not answer: the next workflow would wait as long.
					return withCode(ExitUsage, err)
				}
				if err != nil {
					failed++
					safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: %s\n", err)
					continue
				}
				suffix := ""
				if opts.DryRun {
					suffix = " (server dry run)"
				}
				if res.Created != "" {
					safetext.Fprintf(out, "workflow %s %s as %s%s\n", n, s.action.Past(), res.Created, suffix)
					created = append(created, res.Created)
				} else {
					safetext.Fprintf(out, "workflow %s %s%s\n", n, s.action.Past(), suffix)
				}
			}
			if failed > 0 {
				return withCode(ExitFailed, fmt.Errorf("%s: %s of %d could not be %s", s.action, plural.N(failed, "workflow"), len(names), s.action.Past()))
			}
			if !follow || dryRun.value != "none" {
				return nil
			}
			target := names[0]
			if len(created) == 1 {
				target = created[0]
			}
			// As apply -w: the live view on stderr, the steps' logs on stdout.
			return watchWorkflows(ctx, cmd, c, ns, []string{target}, watchMode{live: true, logs: cmd.OutOrStdout()})
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflows")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "choose the workflows with these labels (team=payments,tier!=batch)")
	if s.applies != nil {
		cmd.Flags().BoolVar(&all, "all", false, s.all+" appflowc manages in the namespace (with -l: matching it)")
	}
	cmd.Flags().Var(&dryRun, "dry-run", dryRun.help("none: act; server: the API server checks the change and keeps nothing; client: print what would be done"))
	cmd.Flags().Lookup("dry-run").NoOptDefVal = "server"
	switch s.action {
	case apply.ActionResume:
		cmd.Flags().StringVar(&opts.NodeFieldSelector, "node-field-selector", "", "only the running suspend steps matching this (displayName=approve, templateName=..., inputs.parameters.NAME.value=...)")
	case apply.ActionStop:
		cmd.Flags().StringVar(&opts.NodeFieldSelector, "node-field-selector", "", "fail only the running suspend steps matching this, instead of stopping the workflow")
		cmd.Flags().StringVar(&opts.Message, "message", "", "with --node-field-selector, the message set on the steps stopped")
	case apply.ActionRetry:
		cmd.Flags().BoolVar(&opts.RestartSuccessful, "restart-successful", false, "also run again the succeeded steps matching --node-field-selector")
		cmd.Flags().StringVar(&opts.NodeFieldSelector, "node-field-selector", "", "with --restart-successful, the succeeded steps to run again (templateName=deploy, displayName=..., inputs.parameters.NAME.value=...)")
		cmd.Flags().StringArrayVarP(&opts.Parameters, "parameter", "p", nil, "override an argument of the workflow: NAME=VALUE (repeatable)")
		cmd.Flags().BoolVarP(&follow, "watch", "w", false, "follow the retried workflow until it finishes, its steps' logs on stdout (one workflow; argo's -w is --wait)")
	case apply.ActionResubmit:
		cmd.Flags().BoolVar(&opts.Memoized, "memoized", false, "reuse the steps that succeeded (a Failed or Error workflow only)")
		cmd.Flags().StringArrayVarP(&opts.Parameters, "parameter", "p", nil, "override an argument of the workflow: NAME=VALUE (repeatable)")
		cmd.Flags().BoolVarP(&follow, "watch", "w", false, "follow the new workflow until it finishes, its steps' logs on stdout (one workflow; argo's -w is --wait)")
	}
	return cmd
}

// unanswered reports whether err is the cluster not doing its part rather than refusing
// the action: no answer (a connection refused, a deadline, a dropped connection), an
// answer that is no answer (overloaded, unavailable, a body that does not decode), or no
// right to ask. That is exit 2, as for every command; a refusal of the action (its state
// forbids it, not found, invalid) is 1.
func unanswered(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var se *json.SyntaxError
	return errors.As(err, &se) || runtime.IsNotRegisteredError(err) || strings.Contains(err.Error(), "couldn't get version/kind")
}
