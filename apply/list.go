package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/graph"
	"github.com/appflowc/appflowc/internal/follow"
)

// WorkflowSummary is one row of `appflowc list`.
type WorkflowSummary struct {
	Name      string    `json:"name"`
	Namespace string    `json:"namespace,omitempty"`
	Created   time.Time `json:"created,omitzero"` // metadata.creationTimestamp
	Config    string    `json:"config,omitempty"` // appflowc.dev/config label
	Kind      string    `json:"kind,omitempty"`   // appflowc.dev/kind label
	Phase     string    `json:"phase"`
	Progress  string    `json:"progress,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	Message   string    `json:"message,omitempty"`
	// SubmittedBy and GitCommit are the audit annotations apply sets.
	SubmittedBy string `json:"submittedBy,omitempty"`
	GitCommit   string `json:"gitCommit,omitempty"`
	GitDirty    bool   `json:"gitDirty,omitempty"`
}

// Duration is how long the workflow ran (until now when it is still running).
func (w WorkflowSummary) Duration(now time.Time) time.Duration {
	if w.Started.IsZero() {
		return 0
	}
	end := w.Finished
	if end.IsZero() {
		end = now
	}
	return end.Sub(w.Started).Round(time.Second)
}

// SummaryOf is what list shows of a Workflow read or watched from the cluster.
func SummaryOf(u *unstructured.Unstructured) WorkflowSummary {
	t := func(path ...string) time.Time {
		v, _ := time.Parse(time.RFC3339, str(u.Object, path...))
		return v
	}
	phase := str(u.Object, "status", "phase")
	if phase == "" {
		phase = "Pending"
	}
	return WorkflowSummary{Name: u.GetName(), Namespace: u.GetNamespace(), Created: u.GetCreationTimestamp().Time.UTC(), Config: u.GetLabels()["appflowc.dev/config"], Kind: u.GetLabels()["appflowc.dev/kind"],
		Phase: phase, Progress: progressOf(u), Started: t("status", "startedAt"), Finished: t("status", "finishedAt"),
		Message: str(u.Object, "status", "message"), SubmittedBy: u.GetAnnotations()[AnnotationSubmittedBy],
		GitCommit: u.GetAnnotations()[AnnotationGitCommit], GitDirty: u.GetAnnotations()[AnnotationGitDirty] == "true"}
}

// EachWorkflow lists the Workflows of namespace matching selector (and phase, if set) in
// pages of follow.PageSize, and calls page with each page's summaries, newest first
// within the page, as it arrives: a namespace of 100,000 runs is neither held whole nor
// waited for. page may return ErrEnough to stop early.
func (c *Client) EachWorkflow(ctx context.Context, namespace, selector, phase string, page func([]WorkflowSummary) error) error {
	return c.EachWorkflowMatching(ctx, namespace, ListOptions{Selector: selector, Phase: phase}, page)
}

// ListOptions select the workflows EachWorkflowMatching lists, with argo list's meanings.
// Each field names its flag.
type ListOptions struct {
	Selector string // -l
	Phase    string // --phase
	// Running (--running) keeps the workflows Argo has not marked completed (Pending or
	// Running); Completed (--completed) those it has. Both are label selectors on Argo's
	// workflows.argoproj.io/completed, as argo list does, so the server filters.
	Running, Completed bool
	// CreatedAfter (--since) keeps the workflows created after it.
	CreatedAfter time.Time
	// FinishedBefore (--older) keeps the workflows that finished before it (a workflow
	// still running has not finished, so it never matches).
	FinishedBefore time.Time
}

// LabelCompleted is the label Argo's controller sets to "true" when a workflow finishes.
const LabelCompleted = "workflows.argoproj.io/completed"

// selector is the label selector sent to the server: the user's and --running/--completed.
func (o ListOptions) selector() string {
	parts := []string{}
	if o.Selector != "" {
		parts = append(parts, o.Selector)
	}
	if o.Completed {
		parts = append(parts, LabelCompleted+"=true")
	}
	if o.Running {
		parts = append(parts, LabelCompleted+"!=true")
	}
	return strings.Join(parts, ",")
}

// keep applies what the server cannot filter: phase and times.
func (o ListOptions) keep(s WorkflowSummary) bool {
	switch {
	case o.Phase != "" && s.Phase != o.Phase:
		return false
	case !o.CreatedAfter.IsZero() && !s.Created.After(o.CreatedAfter):
		return false
	case !o.FinishedBefore.IsZero() && (s.Finished.IsZero() || !s.Finished.Before(o.FinishedBefore)):
		return false
	}
	return true
}

// EachWorkflowMatching is EachWorkflow with argo list's filters. An empty namespace lists
// every namespace (-A).
func (c *Client) EachWorkflowMatching(ctx context.Context, namespace string, opts ListOptions, page func([]WorkflowSummary) error) error {
	err := follow.EachPage(ctx, c.dyn.Resource(WorkflowsGVR).Namespace(namespace).List, metav1.ListOptions{LabelSelector: opts.selector()},
		func(items []runtime.Object, _ string) error {
			var out []WorkflowSummary
			for _, o := range items {
				if u, ok := o.(*unstructured.Unstructured); ok {
					if s := SummaryOf(u); opts.keep(s) {
						out = append(out, s)
					}
				}
			}
			sortNewestFirst(out)
			return page(out)
		})
	if errors.Is(err, ErrEnough) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list workflows in %s: %w", namespaceText(namespace), err)
	}
	return nil
}

// namespaceText names a namespace in a message; "" is every namespace.
func namespaceText(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return ns
}

// ErrEnough stops EachWorkflow without an error.
var ErrEnough = errors.New("enough")

func sortNewestFirst(out []WorkflowSummary) {
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.After(out[j].Started)
		}
		return out[i].Name < out[j].Name
	})
}

// ListWorkflows lists the Workflows of namespace matching selector (and phase, if set),
// newest first.
func (c *Client) ListWorkflows(ctx context.Context, namespace, selector, phase string) ([]WorkflowSummary, error) {
	var out []WorkflowSummary
	err := c.EachWorkflow(ctx, namespace, selector, phase, func(p []WorkflowSummary) error { out = append(out, p...); return nil })
	if err != nil {
		return nil, err
	}
	sortNewestFirst(out)
	return out, nil
}

// listAll lists every object of a resource in pages.
func (c *Client) listAll(ctx context.Context, gvr schema.GroupVersionResource, namespace, selector string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	err := follow.EachPage(ctx, c.dyn.Resource(gvr).Namespace(namespace).List, metav1.ListOptions{LabelSelector: selector},
		func(items []runtime.Object, _ string) error {
			for _, o := range items {
				if u, ok := o.(*unstructured.Unstructured); ok {
					out = append(out, u)
				}
			}
			return nil
		})
	return out, err
}

// StepStatus is one node of a workflow's tree.
type StepStatus struct {
	Name     string       `json:"name"`
	Type     string       `json:"type"`
	Phase    string       `json:"phase"`
	Message  string       `json:"message,omitempty"`
	Children []StepStatus `json:"children,omitempty"`
}

// WorkflowStatus is what `appflowc status` shows.
type WorkflowStatus struct {
	WorkflowSummary
	// Outputs are the entrypoint's output parameters (e.g. the Application's sync status).
	Outputs map[string]string `json:"outputs,omitempty"`
	Nodes   *StepStatus       `json:"nodes,omitempty"`
	// Cycles are links of status.nodes that lead back to a node on their own path: a
	// broken or hostile status; they are not followed.
	Cycles []string `json:"cycles,omitempty"`
}

// stepStatus converts a placed node and what is under it.
func stepStatus(t *graph.TreeNode) *StepStatus {
	s := &StepStatus{Name: t.DisplayName, Type: t.Type, Phase: t.Phase, Message: t.Message}
	for _, c := range t.Children {
		s.Children = append(s.Children, *stepStatus(c))
	}
	return s
}

// Status reads one workflow and its node tree.
func (c *Client) Status(ctx context.Context, namespace, name string) (*WorkflowStatus, error) {
	u, err := c.dyn.Resource(WorkflowsGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("Workflow/%s/%s: %w", namespace, name, err)
	}
	Hydrate(u)
	return StatusOf(u), nil
}

// StatusOf is what status shows of a Workflow read or watched from the cluster.
func StatusOf(u *unstructured.Unstructured) *WorkflowStatus {
	name := u.GetName()
	st := &WorkflowStatus{WorkflowSummary: SummaryOf(u)}
	nodes := NodesOf(u)
	// Each node once, in time linear in the nodes, whatever the links say (see
	// graph.BuildRunTree); the root node's ID is the workflow's name.
	tree := graph.BuildRunTree(graph.RunNodes(nodes), name)
	st.Cycles = tree.Cycles
	if tree.Root != nil {
		st.Nodes = stepStatus(tree.Root)
	}
	params, _, _ := unstructured.NestedSlice(nodes, name, "outputs", "parameters")
	for _, p := range params {
		if m, ok := p.(map[string]any); ok {
			if st.Outputs == nil {
				st.Outputs = map[string]string{}
			}
			st.Outputs[str(m, "name")] = str(m, "value")
		}
	}
	return st
}

// TemplateSummary is one row of `appflowc templates list`.
type TemplateSummary struct {
	Name        string   `json:"name"`
	Namespace   string   `json:"namespace,omitempty"`
	Description string   `json:"description,omitempty"`
	Parameters  []string `json:"parameters"`
	Library     bool     `json:"library"` // part of appflowc's library
}

// ListTemplates lists the WorkflowTemplates of namespace ("": every namespace).
func (c *Client) ListTemplates(ctx context.Context, namespace string) ([]TemplateSummary, error) {
	items, err := c.listAll(ctx, TemplatesGVR, namespace, "")
	if err != nil {
		return nil, fmt.Errorf("list workflowtemplates in %s: %w", namespaceText(namespace), err)
	}
	out := []TemplateSummary{}
	for _, u := range items {
		out = append(out, TemplateSummaryOf(u))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// TemplateSummaryOf is what templates list and get show of a WorkflowTemplate.
func TemplateSummaryOf(u *unstructured.Unstructured) TemplateSummary {
	ts := TemplateSummary{Name: u.GetName(), Namespace: u.GetNamespace(), Description: u.GetAnnotations()["workflows.argoproj.io/description"],
		Library: u.GetLabels()["appflowc.dev/library"] == "true", Parameters: []string{}}
	params, _, _ := unstructured.NestedSlice(u.Object, "spec", "arguments", "parameters")
	for _, p := range params {
		if m, ok := p.(map[string]any); ok {
			ts.Parameters = append(ts.Parameters, str(m, "name"))
		}
	}
	return ts
}

// GetTemplate reads one WorkflowTemplate.
func (c *Client) GetTemplate(ctx context.Context, namespace, name string) (*unstructured.Unstructured, error) {
	u, err := c.dyn.Resource(TemplatesGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("WorkflowTemplate/%s/%s: %w", namespace, name, err)
	}
	return u, nil
}

// DeleteTemplate deletes one WorkflowTemplate; serverDryRun asks the API server to check
// the delete without doing it.
func (c *Client) DeleteTemplate(ctx context.Context, namespace, name string, serverDryRun bool) error {
	var do metav1.DeleteOptions
	if serverDryRun {
		do.DryRun = []string{metav1.DryRunAll}
	}
	if err := c.dyn.Resource(TemplatesGVR).Namespace(namespace).Delete(ctx, name, do); err != nil {
		return fmt.Errorf("WorkflowTemplate/%s/%s: delete: %w", namespace, name, err)
	}
	return nil
}

// TemplatesGVR is the Argo WorkflowTemplate resource.
var TemplatesGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtemplates"}

// DeleteOptions select what DeleteWorkflows removes. Each field names its flag.
type DeleteOptions struct {
	Names     []string // explicit names
	Selector  string   // --selector
	Completed bool     // --completed: only finished workflows (with the selector)
	// FinishedBefore (--older) keeps only the workflows that finished before it.
	FinishedBefore time.Time
	// DryRun is --dry-run: "server" sends each delete with dryRun=All (the API server
	// checks rights and existence, nothing is removed), "client" sends none; "" deletes.
	DryRun string
}

// WorkflowRef names one workflow.
type WorkflowRef struct{ Namespace, Name string }

func (r WorkflowRef) String() string { return "Workflow/" + r.Namespace + "/" + r.Name }

// DeleteWorkflows deletes workflows by name, or those matching a selector (optionally
// only completed ones, or ones finished before a time), and returns those deleted. An
// empty namespace with a selector is every namespace (-A).
func (c *Client) DeleteWorkflows(ctx context.Context, namespace string, opts DeleteOptions) ([]WorkflowRef, error) {
	var refs []WorkflowRef
	for _, n := range opts.Names {
		refs = append(refs, WorkflowRef{namespace, n})
	}
	if len(opts.Names) == 0 {
		items, err := c.listAll(ctx, WorkflowsGVR, namespace, opts.Selector)
		if err != nil {
			return nil, fmt.Errorf("list workflows in %s: %w", namespaceText(namespace), err)
		}
		for _, u := range items {
			_, done := OutcomeOf(u)
			if opts.Completed && !done {
				continue
			}
			if !opts.FinishedBefore.IsZero() {
				if f := SummaryOf(u).Finished; f.IsZero() || !f.Before(opts.FinishedBefore) {
					continue
				}
			}
			refs = append(refs, WorkflowRef{u.GetNamespace(), u.GetName()})
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Namespace != refs[j].Namespace {
			return refs[i].Namespace < refs[j].Namespace
		}
		return refs[i].Name < refs[j].Name
	})
	var do metav1.DeleteOptions
	switch opts.DryRun {
	case "":
	case "server":
		do.DryRun = []string{metav1.DryRunAll}
	case "client":
		// What would be deleted: a named workflow that is not there would not be.
		for _, r := range refs[:len(opts.Names)] {
			if _, err := c.dyn.Resource(WorkflowsGVR).Namespace(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{}); err != nil {
				return nil, fmt.Errorf("%s: %w", r, err)
			}
		}
		return refs, nil
	default:
		return nil, fmt.Errorf("delete: dry run %q: want server or client", opts.DryRun)
	}
	var deleted []WorkflowRef
	for _, r := range refs {
		if err := c.dyn.Resource(WorkflowsGVR).Namespace(r.Namespace).Delete(ctx, r.Name, do); err != nil {
			return deleted, fmt.Errorf("%s: delete: %w", r, err)
		}
		deleted = append(deleted, r)
	}
	return deleted, nil
}

// ControllerPresent reports whether the Argo CRDs are served and whether a
// workflow-controller Deployment exists (it may also run outside the cluster).
func (c *Client) ControllerPresent(ctx context.Context) (crds bool, deployment string, err error) {
	gk := schema.GroupKind{Group: "argoproj.io", Kind: "Workflow"}
	if _, err := c.mapper.RESTMappingWithContext(ctx, gk, "v1alpha1"); err != nil {
		if meta.IsNoMatchError(err) {
			err = c.notServedByMapping(ctx, gk, "v1alpha1")
		}
		var ns *NotServedError
		if errors.As(err, &ns) {
			return false, "", nil
		}
		return false, "", fmt.Errorf("discover Argo's Workflow kind: %w", err)
	}
	deps, err := c.listAll(ctx, schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "", "")
	if err != nil {
		return true, "", fmt.Errorf("list deployments: %w", err)
	}
	for _, d := range deps {
		if d.GetName() == "workflow-controller" || d.GetName() == "argo-workflows-workflow-controller" {
			return true, d.GetNamespace() + "/" + d.GetName(), nil
		}
	}
	return true, "", nil
}
