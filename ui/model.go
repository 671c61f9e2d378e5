// Package ui serves `appflowc ui`: one live page from a config's entries to their
// Workflow runs and step graphs to the Argo CD Applications those runs created.
//
// The page is fed by one list+watch per resource kind (internal/follow, the machinery of
// apply --watch) and pushed to browsers as Server-Sent Events; everything that comes from
// the cluster is escaped (safetext) and bounded before it leaves the server, and the page
// puts text in the DOM only as text.
package ui

import (
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/safetext"
)

// Bounds on what one snapshot carries, whatever the cluster holds: a page stays readable
// and a snapshot small when a namespace has thousands of runs or a run thousands of nodes.
const (
	RunsPerEntry = 5    // newest runs shown per entry
	MaxSteps     = 400  // step nodes shown per run
	maxName      = 253  // a Kubernetes name
	maxMessage   = 2048 // a status or condition message
)

// ConfigEntry is one entry of the config the page was started with.
type ConfigEntry struct {
	Name   string // "web"
	Kind   string // application, applicationset, infra, pipeline (appflowc.dev/kind)
	Source string // file:line:col of the entry in the config
	// Plan is the entry's Workflow drawn as `appflowc graph` draws it (text).
	Plan string
	// Schedule is set when the entry renders a CronWorkflow.
	Schedule string
}

// Snapshot is what the page shows at one moment.
type Snapshot struct {
	Namespace       string  `json:"namespace"`
	ArgoCDNamespace string  `json:"argocdNamespace"`
	FromConfig      bool    `json:"fromConfig"` // entries are the config's, not only what runs
	Entries         []Entry `json:"entries"`
	// Problems are the watches that are failing now (e.g. "Workflows: retrying in 4s:
	// connection refused") and kinds the cluster does not serve.
	Problems []string `json:"problems,omitempty"`
}

// Entry is a config entry (or, without a config, what a run's appflowc.dev/config label
// names) with its runs and Applications.
type Entry struct {
	Name     string `json:"name"`
	Kind     string `json:"kind,omitempty"`
	Source   string `json:"source,omitempty"`
	Plan     string `json:"plan,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	Cron     *Cron  `json:"cron,omitempty"`
	Runs     []Run  `json:"runs"`
	Apps     []App  `json:"apps"`
	// AppSetMessage is the ApplicationSet's error condition, when it has one.
	AppSetMessage string `json:"appSetMessage,omitempty"`
}

// Run is one Workflow.
type Run struct {
	Name      string    `json:"name"`
	Phase     string    `json:"phase"`
	Progress  string    `json:"progress,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	Message   string    `json:"message,omitempty"`
	Failed    string    `json:"failed,omitempty"`    // the first failed step
	Diagnosis []string  `json:"diagnosis,omitempty"` // what the library's steps read from Argo CD
	Steps     *Step     `json:"steps,omitempty"`
	Hidden    int       `json:"hiddenSteps,omitempty"` // steps beyond MaxSteps
	entry     string
	kind      string
}

// Step is one node of a run's tree.
type Step struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Phase    string  `json:"phase,omitempty"`
	Message  string  `json:"message,omitempty"`
	Children []*Step `json:"children,omitempty"`
}

// App is one Argo CD Application.
type App struct {
	Name    string `json:"name"`
	Sync    string `json:"sync"`
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
	// AppliedBy is the run that applied it (the library's appflowc.dev/applied-by); Set
	// the ApplicationSet that generated it (appflowc.dev/applicationset).
	AppliedBy string `json:"appliedBy,omitempty"`
	Set       string `json:"set,omitempty"`
}

// Cron is an entry's CronWorkflow.
type Cron struct {
	Name          string    `json:"name"`
	Schedule      string    `json:"schedule"`
	Timezone      string    `json:"timezone,omitempty"`
	Suspended     bool      `json:"suspended"`
	LastScheduled time.Time `json:"lastScheduled,omitzero"`
	Active        int       `json:"active"`
	entry         string
}

type appSet struct {
	name, message string
}

func field(s string, limit int) string { return safetext.Field(s, limit) }

// runOf is what the page shows of a Workflow, escaped and bounded.
func runOf(u *unstructured.Unstructured) Run {
	st := apply.StatusOf(u)
	r := Run{Name: field(st.Name, maxName), Phase: field(st.Phase, 64), Progress: field(st.Progress, 32),
		Created: u.GetCreationTimestamp().Time, Started: st.Started, Finished: st.Finished,
		Message: field(st.Message, maxMessage), entry: st.Config, kind: st.Kind}
	if oc, done := apply.OutcomeOf(u); done {
		r.Failed = field(oc.Failed, maxName)
		if oc.Failed != "" {
			r.Message = field(oc.Message, maxMessage)
		}
		for _, d := range oc.Diagnosis {
			r.Diagnosis = append(r.Diagnosis, field(d, maxMessage))
		}
	}
	if st.Nodes != nil {
		budget := MaxSteps
		r.Steps = stepOf(st.Nodes, &budget)
		if budget < 0 {
			r.Hidden = -budget
		}
	}
	return r
}

// stepOf converts a node and what is under it, until budget nodes are spent; budget
// ends negative by the number left out.
func stepOf(s *apply.StepStatus, budget *int) *Step {
	*budget--
	out := &Step{Name: field(apply.ShortStep(s.Name), maxName), Type: field(s.Type, 32), Phase: field(s.Phase, 64), Message: field(s.Message, maxMessage)}
	for i := range s.Children {
		if *budget <= 0 {
			*budget -= count(&s.Children[i])
			continue
		}
		out.Children = append(out.Children, stepOf(&s.Children[i], budget))
	}
	return out
}

func count(s *apply.StepStatus) int {
	n := 1
	for i := range s.Children {
		n += count(&s.Children[i])
	}
	return n
}

func str(u map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(u, path...)
	return s
}

// appOf is what the page shows of an Application: its sync status and health, and the
// message that says why when it is not healthy (health's, else the first condition's,
// else the last operation's).
func appOf(u *unstructured.Unstructured) App {
	a := App{Name: field(u.GetName(), maxName), Sync: field(str(u.Object, "status", "sync", "status"), 64),
		Health:    field(str(u.Object, "status", "health", "status"), 64),
		AppliedBy: u.GetAnnotations()["appflowc.dev/applied-by"], Set: u.GetLabels()["appflowc.dev/applicationset"]}
	if a.Sync == "" {
		a.Sync = "Unknown"
	}
	if a.Health == "" {
		a.Health = "Unknown"
	}
	msg := str(u.Object, "status", "health", "message")
	if conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); msg == "" {
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && str(m, "message") != "" {
				msg = str(m, "type") + ": " + str(m, "message")
				break
			}
		}
	}
	if p := str(u.Object, "status", "operationState", "phase"); msg == "" && (p == "Failed" || p == "Error") {
		msg = str(u.Object, "status", "operationState", "message")
	}
	a.Message = field(msg, maxMessage)
	return a
}

// appSetOf keeps an ApplicationSet's error, if it has one.
func appSetOf(u *unstructured.Unstructured) appSet {
	s := appSet{name: u.GetName()}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && str(m, "type") == "ErrorOccurred" && str(m, "status") == "True" {
			s.message = field(str(m, "message"), maxMessage)
		}
	}
	return s
}

func cronOf(u *unstructured.Unstructured) Cron {
	s := apply.CronSummaryOf(u)
	return Cron{Name: field(s.Name, maxName), Schedule: field(s.Schedule(), 256), Timezone: field(s.Timezone, 64),
		Suspended: s.Suspended, LastScheduled: s.LastScheduled, Active: s.Active, entry: s.Config}
}

// state is what the watches know, by object name.
type state struct {
	runs    map[string]Run
	apps    map[string]App
	appSets map[string]appSet
	crons   map[string]Cron
}

func newState() *state {
	return &state{runs: map[string]Run{}, apps: map[string]App{}, appSets: map[string]appSet{}, crons: map[string]Cron{}}
}

// snapshot joins the config's entries (or, with none, the entries the runs name) with
// what the cluster holds: each entry's newest runs, its CronWorkflow, and the
// Applications it owns: for an application entry the Application of its name, for an
// applicationset entry those its ApplicationSet generated.
func (s *state) snapshot(config []ConfigEntry, fromConfig bool) []Entry {
	byName := map[string]*Entry{}
	var order []string
	add := func(name, kind string) *Entry {
		if e, ok := byName[name]; ok {
			return e
		}
		e := &Entry{Name: field(name, maxName), Kind: field(kind, 32), Runs: []Run{}, Apps: []App{}}
		byName[name] = e
		order = append(order, name)
		return e
	}
	for _, c := range config {
		e := add(c.Name, c.Kind)
		e.Source, e.Plan, e.Schedule = c.Source, c.Plan, c.Schedule
	}
	for _, r := range s.runs {
		if r.entry == "" {
			continue
		}
		if _, ok := byName[r.entry]; !ok && fromConfig {
			continue // a run of an entry this config does not have
		}
		e := add(r.entry, r.kind)
		e.Runs = append(e.Runs, r)
	}
	for _, c := range s.crons {
		if _, ok := byName[c.entry]; !ok && fromConfig || c.entry == "" {
			continue
		}
		c := c
		add(c.entry, "").Cron = &c
	}
	for _, name := range order {
		e := byName[name]
		sort.Slice(e.Runs, func(i, j int) bool {
			a, b := e.Runs[i], e.Runs[j]
			if !a.Created.Equal(b.Created) {
				return a.Created.After(b.Created)
			}
			return a.Name > b.Name
		})
		if len(e.Runs) > RunsPerEntry {
			e.Runs = e.Runs[:RunsPerEntry]
		}
		switch e.Kind {
		case "application":
			if a, ok := s.apps[name]; ok && a.Set == "" {
				e.Apps = append(e.Apps, a)
			}
		case "applicationset":
			for _, a := range s.apps {
				if a.Set == name {
					e.Apps = append(e.Apps, a)
				}
			}
			if set, ok := s.appSets[name]; ok {
				e.AppSetMessage = set.message
			}
		}
		sort.Slice(e.Apps, func(i, j int) bool { return e.Apps[i].Name < e.Apps[j].Name })
	}
	sort.Strings(order)
	out := make([]Entry, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out
}

// entryName is "web" of "applications.web".
func entryName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
