package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
	"github.com/appflowc/appflowc/outdir"
	"github.com/appflowc/appflowc/render"
)

// kubeFlags are the kubectl-style connection flags. They are bound by hand rather than
// through k8s.io/cli-runtime's ConfigFlags: its loading rules read $KUBECONFIG and $HOME
// of the process, and a run reads its own environment (RunEnv).
type kubeFlags struct {
	kubeconfig, context string
	requestTimeout      time.Duration
	// namespace is -n of the commands that registered it (registerNamespace); "" when
	// not given: resolveNamespace decides then.
	namespace string
}

func (k *kubeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&k.context, "context", "", "kubeconfig context to use")
	cmd.Flags().DurationVar(&k.requestTimeout, "request-timeout", apply.DefaultRequestTimeout,
		"give up on a request to the API server after this long (a watch or log stream: on its first answer); 0: never")
}

// namespaceHelp is the end of every -n help text: the precedence resolveNamespace applies.
const namespaceHelp = "(default: the kubeconfig context's namespace, else the user config's namespace, else argo)"

// registerNamespace adds -n to a command that reads or changes namespaced objects.
func (k *kubeFlags) registerNamespace(cmd *cobra.Command, what string) {
	cmd.Flags().StringVarP(&k.namespace, "namespace", "n", "", what+" "+namespaceHelp)
}

// clientConfig is the kubeconfig as --kubeconfig and --context select it, loaded from
// the run's environment.
func (k *kubeFlags) clientConfig(ctx context.Context) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	// $KUBECONFIG and ~/.kube/config of the run's environment (RunEnv), not the process's.
	rules.Precedence = filepath.SplitList(getenv(ctx, "KUBECONFIG"))
	if len(rules.Precedence) == 0 {
		if home := getenv(ctx, "HOME"); home != "" {
			rules.Precedence = []string{filepath.Join(home, ".kube", "config")}
		}
	}
	rules.ExplicitPath = k.kubeconfig
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.context})
}

func (k *kubeFlags) restConfig(ctx context.Context) (*rest.Config, error) {
	cc := k.clientConfig(ctx)
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's text suggests KUBERNETES_MASTER, which it no longer reads.
		return nil, &noKubeconfigError{paths: cc.ConfigAccess().GetLoadingPrecedence()}
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// noKubeconfigError: no kubeconfig file at any place appflowc looked.
type noKubeconfigError struct{ paths []string }

func (e *noKubeconfigError) Error() string {
	where := "~/.kube/config (HOME is not set)"
	if len(e.paths) > 0 {
		where = strings.Join(e.paths, ", ")
	}
	return "no kubeconfig found at " + where + "; set KUBECONFIG or --kubeconfig"
}

// resolveNamespace is the namespace of every cluster command that takes -n, decided in
// one place, as kubectl decides it and then appflowc's own defaults:
//  1. -n;
//  2. the namespace of the kubeconfig context in use (--context, else current-context,
//     of --kubeconfig, else $KUBECONFIG, else ~/.kube/config);
//  3. namespace in the user config file;
//  4. argo, the default of a config's appflow.namespace.
//
// clientcmd's own Namespace() cannot be used for step 2: it answers "default" for a
// context without one, which would hide steps 3 and 4.
func (k *kubeFlags) resolveNamespace(ctx context.Context) (string, error) {
	if k.namespace != "" {
		return k.namespace, nil
	}
	raw, err := k.clientConfig(ctx).RawConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := k.context
	if name == "" {
		name = raw.CurrentContext
	}
	if c, ok := raw.Contexts[name]; ok && c.Namespace != "" {
		return c.Namespace, nil
	}
	uc, _, _, err := loadUserConfig(ctx)
	if err != nil {
		return "", err
	}
	if uc.Namespace != "" {
		return uc.Namespace, nil
	}
	return config.DefaultNamespace, nil
}

// clientNS is a client and the namespace the command works in (resolveNamespace).
func (k *kubeFlags) clientNS(ctx context.Context) (*apply.Client, string, error) {
	ns, err := k.resolveNamespace(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := k.client(ctx)
	if err != nil {
		return nil, "", err
	}
	return c, ns, nil
}

func (k *kubeFlags) client(ctx context.Context) (*apply.Client, error) {
	cfg, err := k.restConfig(ctx)
	if err != nil {
		return nil, err
	}
	opts := apply.DefaultClientOptions()
	opts.RequestTimeout = k.requestTimeout
	return apply.NewClientWithOptions(cfg, opts)
}

func newApplyCmd() *cobra.Command {
	var kf kubeFlags
	opts := apply.Options{}
	var watch, showLogs, preflight, checkSources bool
	var dryRun dryRunFlag
	var selected []string
	var selector string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "apply [PATH...|DIR]",
		Short: "Apply a config (or a render output directory) to the cluster and follow its Workflows",
		Long: `apply
  1. takes a config (rendered in memory, with every check of vet) or a directory written
     by appflowc render (applied exactly as reviewed);
  2. runs pre-flight checks (cluster reachable, CRDs served, Argo CD installed when the
     Workflows create Applications, namespaces and service accounts present, your rights
     for every write and for every right the RBAC grants; with --check-sources, chart
     repositories and Git remotes answer) and stops before any write if one fails;
  3. server-side applies it (field manager appflowc) in dependency order: RBAC, then
     ConfigMaps and Secrets, then WorkflowTemplates; then creates the Workflows;
  4. with --watch, follows all submitted Workflows over one watch connection, printing
     phase, progress and current step (stderr; coloured on a terminal unless NO_COLOR
     is set), and streams each step's log prefixed by its step (stdout; --logs=false
     turns it off), until each has finished.
Exit status: 0 applied (and, with --watch, every Workflow Succeeded), 1 a config error
or a Workflow Failed or Errored, 2 usage, pre-flight or connection error, 130
interrupted (the Workflows keep running on the cluster).`,
		Example: `  appflowc apply examples/quickstart --watch
  appflowc apply deploy --select applications/web,applicationSets/shop --watch
  appflowc apply . -l team=payments --watch
  appflowc render . -o deploy && appflowc apply deploy --watch --timeout 30m
  appflowc apply . --dry-run            # = --dry-run=server
  appflowc apply . --dry-run=client     # what would be sent; no cluster needed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateApply(watch, dryRun, selected, selector); err != nil {
				return withCode(ExitUsage, err)
			}
			opts.DryRun = dryRun.server()
			objs, err := loadObjects(cmd, args)
			if err != nil {
				return err
			}
			switch {
			case len(selected) > 0:
				if objs, err = render.Select(objs, selected); err != nil {
					return withCode(ExitUsage, err)
				}
			case selector != "":
				if objs, err = render.SelectLabels(objs, selector); err != nil {
					return withCode(ExitUsage, err)
				}
			}
			if dryRun.client() {
				// kubectl's client dry run: what would be sent, and nothing sent.
				for _, o := range objs {
					id := o.Kind + "/" + o.Name
					if o.Namespace != "" {
						id = o.Kind + "/" + o.Namespace + "/" + o.Name
					}
					if o.Kind == "Workflow" {
						id += "*" // a generateName: the API server picks the rest
					}
					safetext.Fprintf(cmd.OutOrStdout(), "%s (client dry run)\n", id)
				}
				return nil
			}
			return runApply(cmd, &kf, objs, applyRun{opts: opts, watch: watch, showLogs: showLogs, preflight: preflight,
				checkSources: checkSources, timeout: timeout, dir: configDir(args)})
		},
	}
	kf.register(cmd)
	addDryRun(cmd, &dryRun, "server: the API server validates and shows each change without persisting it (pre-flight runs too); client: list the objects that would be sent, contacting no cluster")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the submitted Workflows until they finish")
	cmd.Flags().StringSliceVar(&selected, "select", nil, "apply only these entries (applications/web,infra/payments) and what they need (library, RBAC)")
	_ = cmd.RegisterFlagCompletionFunc("select", entryNames)
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "apply only the entries whose labels match (team=payments,tier!=batch) and what they need")
	cmd.Flags().BoolVar(&showLogs, "logs", true, "with --watch, stream each step's log as it runs, prefixed by its step")
	cmd.Flags().BoolVar(&preflight, "preflight", true, "check the cluster, namespaces, service accounts and your RBAC rights before applying anything")
	cmd.Flags().BoolVar(&checkSources, "check-sources", false, "pre-flight also checks that Helm repositories and Git remotes answer (network)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (e.g. 30m); 0 waits indefinitely")
	addInputFlags(cmd)
	addSecretsFlag(cmd)
	return cmd
}

// validateApply holds apply's flag rules, checked before any work.
func validateApply(watch bool, dryRun dryRunFlag, selected []string, selector string) error {
	if watch && (dryRun.server() || dryRun.client()) {
		return errors.New("apply: --watch follows real Workflows; it cannot be used with --dry-run")
	}
	if len(selected) > 0 && selector != "" {
		return errors.New("apply: use --select or -l, not both")
	}
	return nil
}

// interrupted turns a cancelled context into exit 130 with how to keep following.
func interrupted(cmd *cobra.Command, ctx context.Context, err error, names []string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		if len(names) > 0 {
			safetext.Fprintf(cmd.ErrOrStderr(), "interrupted: the workflows keep running on the cluster: %s\nfollow one with: appflowc logs -f %s (or appflowc status NAME, appflowc list)\n", strings.Join(names, " "), names[0])
		}
		return withCode(ExitInterrupted, errors.New("interrupted"))
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return withCode(ExitUsage, fmt.Errorf("apply: --timeout reached: %w", err))
	}
	return err
}

// loadObjects reads what apply and diff work on: a render output directory as written, or
// a config rendered in memory plus the Secrets its infra declares, built from the
// operator's environment or files (never rendered: their values appear in no Workflow and
// no output).
func loadObjects(cmd *cobra.Command, args []string) ([]render.Object, error) {
	if len(args) == 1 && outdir.IsOutputDir(args[0]) {
		objs, err := outdir.LoadDir(args[0])
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		return objs, nil
	}
	in, err := configInput(cmd, args)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	res, err := compileConfig(cmd.Context(), cmd, in)
	if err != nil {
		return nil, configErr(cmd.ErrOrStderr(), err)
	}
	// fromFile paths are read under the config's root, or under --secrets-dir: the
	// operator's choice, since a config must not pick files of the machine it runs on.
	dir := strings.TrimSuffix(in.DisplayRoot, "/")
	if dir == "" {
		dir = "."
	}
	if sd, _ := cmd.Flags().GetString("secrets-dir"); sd != "" {
		dir = sd
	}
	secrets, err := apply.Secrets(frontend.SecretDecls(res.Config), secretSource(cmd.Context(), dir))
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return append(secrets, res.Objects...), nil
}

// configDir is the directory of the first path given (the config's, or the render
// output's): relative secret files and the Git commit are found from it.
func configDir(args []string) string {
	if len(args) == 0 {
		return "."
	}
	if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
		return args[0]
	}
	return filepath.Dir(args[0])
}

// applyRun is how apply (and submit) apply: the flags that shape it.
type applyRun struct {
	opts                                     apply.Options
	watch, showLogs, preflight, checkSources bool
	timeout                                  time.Duration
	dir                                      string // where the config is: Git audit, secret files
}

// runApply runs pre-flight, applies objs, and with watch follows the submitted Workflows.
func runApply(cmd *cobra.Command, kf *kubeFlags, objs []render.Object, r applyRun) error {
	c, err := kf.client(cmd.Context())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	ctx := cmd.Context()
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	run := apply.RunOptions{Options: r.opts, AuditDir: r.dir}
	if r.preflight {
		run.Preflight = &apply.PreflightOptions{Watch: r.watch, CheckSources: r.checkSources}
	}
	res, err := c.Run(ctx, objs, run)
	for _, p := range res.Problems {
		// A problem names the caller as the API server calls them, and quotes its errors.
		safetext.Fprintf(cmd.ErrOrStderr(), "pre-flight: %s\n", p)
	}
	if len(res.Problems) > 0 {
		return withCode(ExitUsage, fmt.Errorf("apply: %s; nothing was applied", plural.N(len(res.Problems), "pre-flight problem")))
	}
	changes := res.Changes
	for _, ch := range changes {
		safetext.Fprintln(cmd.OutOrStdout(), ch) // a submitted Workflow's name is the API server's
	}
	if err != nil {
		return interrupted(cmd, ctx, withCode(ExitUsage, err), nil)
	}
	if !r.watch {
		return nil
	}
	var names []string
	ns := ""
	for _, ch := range changes {
		if ch.Action == apply.Submitted {
			names, ns = append(names, ch.Name), ch.Namespace
		}
	}
	if len(names) == 0 {
		// Scheduled entries and pipelines submit nothing now: say where their runs appear.
		for _, ch := range changes {
			if ch.Kind == "CronWorkflow" {
				safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: nothing to watch: CronWorkflow/%s/%s starts its runs on its schedule\nappflowc: next: appflowc status %s -n %s\n", ch.Namespace, ch.Name, ch.Name, ch.Namespace)
			}
		}
		return nil
	}
	// Step logs go to stdout as they are written, progress to stderr (a live view on a
	// terminal).
	mode := watchMode{live: true}
	if r.showLogs {
		mode.logs = cmd.OutOrStdout()
	}
	return watchWorkflows(ctx, cmd, c, ns, names, mode)
}
