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
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/graph"
	"github.com/appflowc/appflowc/internal/safetext"
)

// Bounds on what one snapshot carries, whatever the cluster holds: a page stays readable
// and a snapshot small when a namespace has thousands of runs or a run thousands of nodes.
const (
	RunsPerEntry     = 5    // newest runs shown per entry (the newest with its steps)
	MaxSteps         = 400  // step nodes shown per run
	MaxSnapshotSteps = 5000 // step nodes shown in all (newest runs of the first entries)
	MaxEntries       = 500  // entries shown
	MaxApps          = 200  // Applications shown per entry
	MaxDiagnoses     = 5    // diagnoses shown per run
	maxName          = 253  // a Kubernetes name
	maxMessage       = 2048 // a status or condition message
	maxStepMessage   = 512  // a step's message in the tree (the failed one is whole in Run.Message)
	maxNode          = 1024 // a node's full name, by which its log is asked for
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
	HiddenEntries   int     `json:"hiddenEntries,omitempty"` // beyond MaxEntries
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
	// HiddenApps counts the Applications beyond MaxApps.
	HiddenApps int `json:"hiddenApps,omitempty"`
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
	Name    string `json:"name"`
	Type    string `json:"type"`
	Phase   string `json:"phase,omitempty"`
	Message string `json:"message,omitempty"`
	// Node is the node's full name: what the page asks for the step's log by.
	Node     string  `json:"node,omitempty"`
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
	AppliedBy string `json:"-"`
	Set       string `json:"-"`
}

// Cron is an entry's CronWorkflow.
type Cron struct {
	Name          string    `json:"name"`
	Schedule      string    `json:"schedule"`
	Timezone      string    `json:"timezone,omitempty"`
	Suspended     bool      `json:"suspended"`
	LastScheduled time.Time `json:"lastScheduled,omitzero"`
	Active        int       `json:"active"`
	entry, kind   string
}

type appSet struct {
	name, message string
}

func field(s string, limit int) string { return safetext.Field(s, limit) }

// when is a time the page can carry: in UTC, and zero when it is not in years 1 to 9999
// (a status may hold "+24:00" offsets or year 0, which time.Parse takes and JSON
// encoding refuses).
func when(t time.Time) time.Time {
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}
	}
	return t
}

// runOf is what the page shows of a Workflow, escaped and bounded.
func runOf(u *unstructured.Unstructured) Run {
	apply.Hydrate(u) // the object is the watch's, this state's only reader
	sum := apply.SummaryOf(u)
	r := Run{Name: field(sum.Name, maxName), Phase: field(sum.Phase, 64), Progress: field(sum.Progress, 32),
		Created: when(u.GetCreationTimestamp().Time), Started: when(sum.Started), Finished: when(sum.Finished),
		Message: field(sum.Message, maxMessage), entry: sum.Config, kind: sum.Kind}
	if oc, done := apply.OutcomeOf(u); done {
		r.Failed = field(oc.Failed, maxName)
		if oc.Failed != "" {
			r.Message = field(oc.Message, maxMessage)
		}
		for _, d := range oc.Diagnosis[:min(len(oc.Diagnosis), MaxDiagnoses)] {
			r.Diagnosis = append(r.Diagnosis, field(d, maxMessage))
		}
	}
	nodes := apply.NodesOf(u)
	// Each node once, whatever the links say (graph.BuildRunTree, as status draws it).
	if tree := graph.BuildRunTree(graph.RunNodes(nodes), u.GetName()); tree.Root != nil {
		budget := MaxSteps
		r.Steps = stepOf(tree.Root, &budget)
		if budget < 0 {
			r.Hidden = -budget
		}
	}
	return r
}

// stepOf converts a node and what is under it, until budget nodes are spent; budget
// ends negative by the number left out.
func stepOf(n *graph.TreeNode, budget *int) *Step {
	*budget--
	out := &Step{Name: field(apply.ShortStep(n.DisplayName), maxName), Type: field(n.Type, 32), Phase: field(n.Phase, 64),
		Message: field(n.Message, maxStepMessage)}
	if n.Type == "Pod" && len(n.Name) <= maxNode {
		out.Node = n.Name // matched exactly, never shown: not escaped (a longer one: no log button)
	}
	for _, c := range n.Children {
		if *budget <= 0 {
			*budget -= count(c)
			continue
		}
		out.Children = append(out.Children, stepOf(c, budget))
	}
	return out
}

func count(n *graph.TreeNode) int {
	c := 1
	for _, k := range n.Children {
		c += count(k)
	}
	return c
}

// size is the number of nodes of a converted tree.
func size(s *Step) int {
	if s == nil {
		return 0
	}
	n := 1
	for _, c := range s.Children {
		n += size(c)
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
	// (AppliedBy and Set are compared with names, never shown.)
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
		Suspended: s.Suspended, LastScheduled: when(s.LastScheduled), Active: s.Active, entry: s.Config, kind: s.Kind}
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

// snapshot joins the config's entries (or, with none, the entries the runs and
// CronWorkflows name) with what the cluster holds: each entry's newest runs, its
// CronWorkflow, and the Applications it owns: for an application entry the Application
// of its name, for an applicationset entry those its ApplicationSet generated. Only the
// first MaxEntries entries (by name) are joined: the cost follows what is shown.
func (s *state) snapshot(config []ConfigEntry, fromConfig bool) (entries []Entry, hidden int) {
	byName := map[string]*Entry{}
	var order []string
	add := func(name string) *Entry {
		if e, ok := byName[name]; ok {
			return e
		}
		e := &Entry{Name: field(name, maxName), Runs: []Run{}, Apps: []App{}}
		byName[name] = e
		order = append(order, name)
		return e
	}
	for _, c := range config {
		e := add(c.Name)
		e.Kind, e.Source, e.Plan, e.Schedule = c.Kind, c.Source, c.Plan, c.Schedule
	}
	if !fromConfig {
		for _, r := range s.runs {
			if r.entry != "" {
				add(r.entry)
			}
		}
		for _, c := range s.crons {
			if c.entry != "" {
				add(c.entry)
			}
		}
	}
	sort.Strings(order)
	hidden = max(0, len(order)-MaxEntries)
	order = order[:min(len(order), MaxEntries)]
	shown := make(map[string]bool, len(order))
	for _, name := range order {
		shown[name] = true
	}
	for _, r := range s.runs {
		if shown[r.entry] {
			e := byName[r.entry]
			e.Runs = append(e.Runs, r)
		}
	}
	crons := map[string][]Cron{}
	for _, c := range s.crons {
		if shown[c.entry] {
			crons[c.entry] = append(crons[c.entry], c)
		}
	}
	bySet := map[string][]App{}
	for _, a := range s.apps {
		if a.Set != "" && shown[a.Set] {
			bySet[a.Set] = append(bySet[a.Set], a)
		}
	}
	out := make([]Entry, 0, len(order))
	steps := MaxSnapshotSteps
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
		cs := crons[name]
		if !fromConfig { // the newest run says what kind of entry it is, else its CronWorkflow
			switch {
			case len(e.Runs) > 0:
				e.Kind = field(e.Runs[0].kind, 32)
			case len(cs) > 0:
				e.Kind = field(cs[0].kind, 32)
			}
		}
		// One CronWorkflow per entry on the page: of the entry's kind if one is, then by name.
		sort.Slice(cs, func(i, j int) bool {
			if mi, mj := cs[i].kind == e.Kind, cs[j].kind == e.Kind; mi != mj {
				return mi
			}
			return cs[i].Name < cs[j].Name
		})
		if len(cs) > 0 {
			c := cs[0]
			e.Cron = &c
		}
		switch e.Kind {
		case "application":
			if a, ok := s.apps[name]; ok && a.Set == "" {
				e.Apps = append(e.Apps, a)
			}
		case "applicationset":
			e.Apps = append(e.Apps, bySet[name]...)
			if set, ok := s.appSets[name]; ok {
				e.AppSetMessage = set.message
			}
		}
		sort.Slice(e.Apps, func(i, j int) bool { return e.Apps[i].Name < e.Apps[j].Name })
		if len(e.Apps) > MaxApps {
			e.HiddenApps = len(e.Apps) - MaxApps
			e.Apps = e.Apps[:MaxApps]
		}
		// The page draws the newest run's steps only; within the budget of all steps.
		for i := range e.Runs {
			n := size(e.Runs[i].Steps)
			if i > 0 || n > steps {
				e.Runs[i].Steps, e.Runs[i].Hidden = nil, e.Runs[i].Hidden+n
				continue
			}
			steps -= n
		}
		out = append(out, *e)
	}
	return out, hidden
}
