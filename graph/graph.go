// Package graph draws the steps of a Workflow: from its (rendered) WorkflowTemplate, or
// from a run's node tree on the cluster, as Mermaid (for pull requests), Graphviz DOT, or
// a plain-text tree.
package graph

import (
	"fmt"
	"sort"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/internal/safetext"
)

// Node is one step. Phase is set for runs on a cluster.
type Node struct {
	ID       string
	Name     string // the step's name
	Label    string
	Kind     string // steps, dag, resource, script, container, ...
	Phase    string
	Children []*Node // the step's own steps (steps/dag templates), in order
	// After lists the IDs (among siblings) this node runs after.
	After []string
}

// Graph is one Workflow.
type Graph struct {
	Name string
	Root *Node
	// OnExit is the exit handler, run whatever the outcome.
	OnExit *Node
}

// maxDepth bounds template nesting (templates may call themselves).
const maxDepth = 12

// ClusterKey is the key of a ClusterWorkflowTemplate in FromWorkflow's templates (a
// WorkflowTemplate's is its name; names hold no '/').
func ClusterKey(name string) string { return "cluster/" + name }

// FromWorkflow builds the graph of wf, resolving its workflowTemplateRef (or inline
// templates) through templates: WorkflowTemplates by name, ClusterWorkflowTemplates by
// ClusterKey. A step's templateRef to a template not among them (one declared to live
// in the cluster only) is drawn as a step of its own, not followed.
func FromWorkflow(name string, wf *wfv1.Workflow, templates map[string]*wfv1.WorkflowTemplate) (*Graph, error) {
	spec := wf.Spec
	if ref := wf.Spec.WorkflowTemplateRef; ref != nil {
		key := ref.Name
		if ref.ClusterScope {
			key = ClusterKey(ref.Name)
		}
		wt, ok := templates[key]
		if !ok {
			return nil, fmt.Errorf("graph %s: WorkflowTemplate %s is not part of the config", name, ref.Name)
		}
		spec = wt.Spec
		if wf.Spec.Entrypoint != "" {
			spec.Entrypoint = wf.Spec.Entrypoint
		}
	}
	b := &builder{workflowTemplates: templates, prefix: sanitize(name)}
	scope := scopeOf(spec.Templates)
	g := &Graph{Name: name}
	var err error
	if g.Root, err = b.template(spec.Entrypoint, scope, spec.Entrypoint, nil, 0); err != nil {
		return nil, fmt.Errorf("graph %s: %w", name, err)
	}
	if spec.OnExit != "" {
		if g.OnExit, err = b.template("onExit: "+spec.OnExit, scope, spec.OnExit, nil, 0); err != nil {
			return nil, fmt.Errorf("graph %s: %w", name, err)
		}
	}
	return g, nil
}

// scopeOf indexes a spec's templates by name: the names its steps refer to.
func scopeOf(ts []wfv1.Template) map[string]*wfv1.Template {
	byName := map[string]*wfv1.Template{}
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	return byName
}

type builder struct {
	// workflowTemplates resolve templateRef steps (pipelines).
	workflowTemplates map[string]*wfv1.WorkflowTemplate
	prefix            string
	n                 int
}

func (b *builder) id() string {
	b.n++
	return fmt.Sprintf("%s_%d", b.prefix, b.n)
}

// template builds the node of template name in scope, or of ref (a template of another
// WorkflowTemplate, whose steps then refer to that WorkflowTemplate's templates).
func (b *builder) template(label string, scope map[string]*wfv1.Template, name string, ref *wfv1.TemplateRef, depth int) (*Node, error) {
	if ref != nil {
		key, what := ref.Name, "WorkflowTemplate"
		if ref.ClusterScope {
			key, what = ClusterKey(ref.Name), "ClusterWorkflowTemplate"
		}
		wt, ok := b.workflowTemplates[key]
		if !ok {
			// Declared, living in the cluster: what it runs is not known offline.
			return &Node{ID: b.id(), Label: label + " → " + ref.Name + "." + ref.Template, Kind: what + ", in the cluster"}, nil
		}
		scope, name = scopeOf(wt.Spec.Templates), ref.Template
		label += " → " + ref.Name
	}
	t, ok := scope[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	n := &Node{ID: b.id(), Label: label, Kind: kind(t)}
	if depth >= maxDepth {
		return n, nil
	}
	switch {
	case t.Steps != nil:
		var prev []string
		for _, group := range t.Steps {
			var ids []string
			for _, s := range group.Steps {
				c, err := b.template(stepLabel(s.Name, s.When, s.WithParam != "" || len(s.WithItems) > 0), scope, s.Template, s.TemplateRef, depth+1)
				if err != nil {
					return nil, err
				}
				c.Name = s.Name
				c.After = prev
				n.Children = append(n.Children, c)
				ids = append(ids, c.ID)
			}
			prev = ids
		}
	case t.DAG != nil:
		ids := map[string]string{}
		for _, task := range t.DAG.Tasks {
			c, err := b.template(stepLabel(task.Name, task.When, task.WithParam != "" || len(task.WithItems) > 0), scope, task.Template, task.TemplateRef, depth+1)
			if err != nil {
				return nil, err
			}
			c.Name = task.Name
			ids[task.Name] = c.ID
			n.Children = append(n.Children, c)
		}
		for i, task := range t.DAG.Tasks {
			deps := append([]string(nil), task.Dependencies...)
			for _, d := range deps {
				if id, ok := ids[d]; ok {
					n.Children[i].After = append(n.Children[i].After, id)
				}
			}
		}
	}
	return n, nil
}

func kind(t *wfv1.Template) string {
	switch {
	case t.Steps != nil:
		return "steps"
	case t.DAG != nil:
		return "dag"
	case t.Resource != nil:
		return "resource " + t.Resource.Action
	case t.Script != nil:
		return "script"
	case t.Container != nil:
		return "container"
	case t.Suspend != nil:
		return "suspend"
	}
	return string(t.GetType())
}

func stepLabel(name, when string, fanOut bool) string {
	l := name
	if fanOut {
		l += " (each item)"
	}
	if when != "" {
		l += " [when " + when + "]"
	}
	return l
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// FromRun builds the graph of a workflow run from its status.nodes (as read from the
// cluster), each node once (BuildRunTree), with its phase. Labels are shown with
// safetext's rule: they are the cluster's text, and every output format prints them.
// Cycles are returned for the caller to report.
func FromRun(name string, nodes map[string]RunNode) (*Graph, []string) {
	b := &builder{prefix: sanitize(name)}
	var conv func(t *TreeNode) *Node
	conv = func(t *TreeNode) *Node {
		label := safetext.Field(t.DisplayName, safetext.MaxField)
		n := &Node{ID: b.id(), Name: label, Label: label, Kind: safetext.Field(strings.ToLower(t.Type), 64), Phase: safetext.Field(t.Phase, 64)}
		for _, c := range t.Children {
			n.Children = append(n.Children, conv(c))
		}
		return n
	}
	g := &Graph{Name: safetext.Escape(name)}
	tree := BuildRunTree(nodes, name)
	cycles := tree.Cycles
	if tree.Root != nil {
		g.Root = conv(tree.Root)
	} else {
		g.Root = &Node{ID: b.id(), Label: g.Name, Kind: "workflow", Phase: "Pending"}
	}
	// The exit handler's node is named "<workflow>.onExit".
	for _, id := range sortedKeys(nodes) {
		if strings.HasSuffix(nodes[id].DisplayName, ".onExit") {
			exit := BuildRunTree(nodes, id)
			g.OnExit = conv(exit.Root)
			cycles = append(cycles, exit.Cycles...)
			break
		}
	}
	return g, cycles
}

// sortedKeys is for deterministic iteration over maps.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
