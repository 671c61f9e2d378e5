package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/safetext"
)

func newListCmd() *cobra.Command {
	var kf kubeFlags
	var opts apply.ListOptions
	var cron, allNamespaces, noHeaders bool
	var since, older ageFlag
	output := enumFlag{allowed: []string{"table", "wide", "json", "yaml", "name"}, value: "table"}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List workflows (newest first, page by page), or CronWorkflows with --cron",
		Long: `list prints the workflows of a namespace as the API server hands them out, in pages
of 500 (limit/continue, as kubectl get): rows appear while the rest is still coming, and
a namespace of any size is never held in memory whole. Within a page rows are newest
first, so a namespace of up to 500 workflows is newest first throughout; in a table the
columns are aligned page by page. Text from the cluster is shown escaped (control
characters as ^[ or \r, bidi overrides as <U+202E>, long fields cut with …); -o json and
-o yaml are exact.

The filters are argo list's: --running (not finished: Pending or Running) and
--completed (finished), as Argo's workflows.argoproj.io/completed label says; --since D
keeps the workflows created within D, --older D those that finished more than D ago
(durations as 90s, 10m, 3h, 1d). -A lists every namespace, with a NAMESPACE column.`,
		Example: `  appflowc list
  appflowc list --phase Failed -o wide
  appflowc list -A --running
  appflowc list --completed --older 7d -o name
  appflowc list --since 1h --no-headers
  appflowc list -l appflowc.dev/config=web -o name
  appflowc list --cron`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validateList(cmd, opts.Running, opts.Completed, cron, opts.Phase); err != nil {
				return withCode(ExitUsage, err)
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if allNamespaces {
				ns = "" // kubectl: -A ignores -n and the context's namespace
			}
			p := painter{on: colorful(cmd, cmd.OutOrStdout())}
			now := time.Now()
			if cron {
				cws, err := c.ListCronWorkflows(cmd.Context(), ns, opts.Selector)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				return writeCronList(p, cmd.OutOrStdout(), cws, output.value, now)
			}
			if since.d > 0 {
				opts.CreatedAfter = now.Add(-since.d)
			}
			if older.d > 0 {
				opts.FinishedBefore = now.Add(-older.d)
			}
			// Rows are written as each page arrives (see listWriter).
			lw := &listWriter{p: p, w: cmd.OutOrStdout(), format: output.value, now: now, allNamespaces: allNamespaces, noHeaders: noHeaders}
			if err := c.EachWorkflowMatching(cmd.Context(), ns, opts, lw.page); err != nil {
				// Rows already out stay valid output (a JSON array closed); with none, no
				// header or "[]", which a script would read as "no workflows".
				if lw.n > 0 || lw.head {
					_ = lw.close()
				}
				return withCode(ExitUsage, err)
			}
			return lw.close()
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflows")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list the workflows of every namespace (-n and the context's namespace are ignored)")
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", apply.ManagedSelector, "label selector")
	cmd.Flags().StringVar(&opts.Phase, "phase", "", "only workflows in this phase (Pending, Running, Succeeded, Failed, Error)")
	_ = cmd.RegisterFlagCompletionFunc("phase", cobra.FixedCompletions([]string{"Pending", "Running", "Succeeded", "Failed", "Error"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().BoolVar(&opts.Running, "running", false, "only workflows not finished (Pending or Running)")
	cmd.Flags().BoolVar(&opts.Completed, "completed", false, "only finished workflows (Succeeded, Failed or Error)")
	cmd.Flags().Var(&since, "since", "only workflows created within this duration (e.g. 10m, 3h, 1d)")
	cmd.Flags().Var(&older, "older", "only workflows that finished longer ago than this duration (e.g. 10m, 3h, 1d)")
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "print no header row in table and wide output")
	cmd.Flags().BoolVar(&cron, "cron", false, "list CronWorkflows (scheduled pipelines): schedule, time zone, suspended, last run, active runs")
	addEnum(cmd, &output, "output", "o", "output format")
	return cmd
}

// writeData writes v as JSON or YAML when format asks for one; ok is false otherwise.
// writeData writes v as JSON or YAML (highlighted by p) and reports whether format was one
// of them.
func writeData(p painter, w io.Writer, format string, v any) (ok bool, err error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return true, err
		}
		return true, p.writeYAML(w, string(b))
	}
	return false, nil
}

func writeCronStatus(p painter, w io.Writer, cs *apply.CronSummary, format string, now time.Time) error {
	if ok, err := writeData(p, w, format, cs); ok {
		return err
	}
	tz := cs.Timezone
	if tz == "" {
		tz = "(controller's)"
	}
	safetext.Fprintf(w, "Name:       %s (CronWorkflow)\nSchedule:   %s\nTimezone:   %s\nSuspended:  %t\nActive:     %d\n", cs.Name, cs.Schedule(), tz, cs.Suspended, cs.Active)
	if !cs.LastScheduled.IsZero() {
		fmt.Fprintf(w, "Last run:   %s\n", cs.LastScheduled.UTC().Format(time.RFC3339))
	}
	if len(cs.Runs) == 0 {
		fmt.Fprintln(w, "\nRuns:       none yet")
		return nil
	}
	fmt.Fprintln(w, "\nRuns:")
	return writeList(p, w, cs.Runs, "table", now)
}

func writeCronList(p painter, w io.Writer, cws []apply.CronSummary, format string, now time.Time) error {
	if ok, err := writeData(p, w, format, cws); ok {
		return err
	}
	if format == "name" {
		for _, c := range cws {
			safetext.Fprintf(w, "cronworkflow/%s\n", c.Name)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCHEDULE\tTIMEZONE\tSUSPENDED\tLAST RUN\tACTIVE")
	for _, c := range cws {
		last := "never"
		if !c.LastScheduled.IsZero() {
			last = age(now.Sub(c.LastScheduled))
			if last != invalidAge {
				last += " ago"
			}
		}
		tz := c.Timezone
		if tz == "" {
			tz = "(controller's)"
		}
		safetext.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%d\n", c.Name, c.Schedule(), tz, c.Suspended, last, c.Active)
	}
	return tw.Flush()
}

// invalidAge is a time span that came out negative: the cluster's clock or a status
// is off (kubectl prints the same).
const invalidAge = "<invalid>"

// age shows a time span from the cluster's timestamps: never negative (a second of
// skew shows as 0s, more as <invalid>).
func age(d time.Duration) string {
	switch {
	case d < -time.Second:
		return invalidAge
	case d < 0:
		return "0s"
	}
	return d.String()
}

func writeList(p painter, w io.Writer, wfs []apply.WorkflowSummary, format string, now time.Time) error {
	lw := &listWriter{p: p, w: w, format: format, now: now}
	if err := lw.page(wfs); err != nil {
		return err
	}
	return lw.close()
}

// listWriter writes workflow rows page by page as they arrive: a table aligns its
// columns per page, JSON and YAML are one array written element by element (the same
// bytes as encoding the whole list). Every field from the cluster is escaped in text
// formats; JSON and YAML are exact.
type listWriter struct {
	p      painter
	w      io.Writer
	format string
	now    time.Time
	// allNamespaces adds a NAMESPACE column (-A); noHeaders leaves the header out.
	allNamespaces, noHeaders bool
	n                        int  // rows written
	head                     bool // table header written (or left out with noHeaders)
}

func (lw *listWriter) page(wfs []apply.WorkflowSummary) error {
	w := lw.w
	switch lw.format {
	case "json":
		for _, wf := range wfs {
			b, err := json.MarshalIndent(wf, "  ", "  ")
			if err != nil {
				return err
			}
			sep := ",\n  "
			if lw.n == 0 {
				sep = "[\n  "
			}
			lw.n++
			if _, err := io.WriteString(w, sep+string(b)); err != nil {
				return err
			}
		}
		return nil
	case "yaml":
		for _, wf := range wfs {
			b, err := yaml.Marshal([]apply.WorkflowSummary{wf})
			if err != nil {
				return err
			}
			lw.n++
			if err := lw.p.writeYAML(w, string(b)); err != nil {
				return err
			}
		}
		return nil
	case "name":
		for _, wf := range wfs {
			safetext.Fprintf(w, "workflow/%s\n", wf.Name)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !lw.head {
		lw.head = true
		head := "NAME\tCONFIG\tKIND\tPHASE\tPROGRESS\tDURATION"
		if lw.allNamespaces {
			head = "NAMESPACE\t" + head
		}
		if lw.format == "wide" {
			head += "\tSTARTED\tSUBMITTED-BY\tCOMMIT\tMESSAGE"
		}
		if !lw.noHeaders {
			fmt.Fprintln(tw, head)
		}
	}
	for _, wf := range wfs {
		lw.n++
		row := ""
		if lw.allNamespaces {
			row = safetext.Field(wf.Namespace, 64) + "\t"
		}
		row += safetext.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", wf.Name, dash(wf.Config), dash(wf.Kind), safetext.Field(wf.Phase, 64), dash(wf.Progress), age(wf.Duration(lw.now)))
		if lw.format == "wide" {
			started := "-"
			if !wf.Started.IsZero() {
				started = wf.Started.UTC().Format(time.RFC3339)
			}
			commit := shortCommit(wf.GitCommit)
			if wf.GitDirty {
				commit += "+dirty"
			}
			row += safetext.Sprintf("\t%s\t%s\t%s\t%s", started, dash(wf.SubmittedBy), dash(commit), safetext.Field(dash(wf.Message), 200))
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// close ends the output (the JSON array; an empty table's header).
func (lw *listWriter) close() error {
	switch lw.format {
	case "json":
		if lw.n == 0 {
			_, err := io.WriteString(lw.w, "[]\n")
			return err
		}
		_, err := io.WriteString(lw.w, "\n]\n")
		return err
	case "yaml":
		if lw.n == 0 {
			return lw.p.writeYAML(lw.w, "[]\n")
		}
	case "name":
	default:
		if !lw.head {
			return lw.page(nil)
		}
	}
	return nil
}

// shortCommit is a commit as a column shows it: a hash cut to 12 hex digits, anything
// else escaped and bounded (an escape is never cut in half).
func shortCommit(c string) string {
	hex := len(c) > 0
	for _, r := range c {
		hex = hex && strings.ContainsRune("0123456789abcdef", r)
	}
	if hex {
		return c[:min(len(c), 12)]
	}
	return safetext.Field(c, 12)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newStatusCmd() *cobra.Command {
	var kf kubeFlags
	output := enumFlag{allowed: []string{"text", "json", "yaml"}, value: "text"}
	cmd := &cobra.Command{
		Use:               "status NAME",
		Short:             "Show a workflow's phase, timing, progress, message and step tree (or a CronWorkflow and its runs)",
		Example:           "  appflowc status app-web-x7k2p\n  appflowc status workflow/app-web-x7k2p\n  appflowc status pipeline-release",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.workflowNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// list --cron -o name prints cronworkflow/NAME: that names a CronWorkflow only.
			name, cronOnly := strings.CutPrefix(args[0], "cronworkflow/")
			if !cronOnly {
				n, err := workflowName(name)
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("status: %w", err))
				}
				name = n
			}
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			w := cmd.OutOrStdout()
			if cronOnly {
				cs, err := c.CronStatus(cmd.Context(), ns, name)
				if err != nil {
					return lookupErr(err)
				}
				return writeCronStatus(painter{on: colorful(cmd, w)}, w, cs, output.value, time.Now())
			}
			st, err := c.Status(cmd.Context(), ns, name)
			if apierrors.IsNotFound(err) {
				// A scheduled pipeline is a CronWorkflow: show it and its runs.
				if cs, cerr := c.CronStatus(cmd.Context(), ns, name); cerr == nil {
					return writeCronStatus(painter{on: colorful(cmd, w)}, w, cs, output.value, time.Now())
				}
			}
			if err != nil {
				return lookupErr(err)
			}
			warnCycles(cmd, "Workflow/"+ns+"/"+name, st.Cycles)
			if ok, err := writeData(painter{on: colorful(cmd, w)}, w, output.value, st); ok {
				return err
			}
			safetext.Fprintf(w, "Name:      %s\nPhase:     %s\nProgress:  %s\nDuration:  %s\n", st.Name, st.Phase, dash(st.Progress), age(st.Duration(time.Now())))
			if !st.Started.IsZero() {
				fmt.Fprintf(w, "Started:   %s\n", st.Started.UTC().Format(time.RFC3339))
			}
			if !st.Finished.IsZero() {
				fmt.Fprintf(w, "Finished:  %s\n", st.Finished.UTC().Format(time.RFC3339))
			}
			if st.Message != "" {
				safetext.Fprintf(w, "Message:   %s\n", st.Message)
			}
			if len(st.Outputs) > 0 {
				fmt.Fprintln(w, "\nOutputs:")
				for _, k := range slices.Sorted(maps.Keys(st.Outputs)) {
					safetext.Fprintf(w, "  %s: %s\n", k, st.Outputs[k])
				}
			}
			if st.Nodes != nil {
				fmt.Fprintln(w, "\nSteps:")
				writeTree(w, *st.Nodes, "")
			}
			return nil
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflow")
	addEnum(cmd, &output, "output", "o", "output format")
	return cmd
}

// writeTree prints the step tree; StepGroup nodes are folded into their children, as argo
// does. A loop step's item is cut to its index (-o json has it whole). Names, phases and
// messages are the cluster's: escaped, so that a newline cannot add a step.
func writeTree(w io.Writer, n apply.StepStatus, indent string) {
	if n.Type != "StepGroup" {
		line := indent + safetext.Sprintf("%s  %s", apply.ShortStep(n.Name), safetext.Field(n.Phase, 64))
		if n.Message != "" && n.Phase != "Succeeded" {
			line += "  " + safetext.Field(n.Message, safetext.MaxField)
		}
		fmt.Fprintln(w, line)
		indent += "  "
	}
	for _, c := range n.Children {
		writeTree(w, c, indent)
	}
}

func newLogsCmd() *cobra.Command {
	var kf kubeFlags
	var opts apply.LogOptions
	var since ageFlag
	var tail int64
	var grep string
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print the logs of a workflow's steps, each line prefixed by its step",
		Long: `logs prints the main container's log of each step, each line after its step's name.
Log lines are the pods' text: their control characters are shown escaped (ESC as ^[, CR
as \r; tabs stay) unless --raw asks for the bytes as written (for colours, or to pipe
them on exactly). A line of any length is printed; one over 1 MiB in pieces, each after
"STEP (cont.): ". With -f it follows the steps as they start and ends when the workflow
has finished (Argo set finishedAt), or exits 1 if the workflow is deleted first.

--tail, --since, --timestamps and -c mean what they mean to kubectl logs and are applied
by the kubelet to each step's log; --grep keeps the lines a regular expression matches
(Go's RE2 syntax, matched on the line as written, before escaping; at most 1024
characters). NAME may be given as workflow/NAME, as list -o name prints it.`,
		Example: `  appflowc logs app-web-x7k2p
  appflowc logs app-web-x7k2p --step validate-inputs
  appflowc logs app-web-x7k2p --tail 20 --timestamps
  appflowc logs app-web-x7k2p --since 10m --grep 'error|warn'
  appflowc logs app-web-x7k2p -c wait
  appflowc logs app-web-x7k2p -f`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.workflowNames(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := workflowName(args[0])
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("logs: %w", err))
			}
			if grep != "" {
				if opts.Grep, err = compileGrep(grep); err != nil {
					return withCode(ExitUsage, fmt.Errorf("logs: --grep: %w", err))
				}
			}
			if cmd.Flags().Changed("tail") {
				if tail < -1 {
					return withCode(ExitUsage, fmt.Errorf("logs: --tail %d: give a number of lines, or -1 for all", tail))
				}
				if tail >= 0 {
					opts.TailLines = &tail
				}
			}
			opts.Since = since.d
			c, ns, err := kf.clientNS(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			err = c.Logs(cmd.Context(), ns, name, opts, cmd.OutOrStdout())
			var gone *apply.GoneError
			if errors.As(err, &gone) {
				return withCode(ExitFailed, err)
			}
			return lookupErr(err)
		},
	}
	kf.register(cmd)
	kf.registerNamespace(cmd, "namespace of the workflow")
	cmd.Flags().StringVar(&opts.Step, "step", "", "only this step")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "stream the logs until the workflow completes")
	cmd.Flags().Int64Var(&tail, "tail", -1, "only the last N lines of each step's log; -1: all")
	cmd.Flags().Var(&since, "since", "only lines written within this duration (e.g. 30s, 10m, 1h)")
	cmd.Flags().StringVar(&grep, "grep", "", "only lines matching this regular expression (RE2 syntax, at most 1024 characters)")
	cmd.Flags().BoolVar(&opts.Timestamps, "timestamps", false, "put each line's time (RFC 3339, from the kubelet) after its step")
	cmd.Flags().StringVarP(&opts.Container, "container", "c", "main", "the container of each step pod to read (main, wait, init)")
	_ = cmd.RegisterFlagCompletionFunc("container", cobra.FixedCompletions([]string{"main", "wait", "init"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().BoolVar(&opts.Raw, "raw", false, "write log lines as the pods wrote them, control characters and all (the step prefix is escaped regardless)")
	return cmd
}

// maxGrep bounds --grep: RE2 matches in time linear in the line, but a pattern's compiled
// program grows with its text (and a{1000}{1000} with its repeats, which RE2 refuses
// beyond 1000), so a pattern is kept to a size a person types.
const maxGrep = 1024

// compileGrep compiles a --grep pattern with Go's regexp (RE2: no backtracking, so no
// pattern takes time exponential in the line).
func compileGrep(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > maxGrep {
		return nil, fmt.Errorf("the pattern is %d bytes; at most %d", len(pattern), maxGrep)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return re, nil
}

// validateList holds list's flag rules, checked before any work (the kubeconfig
// included).
func validateList(cmd *cobra.Command, running, completed, cron bool, phase string) error {
	switch {
	case running && completed:
		return errors.New("list: --running and --completed exclude each other")
	case running && cmd.Flags().Changed("older"):
		return errors.New("list: --older selects finished workflows; it cannot be used with --running")
	}
	if cron {
		if phase != "" {
			return errors.New("list: --phase is for workflows; a CronWorkflow has no phase")
		}
		for _, f := range []string{"running", "completed", "since", "older"} {
			if cmd.Flags().Changed(f) {
				return fmt.Errorf("list: --%s is for workflows; it cannot be used with --cron", f)
			}
		}
	}
	return nil
}
