package graph

import (
	"fmt"
	"strings"
	"testing"
)

// stepsRun is the status.nodes Argo writes for a steps template of groups groups of width
// parallel steps: every step of a group links to the next group.
func stepsRun(groups, width int) map[string]RunNode {
	nodes := map[string]RunNode{"wf": {DisplayName: "wf", Type: "Steps", Phase: "Running", Children: []string{"sg-0"}}}
	for g := 0; g < groups; g++ {
		sg := RunNode{DisplayName: fmt.Sprintf("[%d]", g), Type: "StepGroup", BoundaryID: "wf"}
		for i := 0; i < width; i++ {
			id := fmt.Sprintf("pod-%d-%d", g, i)
			sg.Children = append(sg.Children, id)
			pod := RunNode{DisplayName: fmt.Sprintf("step-%d-%d", g, i), Type: "Pod", Phase: "Succeeded", BoundaryID: "wf"}
			if g+1 < groups {
				pod.Children = []string{fmt.Sprintf("sg-%d", g+1)}
			}
			nodes[id] = pod
		}
		nodes[fmt.Sprintf("sg-%d", g)] = sg
	}
	return nodes
}

func count(t *TreeNode) int {
	n := 1
	for _, c := range t.Children {
		n += count(c)
	}
	return n
}

// TestRunTreeIsLinear: a run of 30 groups of 2 steps (2^30 paths through its links) shows
// each node once, every group beside the others under the template's node.
func TestRunTreeIsLinear(t *testing.T) {
	nodes := stepsRun(30, 2)
	tree := BuildRunTree(nodes, "wf")
	if got := count(tree.Root); got != len(nodes) {
		t.Fatalf("%d nodes shown, want each of the %d once", got, len(nodes))
	}
	if len(tree.Root.Children) != 30 || len(tree.Root.Children[29].Children) != 2 || tree.Root.Children[29].Children[1].DisplayName != "step-29-1" {
		t.Errorf("groups are not beside each other under the template: %d children", len(tree.Root.Children))
	}
	if len(tree.Cycles) != 0 {
		t.Errorf("cycles in a DAG: %v", tree.Cycles)
	}
	g, _ := FromRun("wf", nodes)
	text := Text([]*Graph{g})
	if lines := strings.Count(text, "\n"); lines != len(nodes)+1 {
		t.Errorf("graph text has %d lines for %d nodes", lines, len(nodes))
	}
	for _, out := range []string{Mermaid([]*Graph{g}), DOT([]*Graph{g})} {
		if n := strings.Count(out, "step-7-1"); n != 1 {
			t.Errorf("step-7-1 drawn %d times", n)
		}
	}
}

// TestRunTreeCycle: links that lead back are reported, not followed.
func TestRunTreeCycle(t *testing.T) {
	nodes := stepsRun(3, 2)
	last := nodes["pod-2-1"]
	last.Children = []string{"sg-0", "wf"}
	nodes["pod-2-1"] = last
	self := nodes["pod-1-0"]
	self.Children = append(self.Children, "pod-1-0")
	nodes["pod-1-0"] = self
	tree := BuildRunTree(nodes, "wf")
	if got := count(tree.Root); got != len(nodes) {
		t.Errorf("%d nodes shown, want %d", got, len(nodes))
	}
	want := []string{"step-2-1 → [0]", "step-2-1 → wf", "step-1-0 → step-1-0"} // in the order a depth-first walk meets them
	if strings.Join(tree.Cycles, "|") != strings.Join(want, "|") {
		t.Errorf("cycles = %q, want %q", tree.Cycles, want)
	}
	if _, cycles := FromRun("wf", nodes); len(cycles) != 3 {
		t.Errorf("FromRun reports %d cycles", len(cycles))
	}
}

// TestRunTreeDepthBounded: a status nesting 100,000 levels (each node claiming its parent
// as its template) is shown at most MaxRunDepth deep, so its text stays linear in size.
func TestRunTreeDepthBounded(t *testing.T) {
	const n = 100000
	nodes := map[string]RunNode{}
	for i := 0; i < n; i++ {
		id, b := fmt.Sprint("n", i), ""
		if i > 0 {
			b = fmt.Sprint("n", i-1)
		}
		node := RunNode{DisplayName: id, Type: "Steps", BoundaryID: b}
		if i+1 < n {
			node.Children = []string{fmt.Sprint("n", i+1)}
		}
		nodes[id] = node
	}
	tree := BuildRunTree(nodes, "n0")
	depth := 0
	var walk func(t *TreeNode, d int)
	walk = func(t *TreeNode, d int) {
		depth = max(depth, d)
		for _, c := range t.Children {
			walk(c, d+1)
		}
	}
	walk(tree.Root, 0)
	if depth != MaxRunDepth || count(tree.Root) != n {
		t.Errorf("depth %d, %d nodes; want %d and %d", depth, count(tree.Root), MaxRunDepth, n)
	}
	g, _ := FromRun("n0", nodes)
	if size := len(Text([]*Graph{g})); size > n*(3*MaxRunDepth+40) {
		t.Errorf("text of %d nodes is %d bytes", n, size)
	}
}

// TestRunLabelsEscaped: names from the cluster reach no output format raw.
func TestRunLabelsEscaped(t *testing.T) {
	nodes := map[string]RunNode{"wf": {DisplayName: "wf\x1b]0;title\x07\n[fake] row\u202e", Type: "Steps", Phase: "Running\x1b[2J"}}
	g, _ := FromRun("wf", nodes)
	for _, out := range []string{Text([]*Graph{g}), Mermaid([]*Graph{g}), DOT([]*Graph{g})} {
		if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "\n[fake]") {
			t.Errorf("raw control characters in:\n%q", out)
		}
	}
}
