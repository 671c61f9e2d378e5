package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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
	var ns, selector, phase string
	var cron bool
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
-o yaml are exact.`,
		Example: `  appflowc list
  appflowc list --phase Failed -o wide
  appflowc list -l appflowc.dev/config=web -o name
  appflowc list --cron`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			p := painter{on: colorful(cmd, cmd.OutOrStdout())}
			if cron {
				if phase != "" {
					return withCode(ExitUsage, errors.New("list: --phase is for workflows; a CronWorkflow has no phase"))
				}
				cws, err := c.ListCronWorkflows(cmd.Context(), ns, selector)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				return writeCronList(p, cmd.OutOrStdout(), cws, output.value, time.Now())
			}
			// Rows are written as each page arrives (see listWriter).
			lw := &listWriter{p: p, w: cmd.OutOrStdout(), format: output.value, now: time.Now()}
			if err := c.EachWorkflow(cmd.Context(), ns, selector, phase, lw.page); err != nil {
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
	cmd.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the workflows")
	cmd.Flags().StringVarP(&selector, "selector", "l", "app.kubernetes.io/managed-by=appflowc", "label selector")
	cmd.Flags().StringVar(&phase, "phase", "", "only workflows in this phase (Pending, Running, Succeeded, Failed, Error)")
	cmd.Flags().BoolVar(&cron, "cron", false, "list CronWorkflows (scheduled pipelines): schedule, time zone, suspended, last run, active runs")
	cmd.Flags().VarP(&output, "output", "o", output.help("output format"))
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
	n      int  // rows written
	head   bool // table header written
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
		if lw.format == "wide" {
			head += "\tSTARTED\tSUBMITTED-BY\tCOMMIT\tMESSAGE"
		}
		fmt.Fprintln(tw, head)
	}
	for _, wf := range wfs {
		lw.n++
		row := safetext.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", wf.Name, dash(wf.Config), dash(wf.Kind), safetext.Field(wf.Phase, 64), dash(wf.Progress), age(wf.Duration(lw.now)))
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
	var ns string
	output := enumFlag{allowed: []string{"text", "json", "yaml"}, value: "text"}
	cmd := &cobra.Command{
		Use:               "status NAME",
		Short:             "Show a workflow's phase, timing, progress, message and step tree (or a CronWorkflow and its runs)",
		Example:           "  appflowc status app-web-x7k2p\n  appflowc status pipeline-release",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.workflowNames(&ns, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			w := cmd.OutOrStdout()
			st, err := c.Status(cmd.Context(), ns, args[0])
			if apierrors.IsNotFound(err) {
				// A scheduled pipeline is a CronWorkflow: show it and its runs.
				if cs, cerr := c.CronStatus(cmd.Context(), ns, args[0]); cerr == nil {
					return writeCronStatus(painter{on: colorful(cmd, w)}, w, cs, output.value, time.Now())
				}
			}
			if err != nil {
				return withCode(ExitUsage, err)
			}
			warnCycles(cmd, "Workflow/"+ns+"/"+args[0], st.Cycles)
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
	cmd.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the workflow")
	cmd.Flags().VarP(&output, "output", "o", output.help("output format"))
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
	var ns string
	var opts apply.LogOptions
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print the logs of a workflow's steps, each line prefixed by its step",
		Long: `logs prints the main container's log of each step, each line after its step's name.
Log lines are the pods' text: their control characters are shown escaped (ESC as ^[, CR
as \r; tabs stay) unless --raw asks for the bytes as written (for colours, or to pipe
them on exactly). A line of any length is printed; one over 1 MiB in pieces, each after
"STEP (cont.): ". With -f it follows the steps as they start and ends when the workflow
has finished (Argo set finishedAt), or exits 1 if the workflow is deleted first.`,
		Example: `  appflowc logs app-web-x7k2p
  appflowc logs app-web-x7k2p --step validate-inputs
  appflowc logs app-web-x7k2p -f`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: kf.workflowNames(&ns, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kf.client(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			err = c.Logs(cmd.Context(), ns, args[0], opts, cmd.OutOrStdout())
			var gone *apply.GoneError
			if errors.As(err, &gone) {
				return withCode(ExitFailed, err)
			}
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the workflow")
	cmd.Flags().StringVar(&opts.Step, "step", "", "only this step")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "stream the logs until the workflow completes")
	cmd.Flags().BoolVar(&opts.Raw, "raw", false, "write log lines as the pods wrote them, control characters and all (the step prefix is escaped regardless)")
	return cmd
}
