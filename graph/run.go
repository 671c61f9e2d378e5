package graph

import "fmt"

// RunNode is one entry of a Workflow's status.nodes, as far as showing it goes.
type RunNode struct {
	DisplayName, Type, Phase, Message string
	// Name is the node's full name (Argo's pods carry it in their node-name annotation).
	Name string
	// BoundaryID is the node of the template invocation this node belongs to.
	BoundaryID string
	Children   []string
}

// RunNodes reads a Workflow's status.nodes (as decoded JSON) by ID; entries that are not
// objects are left out.
func RunNodes(nodes map[string]any) map[string]RunNode {
	out := make(map[string]RunNode, len(nodes))
	for id, v := range nodes {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		n := RunNode{Name: str("name"), DisplayName: str("displayName"), Type: str("type"), Phase: str("phase"), Message: str("message"), BoundaryID: str("boundaryID")}
		kids, _ := m["children"].([]any)
		for _, k := range kids {
			if ks, ok := k.(string); ok {
				n.Children = append(n.Children, ks)
			}
		}
		out[id] = n
	}
	return out
}

// TreeNode is a run node placed in the tree.
type TreeNode struct {
	ID string
	RunNode
	Children []*TreeNode
	parent   *TreeNode
	depth    int
}

// RunTree is a run's nodes arranged to be shown: each node once.
type RunTree struct {
	Root *TreeNode // nil when status.nodes has no such node
	// Cycles are the links that lead back to a node on their own path ("a → b", by
	// display name). Argo makes none; a status that has them is broken or hostile, and
	// they are reported, not followed.
	Cycles []string
}

// MaxRunDepth bounds how deep a run's tree is shown: deeper nodes are shown at this depth
// (Argo nests a level per template call; a status nesting deeper is not worth indenting).
const MaxRunDepth = 32

// grouping node types hold the nodes of their own boundary (a step group its steps, a
// retry node its attempts); other nodes link to the next step or task of their template.
var grouping = map[string]bool{"StepGroup": true, "TaskGroup": true, "Retry": true}

// BuildRunTree arranges status.nodes from root in time and space linear in the number of
// nodes and links, whatever the links say. Argo links every step of a group to the next
// group and every task to its dependents, so the links form a DAG that, walked as a tree,
// repeats each group once per step before it (exponentially). Here each node is placed
// once, where it is first reached; a node reached from a step of its own template (the
// next group, a dependent task) is placed under that template's node instead, beside its
// predecessors, as argo get shows it.
func BuildRunTree(nodes map[string]RunNode, root string) RunTree {
	var t RunTree
	t.Cycles = cycles(nodes, root)
	rn, ok := nodes[root]
	if !ok {
		return t
	}
	placed := map[string]*TreeNode{}
	t.Root = &TreeNode{ID: root, RunNode: rn}
	placed[root] = t.Root
	type edge struct{ from, to string }
	var stack []edge
	push := func(from string) {
		kids := nodes[from].Children
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, edge{from, kids[i]})
		}
	}
	push(root)
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c, ok := nodes[e.to]
		if !ok || placed[e.to] != nil {
			continue
		}
		p := placed[e.from]
		switch b := placed[c.BoundaryID]; {
		case c.BoundaryID == "" || c.BoundaryID == e.from:
		case grouping[p.Type] && p.BoundaryID == c.BoundaryID:
		case b != nil:
			p = b
		}
		for p.depth >= MaxRunDepth {
			p = p.parent
		}
		n := &TreeNode{ID: e.to, RunNode: c, parent: p, depth: p.depth + 1}
		p.Children = append(p.Children, n)
		placed[e.to] = n
		push(e.to)
	}
	return t
}

// cycles finds the links that close a cycle on a depth-first walk from root (iterative:
// a hostile status can be deep enough to exhaust a recursive walk's stack).
func cycles(nodes map[string]RunNode, root string) []string {
	const (
		white = iota
		grey  // on the current path
		black // done
	)
	color := map[string]int{}
	type frame struct {
		id   string
		next int
	}
	var out []string
	if _, ok := nodes[root]; !ok {
		return nil
	}
	stack := []frame{{id: root}}
	color[root] = grey
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		kids := nodes[f.id].Children
		if f.next == len(kids) {
			color[f.id] = black
			stack = stack[:len(stack)-1]
			continue
		}
		k := kids[f.next]
		f.next++
		if _, ok := nodes[k]; !ok {
			continue
		}
		switch color[k] {
		case grey:
			if len(out) < 10 {
				out = append(out, fmt.Sprintf("%s → %s", name(nodes, f.id), name(nodes, k)))
			}
		case white:
			color[k] = grey
			stack = append(stack, frame{id: k})
		}
	}
	return out
}

func name(nodes map[string]RunNode, id string) string {
	if n := nodes[id].DisplayName; n != "" {
		return n
	}
	return id
}
