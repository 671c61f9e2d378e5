package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/appflowc/appflowc/diag"
)

// Pipeline chains templates (the library's and the user's) as the steps of one Workflow,
// or of a CronWorkflow when it has a schedule.
type Pipeline struct {
	Name        string
	Pos         diag.Pos
	Description string
	Labels      []KV
	// DAG runs Steps as a DAG by their Dependencies; otherwise in order, one at a time.
	DAG      bool
	Steps    []PipelineStep
	Schedule *Schedule
	Notify   *Notify
}

// PipelineStep runs one template with arguments.
type PipelineStep struct {
	Name         string
	Pos          diag.Pos
	Template     string
	TemplatePos  diag.Pos
	Arguments    []StepArg // by name
	Dependencies []string
}

// StepArg is one argument of a step; its value may refer to earlier steps' outputs.
type StepArg struct {
	Name   string
	Value  string
	Pos    diag.Pos // of the value
	KeyPos diag.Pos
}

// Schedule makes a pipeline a CronWorkflow.
type Schedule struct {
	Cron                       string
	Timezone                   string
	ConcurrencyPolicy          string
	StartingDeadlineSeconds    *int64
	SuccessfulJobsHistoryLimit *int32
	FailedJobsHistoryLimit     *int32
	Suspend                    bool
}

// Notify posts the run's name, phase and duration to a webhook whose URL is read from a
// Secret in the workflow namespace (never written in a config).
type Notify struct {
	SecretName, SecretKey string
}

// concurrencyPolicies are Argo's CronWorkflow policies.
var concurrencyPolicies = []string{"Allow", "Forbid", "Replace"}

func (d *decoder) pipeline(f *Field) *Pipeline {
	p := []string{"pipelines", f.Key}
	pl := &Pipeline{Name: f.Key, Pos: f.KeyPos}
	d.entryName(f, p)
	n := f.Value
	if !d.fields(n, p, "description", "labels", "dag", "steps", "schedule", "notify") {
		return pl
	}
	if v := n.Get("description"); v != nil {
		pl.Description, _ = d.str(v, append(p, "description"))
	}
	pl.Labels = d.labels(n, p)
	pl.DAG = d.boolean(n.Get("dag"), append(p, "dag"), false)
	steps := d.required(n, p, "steps", "add steps: [{name, template, arguments}, ...]")
	if steps != nil {
		if steps.Kind != List || len(steps.Items) == 0 {
			d.errorf(steps, append(p, "steps"), "write a list of steps: [{name: deploy, template: application-create, arguments: {...}}]", "expected a non-empty list of steps")
		} else {
			for i, it := range steps.Items {
				pl.Steps = append(pl.Steps, d.pipelineStep(it, append(append([]string(nil), p...), "steps", strconv.Itoa(i))))
			}
		}
	}
	names := map[string]bool{}
	for i, s := range pl.Steps {
		sp := append(append([]string(nil), p...), "steps", strconv.Itoa(i))
		if s.Name != "" && names[s.Name] {
			d.errorf(&Node{Pos: s.Pos}, append(sp, "name"), "step names must be unique within a pipeline", "duplicate step name %q", s.Name)
		}
		names[s.Name] = true
	}
	for i, s := range pl.Steps {
		sp := append(append([]string(nil), p...), "steps", strconv.Itoa(i), "dependencies")
		if len(s.Dependencies) > 0 && !pl.DAG {
			d.errorf(&Node{Pos: s.Pos}, sp, "set dag: true to run steps by their dependencies (without it steps run in order)", "dependencies without dag: true")
		}
		for _, dep := range s.Dependencies {
			if !names[dep] || dep == s.Name {
				d.errorf(&Node{Pos: s.Pos}, sp, "name another step of this pipeline", "unknown dependency %q", dep)
			}
		}
	}
	if v := n.Get("schedule"); v != nil {
		pl.Schedule = d.schedule(v, append(p, "schedule"))
	}
	if v := n.Get("notify"); v != nil {
		pl.Notify = d.notify(v, append(p, "notify"))
	}
	return pl
}

func (d *decoder) pipelineStep(n *Node, p []string) PipelineStep {
	s := PipelineStep{Pos: n.Pos}
	if !d.fields(n, p, "name", "template", "arguments", "dependencies") {
		return s
	}
	if v := d.required(n, p, "name", "name the step (it names its outputs: steps.NAME.outputs...)"); v != nil {
		if name, ok := d.str(v, append(p, "name")); ok {
			d.label(v, append(p, "name"), name, 63)
			s.Name = name
		}
	}
	if v := d.required(n, p, "template", "name a WorkflowTemplate: one of the library's or of workflowTemplates"); v != nil {
		s.Template, _ = d.str(v, append(p, "template"))
		s.TemplatePos = v.Pos
	}
	if args := n.Get("arguments"); args != nil && d.fieldsAny(args, append(p, "arguments")) {
		for _, af := range args.SortedFields() {
			v := af.Value
			if v.Kind == Map || v.Kind == List || v.Kind == Null {
				// null too: the schema takes a string, number or boolean, and null would
				// reach the step as the text "null".
				d.errorf(v, append(p, "arguments", af.Key), "write the value as a string (Argo parameters are text; JSON as a string)", "expected a scalar, found %s", v.display())
				continue
			}
			s.Arguments = append(s.Arguments, StepArg{Name: af.Key, Value: scalarString(v), Pos: v.Pos, KeyPos: af.KeyPos})
		}
	}
	s.Dependencies = d.strList(n.Get("dependencies"), append(p, "dependencies"), nil)
	return s
}

func (d *decoder) schedule(n *Node, p []string) *Schedule {
	s := &Schedule{ConcurrencyPolicy: "Forbid"}
	if !d.fields(n, p, "cron", "timezone", "concurrencyPolicy", "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "suspend") {
		return s
	}
	if v := d.required(n, p, "cron", `add cron: "0 2 * * *" (minute hour day-of-month month day-of-week)`); v != nil {
		if c, ok := d.str(v, append(p, "cron")); ok {
			s.Cron = c
			if _, err := cron.ParseStandard(c); err != nil {
				d.errorf(v, append(p, "cron"), `use five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (nightly at 02:00), or a descriptor such as @daily`, "invalid cron schedule %q: %v", c, err)
			}
		}
	}
	if v := n.Get("timezone"); v != nil {
		if tz, ok := d.str(v, append(p, "timezone")); ok {
			if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
				d.errorf(v, append(p, "timezone"), "use an IANA time zone such as UTC or Europe/Berlin", "unknown time zone %q", tz)
			}
			s.Timezone = tz
		}
	}
	if v := n.Get("concurrencyPolicy"); v != nil {
		if cp, ok := d.str(v, append(p, "concurrencyPolicy")); ok {
			if !slices.Contains(concurrencyPolicies, cp) {
				d.errorf(v, append(p, "concurrencyPolicy"), "use one of "+strings.Join(concurrencyPolicies, ", "), "unknown concurrencyPolicy %q", cp)
			}
			s.ConcurrencyPolicy = cp
		}
	}
	if v := n.Get("startingDeadlineSeconds"); v != nil {
		if v.Kind != Int || v.Int < 0 || v.Int > 86400 {
			d.errorf(v, append(p, "startingDeadlineSeconds"), "use whole seconds between 0 and 86400", "invalid startingDeadlineSeconds %s", v.display())
		} else {
			s.StartingDeadlineSeconds = &v.Int
		}
	}
	for _, h := range []struct {
		key string
		dst **int32
	}{{"successfulJobsHistoryLimit", &s.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", &s.FailedJobsHistoryLimit}} {
		if v := n.Get(h.key); v != nil {
			if v.Kind != Int || v.Int < 0 || v.Int > 100 {
				d.errorf(v, append(p, h.key), "keep between 0 and 100 finished runs", "invalid %s %s", h.key, v.display())
			} else {
				x := int32(v.Int)
				*h.dst = &x
			}
		}
	}
	s.Suspend = d.boolean(n.Get("suspend"), append(p, "suspend"), false)
	return s
}

func (d *decoder) notify(n *Node, p []string) *Notify {
	nt := &Notify{}
	if !d.fields(n, p, "webhookSecret") {
		return nt
	}
	ws := d.required(n, p, "webhookSecret", "add webhookSecret: {name: SECRET, key: KEY}: the webhook URL is read from that Secret in the workflow namespace")
	if ws == nil || !d.fields(ws, append(p, "webhookSecret"), "name", "key") {
		return nt
	}
	if v := d.required(ws, append(p, "webhookSecret"), "name", "name the Secret holding the webhook URL"); v != nil {
		if s, ok := d.str(v, append(p, "webhookSecret", "name")); ok {
			d.subdomain(v, append(p, "webhookSecret", "name"), s)
			nt.SecretName = s
		}
	}
	if v := d.required(ws, append(p, "webhookSecret"), "key", "name the key of the Secret holding the URL"); v != nil {
		if s, ok := d.str(v, append(p, "webhookSecret", "key")); ok {
			d.configKey(v, append(p, "webhookSecret", "key"), s)
			nt.SecretKey = s
		}
	}
	return nt
}
