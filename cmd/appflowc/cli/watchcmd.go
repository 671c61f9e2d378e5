package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
)

// watchMode says how watchWorkflows shows progress.
type watchMode struct {
	live  bool      // a live view on terminals, a line per change elsewhere
	quiet bool      // no progress at all (wait)
	logs  io.Writer // where step logs go while the view is drawn (nil: no logs)
	// anyLabels follows named workflows whatever their labels (see apply.WatchOptions).
	anyLabels bool
}

// watchWorkflows follows the named workflows to their end and prints how each ended on
// stdout. Progress goes to stderr: a live view when stderr is a terminal that takes
// escape sequences, a line per change otherwise (a CI log, a pipe). The exit status is 0
// when every workflow Succeeded, 1 when one did not or was deleted first.
func watchWorkflows(ctx context.Context, cmd *cobra.Command, c *apply.Client, ns string, names []string, mode watchMode) error {
	errw := cmd.ErrOrStderr()
	opts := apply.WatchOptions{AnyLabels: mode.anyLabels, Retrying: func(err error, after time.Duration) {
		safetext.Fprintf(errw, "appflowc: watch: %s; again in %s\n", err, after.Round(100*time.Millisecond))
	}}
	var view *liveView
	switch {
	case mode.quiet:
	case mode.live && liveCapable(cmd, errw):
		f := errw.(*os.File)
		view = newLiveView(errw, painter{on: colorful(cmd, errw)}, func() (int, int) {
			w, h, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 80, 24
			}
			return w, h
		}, names)
		opts.Update = view.update
		opts.Retrying = func(err error, after time.Duration) {
			safetext.Fprintf(view.logs(errw), "appflowc: watch: %s; again in %s\n", err, after.Round(100*time.Millisecond))
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					view.tick()
				case <-stop:
					return
				}
			}
		}()
	default:
		opts.Out, opts.Phase = errw, painter{on: colorful(cmd, errw)}.phase
	}
	stopLogs := make(chan struct{})
	logsDone := make(chan error, 1)
	if mode.logs != nil {
		lw := mode.logs
		if view != nil && isTerminal(lw) {
			lw = view.logs(lw) // the same screen: log lines scroll above the view
		}
		go func() {
			logsDone <- c.FollowLogs(ctx, ns, names, apply.LogOptions{Follow: true}, lw, stopLogs)
		}()
	} else {
		logsDone <- nil
	}
	outcomes, err := c.Watch(ctx, ns, names, opts)
	close(stopLogs)
	if view != nil {
		view.end()
	}
	if lerr := <-logsDone; lerr != nil && err == nil && ctx.Err() == nil {
		safetext.Fprintln(errw, "appflowc: warning: step logs:", lerr)
	}
	failed := printOutcomes(cmd.OutOrStdout(), outcomes)
	var gone *apply.GoneError
	switch {
	case errors.As(err, &gone):
		return withCode(ExitFailed, err)
	case err != nil:
		return interrupted(cmd, ctx, withCode(ExitUsage, err), names)
	case failed > 0:
		return withCode(ExitFailed, fmt.Errorf("%s of %d did not succeed", plural.N(failed, "workflow"), len(outcomes)))
	}
	return nil
}

// liveCapable reports whether w is a terminal a live view can be drawn on.
func liveCapable(cmd *cobra.Command, w io.Writer) bool {
	if getenv(cmd.Context(), "TERM") == "dumb" {
		return false
	}
	_, ok := w.(*os.File)
	return ok && isTerminal(w)
}

// printOutcomes prints "NAME Succeeded" or "NAME Failed: step S: message" and the
// diagnosis per workflow, and returns how many did not succeed.
func printOutcomes(w io.Writer, outcomes []apply.Outcome) int {
	failed := 0
	for _, oc := range outcomes {
		// Phase, step, message and diagnosis are the cluster's text.
		safetext.Fprintf(w, "%s %s", oc.Name, oc.Phase)
		if oc.Phase != "Succeeded" {
			failed++
			if oc.Failed != "" {
				safetext.Fprintf(w, ": step %s", oc.Failed)
			}
			if oc.Message != "" {
				safetext.Fprintf(w, ": %s", oc.Message)
			}
			for _, d := range oc.Diagnosis {
				safetext.Fprintf(w, "\n  diagnosis: %s", d)
			}
		}
		fmt.Fprintln(w)
	}
	return failed
}

func newWatchCmd() *cobra.Command {
	var kf kubeFlags
	var logs bool
	cmd := &cobra.Command{
		Use:   "watch NAME",
		Short: "Follow a workflow to its end: a live view of its steps on terminals, a line per change elsewhere",
		Long: `watch follows one workflow until it finishes, as argo watch does. On a terminal it draws
the workflow's phase, a progress bar, its step counts (a retried step counts once),
elapsed time, the step tree and the first failed step with its message, redrawn in
place; piped, it prints a line per change. With --logs, step logs scroll above the view.
It ends with "NAME PHASE" on stdout.

Exit status: 0 the workflow Succeeded, 1 it did not (or was deleted first), 2 bad usage
or an unreachable cluster, 130 interrupted (the workflow keeps running).`,
		Example:           "  appflowc watch app-web-x7k2p\n  appflowc watch workflow/app-web-x7k2p --logs",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.workflowNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := workflowName(args[0])
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("watch: %w", err))
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := exists(cmd.Context(), c, ns, name); err != nil {
				return err
			}
			mode := watchMode{live: true}
			if logs {
				mode.logs = cmd.OutOrStdout()
			}
			return watchWorkflows(cmd.Context(), cmd, c, ns, []string{name}, mode)
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflow")
	cmd.Flags().BoolVar(&logs, "logs", false, "stream each step's log (stdout) as it runs, prefixed by its step")
	return cmd
}

func newWaitCmd() *cobra.Command {
	var kf kubeFlags
	var ignoreNotFound bool
	cmd := &cobra.Command{
		Use:   "wait NAME...",
		Short: "Wait for workflows to finish; the exit status says whether all succeeded",
		Long: `wait blocks until each named workflow has finished, as argo wait does, with one watch for
all of them, and prints "NAME PHASE" for each (with the failed step and its message).

Exit status: 0 every workflow Succeeded, 1 one did not (or was deleted first, or is not
found unless --ignore-not-found), 2 bad usage or an unreachable cluster, 130 interrupted.`,
		Example:           "  appflowc wait app-web-x7k2p\n  appflowc wait $(appflowc list --running -o name)",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: kf.workflowNames(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := workflowNamesOf(args)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("wait: %w", err))
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			var present []string
			for _, n := range names {
				err := exists(cmd.Context(), c, ns, n)
				var ec *exitError
				if ignoreNotFound && errors.As(err, &ec) && ec.code == ExitFailed {
					safetext.Fprintf(cmd.ErrOrStderr(), "appflowc: %s\n", err)
					continue
				}
				if err != nil {
					return err
				}
				present = append(present, n)
			}
			if len(present) == 0 {
				return nil
			}
			return watchWorkflows(cmd.Context(), cmd, c, ns, present, watchMode{quiet: true, anyLabels: true})
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflows")
	cmd.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "a workflow that does not exist is not an error")
	return cmd
}

// exists checks that a workflow is there before following it, so that a typo is "not
// found" (exit 1) and not a wait for a workflow that will never come.
func exists(ctx context.Context, c *apply.Client, ns, name string) error {
	_, err := c.Status(ctx, ns, name)
	if apierrors.IsNotFound(err) && !apply.IsNotServed(err) {
		return withCode(ExitFailed, fmt.Errorf("workflow %s not found in namespace %s", name, ns))
	}
	return lookupErr(err)
}

// lookupErr is the exit code of reading a named object: not found is 1, as kubectl get's
// (the object asked about is not there); the Workflow kind not served (Argo not
// installed) and every other failure is the environment's, 2.
func lookupErr(err error) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err) && !apply.IsNotServed(err):
		return withCode(ExitFailed, err)
	}
	return withCode(ExitUsage, err)
}
