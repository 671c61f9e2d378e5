// Package cli holds appflowc's cobra commands: each parses flags into a library options
// struct and calls one library function. Main is the in-process entry point tests use.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
)

// Exit codes shared by every command; exitCodesHelp says what each means, and
// TestEveryCommandsExitCodes runs each command into each code it can give.
const (
	ExitOK          = 0
	ExitFailed      = 1 // the check failed: config errors, drift, differences, a failed workflow
	ExitUsage       = 2 // bad flags, unreadable input, no kubeconfig, cluster unreachable or refusing
	ExitInterrupted = 130
)

// exitCodesHelp is the exit-code table, in appflowc --help, appflowc help exit-codes
// and the README.
const exitCodesHelp = `Exit status, the same for every command:
  0    success
  1    the check failed: the config has errors (vet, render, graph, diff, apply,
       submit, ui, install, templates create), render --check found drift, diff found
       differences, a Workflow failed or was deleted (apply --watch, logs -f, watch,
       wait, retry -w), Argo's rules refused an action (suspend of a finished workflow),
       a named workflow or template is not there (status, logs, delete, graph
       --workflow, templates get|delete, wait, watch, the control commands)
  2    usage or environment: bad flags or arguments, unreadable input, no kubeconfig,
       the cluster unreachable, refusing the credentials or the rights, Argo's CRDs
       missing, a pre-flight problem
  130  interrupted (Ctrl-C); Workflows already submitted keep running
Diagnostics go to stderr, data (manifests, lists, diffs, -o json reports) to stdout.`

// exitError carries an exit code through cobra's RunE; its message, if any, is printed once by Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs appflowc with os.Args and returns the process exit code. Ctrl-C (or SIGTERM)
// cancels the command's context; a command still running a second later, or a second
// Ctrl-C, ends the process with 130 (kubectl exits on Ctrl-C at once).
func Main() int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	what := "appflowc"
	if len(os.Args) > 1 {
		what += " " + os.Args[1]
	}
	return interruptible(context.Background(), sigs, os.Stderr, interruptGrace, os.Exit, what, func(ctx context.Context) int {
		return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	})
}

// interruptGrace is how long a command may take to stop after Ctrl-C.
const interruptGrace = time.Second

// interruptible runs run with a context that the first signal cancels. If run has not
// returned grace later, or a second signal comes, it says so and calls exit(130): nothing
// a command waits on (a hung API server, a library call without a context) can make
// Ctrl-C fail.
func interruptible(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, grace time.Duration, exit func(int), what string, run func(context.Context) int) int {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx) }()
	select {
	case code := <-done:
		return code
	case <-sigs:
		cancel()
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case code := <-done:
		return code
	case <-t.C:
	case <-sigs:
	}
	fmt.Fprintf(stderr, "appflowc: interrupted: %s did not stop within %s; exiting\n", what, grace)
	exit(ExitInterrupted)
	return ExitInterrupted
}

// Run executes one command line with the given streams, in the process's environment.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr)
}

// RunEnv is Run in the environment env (KEY=VALUE pairs) instead of the process's: what
// the command reads of its environment (caches, user config, colour, secrets' fromEnv,
// KUBECONFIG) comes from env only.
func RunEnv(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	return run(withEnviron(ctx, environList(env)), args, stdout, stderr)
}

// silenceKlog quiets klog once per process.
var silenceKlog sync.Once

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	silenceKlog.Do(func() {
		// client-go logs retries and discovery failures through klog; appflowc reports the
		// errors that matter itself, so klog's lines would only be noise on stderr.
		// Error lines go to stderr above stderrthreshold even when logtostderr is off.
		// klog's settings are process-wide: set once, not by every (concurrent) run.
		kfs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(kfs)
		_ = kfs.Set("logtostderr", "false")
		_ = kfs.Set("stderrthreshold", "FATAL")
		klog.SetOutput(io.Discard)
		// Argo's packages log through logrus's standard logger (wfv1.Nodes warns about
		// node IDs, which are the cluster's text): appflowc reports what matters itself.
		logrus.SetOutput(io.Discard)
	})
	root := NewRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee) && ee.code == ExitInterrupted:
		if ee.err != nil {
			fmt.Fprintln(stderr, "appflowc:", errorText(ee.err))
		}
		return ExitInterrupted
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		// Interrupted, however the command wrapped it: 130, and what was going on.
		fmt.Fprintln(stderr, "appflowc: interrupted:", errorText(err))
		return ExitInterrupted
	case ee != nil:
		if ee.err != nil {
			fmt.Fprintln(stderr, "appflowc:", errorText(ee.err))
			if hint := nextStep(ee.err); hint != "" && !strings.Contains(ee.err.Error(), hint) {
				fmt.Fprintln(stderr, "appflowc: next:", safetext.Escape(hint)) // it may quote the server
			}
		}
		return ee.code
	}
	// Anything cobra itself returns is a usage error (unknown flag, bad args).
	fmt.Fprintln(stderr, "appflowc:", errorText(err))
	return ExitUsage
}

// errorText is an error as printed: its text may hold the API server's (a Status
// message, a name, a body that did not decode), so it is escaped whole, a newline shown
// as \n. Errors that are several (errors.Join) print one per line, each escaped; so do
// appflowc's own lists (an error with Lines).
func errorText(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var msgs, lines []string
		for _, e := range j.Unwrap() {
			if e != nil {
				msgs = append(msgs, e.Error())
				lines = append(lines, errorText(e))
			}
		}
		if strings.Join(msgs, "\n") == err.Error() {
			return strings.Join(lines, "\n")
		}
	}
	var list interface{ Lines() []string }
	if !errors.As(err, &list) {
		return safetext.Escape(err.Error())
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = safetext.Escape(l)
	}
	return strings.Join(lines, "\n")
}

// NewRootCmd builds the command tree. No state lives outside it.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use: "appflowc",
		Example: `  appflowc init deploy && appflowc vet deploy
  appflowc render deploy -o deploy/rendered --check
  appflowc apply deploy --watch`,
		Short: "Compile GitOps configs into Argo Workflows manifests",
		Long: `appflowc checks configs that describe Argo CD Applications, ApplicationSets and
infrastructure prerequisites (written in CUE, YAML, JSON or Jsonnet), compiles them into
Argo Workflows manifests on disk, and can submit them to a cluster and follow them.

` + exitCodesHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Defaults from ~/.config/appflowc/config.yaml, for flags not given.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return applyUserConfig(cmd) },
	}
	root.PersistentFlags().Bool("no-color", false, "never colour output (colour is used only on terminals; NO_COLOR is honoured too)")
	root.AddCommand(newVersionCmd(), newVetCmd(), newRenderCmd(), newApplyCmd(), newDiffCmd(), newListCmd(), newStatusCmd(),
		newTemplatesCmd(), newInstallCmd(), newDeleteCmd(), newLogsCmd(), newConfigCmd(), newExplainCmd(), newGraphCmd(), newInitCmd(), newSubmitCmd(), newUICmd(),
		// A help topic (no Run): appflowc help exit-codes.
		&cobra.Command{Use: "exit-codes", Short: "What appflowc's exit status means, for every command", Long: exitCodesHelp,
			Example: "  appflowc vet deploy 2>/dev/null; echo $?   # 1: the config has errors"})
	root.AddCommand(newControlCmds()...)
	root.AddCommand(newWatchCmd(), newWaitCmd())
	root.InitDefaultCompletionCmd() // cobra adds it only when executing: here, so that it is checked below
	completionExamples(root)
	for _, c := range root.Commands() {
		requireKnownSubcommand(c)
	}
	return root
}

// configErr prints config problems as diagnostics (on w, stderr) and exits 1, in every
// command that reads a config: the exit-code table (exitCodesHelp) has one code for a
// config that fails validation. Other errors (unreadable input) exit 2.
func configErr(w io.Writer, err error) error {
	var p *frontend.Problems
	var dl diag.List
	if !errors.As(err, &p) && errors.As(err, &dl) {
		p = &frontend.Problems{Diags: dl} // a stage's own list: nothing is known not to have run
	}
	if p != nil {
		_ = p.Diags.WriteText(w)
		// Every command says what vet says: how many, and which checks did not run.
		msg := plural.N(len(p.Diags), "error") + " in config"
		if p.NotRun != "" {
			msg += "; " + p.NotRun
		}
		return withCode(ExitFailed, errors.New(msg))
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return withCode(ExitUsage, err)
}

// requireKnownSubcommand makes "appflowc templates nosuch" a usage error (exit 2):
// cobra shows the help of a command that only groups others and exits 0 whatever its
// arguments (spf13/cobra#706). Alone, such a command still shows its help.
func requireKnownSubcommand(c *cobra.Command) {
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.NoArgs
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	for _, sub := range c.Commands() {
		requireKnownSubcommand(sub)
	}
}

// completionExamples gives cobra's completion commands the examples every command has.
func completionExamples(root *cobra.Command) {
	ex := map[string]string{
		"bash":       "  source <(appflowc completion bash)",
		"zsh":        "  appflowc completion zsh > \"${fpath[1]}/_appflowc\"",
		"fish":       "  appflowc completion fish > ~/.config/fish/completions/appflowc.fish",
		"powershell": "  appflowc completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = ex["bash"] + "\n" + ex["zsh"]
		for _, sub := range c.Commands() {
			sub.Example = ex[sub.Name()]
		}
	}
}
