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
)

func newListCmd() *cobra.Command {
	var kf kubeFlags
	var ns, selector, phase string
	var cron bool
	output := enumFlag{allowed: []string{"table", "wide", "json", "yaml", "name"}, value: "table"}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List workflows (newest first), or CronWorkflows with --cron",
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
			wfs, err := c.ListWorkflows(cmd.Context(), ns, selector, phase)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return writeList(p, cmd.OutOrStdout(), wfs, output.value, time.Now())
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
	fmt.Fprintf(w, "Name:       %s (CronWorkflow)\nSchedule:   %s\nTimezone:   %s\nSuspended:  %t\nActive:     %d\n", cs.Name, cs.Schedule(), tz, cs.Suspended, cs.Active)
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
			fmt.Fprintf(w, "cronworkflow/%s\n", c.Name)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCHEDULE\tTIMEZONE\tSUSPENDED\tLAST RUN\tACTIVE")
	for _, c := range cws {
		last := "never"
		if !c.LastScheduled.IsZero() {
			last = now.Sub(c.LastScheduled).Round(time.Second).String() + " ago"
		}
		tz := c.Timezone
		if tz == "" {
			tz = "(controller's)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%d\n", c.Name, c.Schedule(), tz, c.Suspended, last, c.Active)
	}
	return tw.Flush()
}

func writeList(p painter, w io.Writer, wfs []apply.WorkflowSummary, format string, now time.Time) error {
	if wfs == nil {
		wfs = []apply.WorkflowSummary{} // [] rather than null in JSON
	}
	if ok, err := writeData(p, w, format, wfs); ok {
		return err
	}
	switch format {
	case "name":
		for _, wf := range wfs {
			fmt.Fprintf(w, "workflow/%s\n", wf.Name)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "NAME\tCONFIG\tKIND\tPHASE\tPROGRESS\tDURATION"
	if format == "wide" {
		head += "\tSTARTED\tSUBMITTED-BY\tCOMMIT\tMESSAGE"
	}
	fmt.Fprintln(tw, head)
	for _, wf := range wfs {
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", wf.Name, dash(wf.Config), dash(wf.Kind), wf.Phase, dash(wf.Progress), wf.Duration(now))
		if format == "wide" {
			started := "-"
			if !wf.Started.IsZero() {
				started = wf.Started.UTC().Format(time.RFC3339)
			}
			commit := wf.GitCommit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			if wf.GitDirty {
				commit += "+dirty"
			}
			row += "\t" + started + "\t" + dash(wf.SubmittedBy) + "\t" + dash(commit) + "\t" + dash(wf.Message)
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
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
			fmt.Fprintf(w, "Name:      %s\nPhase:     %s\nProgress:  %s\nDuration:  %s\n", st.Name, st.Phase, dash(st.Progress), st.Duration(time.Now()))
			if !st.Started.IsZero() {
				fmt.Fprintf(w, "Started:   %s\n", st.Started.UTC().Format(time.RFC3339))
			}
			if !st.Finished.IsZero() {
				fmt.Fprintf(w, "Finished:  %s\n", st.Finished.UTC().Format(time.RFC3339))
			}
			if st.Message != "" {
				fmt.Fprintf(w, "Message:   %s\n", st.Message)
			}
			if len(st.Outputs) > 0 {
				fmt.Fprintln(w, "\nOutputs:")
				for _, k := range slices.Sorted(maps.Keys(st.Outputs)) {
					fmt.Fprintf(w, "  %s: %s\n", k, st.Outputs[k])
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
// does. A loop step's item is cut to its index (-o json has it whole).
func writeTree(w io.Writer, n apply.StepStatus, indent string) {
	if n.Type != "StepGroup" {
		line := fmt.Sprintf("%s%s  %s", indent, apply.ShortStep(n.Name), n.Phase)
		if n.Message != "" && n.Phase != "Succeeded" {
			line += "  " + strings.ReplaceAll(n.Message, "\n", " ")
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
			if err := c.Logs(cmd.Context(), ns, args[0], opts, cmd.OutOrStdout()); err != nil {
				return withCode(ExitUsage, err)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().StringVarP(&ns, "namespace", "n", "argo", "namespace of the workflow")
	cmd.Flags().StringVar(&opts.Step, "step", "", "only this step")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "stream the logs until the workflow completes")
	return cmd
}
