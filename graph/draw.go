package graph

import (
	"fmt"
	"strings"
)

// phaseColors fill nodes of runs, by phase.
var phaseColors = map[string]string{
	"Succeeded": "#c8e6c9", "Failed": "#ffcdd2", "Error": "#ffcdd2", "Running": "#fff9c4",
	"Pending": "#eeeeee", "Skipped": "#e0e0e0", "Omitted": "#e0e0e0",
}

var phases = []string{"Succeeded", "Failed", "Error", "Running", "Pending", "Skipped", "Omitted"}

func label(n *Node) string {
	l := n.Label
	if n.Kind != "" {
		l += " (" + n.Kind + ")"
	}
	if n.Phase != "" {
		l += " " + n.Phase
	}
	return l
}

func all(gs []*Graph, f func(g *Graph, n *Node, parent *Node)) {
	var walk func(g *Graph, n, parent *Node)
	walk = func(g *Graph, n, parent *Node) {
		if n == nil {
			return
		}
		f(g, n, parent)
		for _, c := range n.Children {
			walk(g, c, n)
		}
	}
	for _, g := range gs {
		walk(g, g.Root, nil)
		walk(g, g.OnExit, nil)
	}
}

// Mermaid draws the graphs as one flowchart: a subgraph per Workflow and per step that
// has steps of its own; arrows for "runs after".
func Mermaid(gs []*Graph) string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, p := range phases {
		fmt.Fprintf(&b, "  classDef %s fill:%s\n", p, phaseColors[p])
	}
	var node func(n *Node, indent string)
	node = func(n *Node, indent string) {
		if n == nil {
			return
		}
		if len(n.Children) == 0 {
			fmt.Fprintf(&b, "%s%s[\"%s\"]\n", indent, n.ID, mermaidText(label(n)))
			if n.Phase != "" {
				fmt.Fprintf(&b, "%sclass %s %s\n", indent, n.ID, n.Phase)
			}
			return
		}
		fmt.Fprintf(&b, "%ssubgraph %s[\"%s\"]\n", indent, n.ID, mermaidText(label(n)))
		for _, c := range n.Children {
			node(c, indent+"  ")
		}
		for _, c := range n.Children {
			for _, a := range c.After {
				fmt.Fprintf(&b, "%s  %s --> %s\n", indent, a, c.ID)
			}
		}
		fmt.Fprintf(&b, "%send\n", indent)
	}
	for _, g := range gs {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", sanitize(g.Name), mermaidText(g.Name))
		node(g.Root, "    ")
		node(g.OnExit, "    ")
		if g.OnExit != nil {
			fmt.Fprintf(&b, "    %s -. on exit .-> %s\n", g.Root.ID, g.OnExit.ID)
		}
		b.WriteString("  end\n")
	}
	return b.String()
}

// DOT draws the graphs for Graphviz: a cluster per Workflow and per step with steps.
func DOT(gs []*Graph) string {
	var b strings.Builder
	b.WriteString("digraph workflows {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"];\n")
	var node func(n *Node, indent string)
	node = func(n *Node, indent string) {
		if n == nil {
			return
		}
		if len(n.Children) == 0 {
			fill := ""
			if c, ok := phaseColors[n.Phase]; ok {
				fill = fmt.Sprintf(", fillcolor=%q", c)
			}
			fmt.Fprintf(&b, "%s%s [label=%q%s];\n", indent, n.ID, label(n), fill)
			return
		}
		fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s  label=%q;\n", indent, n.ID, indent, label(n))
		for _, c := range n.Children {
			node(c, indent+"  ")
		}
		fmt.Fprintf(&b, "%s}\n", indent)
	}
	for _, g := range gs {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", sanitize(g.Name), g.Name)
		node(g.Root, "    ")
		node(g.OnExit, "    ")
		b.WriteString("  }\n")
	}
	// Edges between leaves: from the last leaves of a predecessor to the first of a step.
	all(gs, func(_ *Graph, n, _ *Node) {
		for _, c := range n.Children {
			for _, a := range c.After {
				for _, from := range lastLeaves(find(n.Children, a)) {
					for _, to := range firstLeaves(c) {
						fmt.Fprintf(&b, "  %s -> %s;\n", from, to)
					}
				}
			}
		}
	})
	b.WriteString("}\n")
	return b.String()
}

func find(ns []*Node, id string) *Node {
	for _, n := range ns {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// firstLeaves are the leaves a node starts with; lastLeaves those it ends with.
func firstLeaves(n *Node) []string {
	if n == nil {
		return nil
	}
	if len(n.Children) == 0 {
		return []string{n.ID}
	}
	var out []string
	for _, c := range n.Children {
		if len(c.After) == 0 {
			out = append(out, firstLeaves(c)...)
		}
	}
	return out
}

func lastLeaves(n *Node) []string {
	if n == nil {
		return nil
	}
	if len(n.Children) == 0 {
		return []string{n.ID}
	}
	used := map[string]bool{}
	for _, c := range n.Children {
		for _, a := range c.After {
			used[a] = true
		}
	}
	var out []string
	for _, c := range n.Children {
		if !used[c.ID] {
			out = append(out, lastLeaves(c)...)
		}
	}
	return out
}

// Text draws the graphs as indented trees; a step that waits on others says so.
func Text(gs []*Graph) string {
	var b strings.Builder
	var walk func(n *Node, siblings []*Node, prefix string, last bool)
	walk = func(n *Node, siblings []*Node, prefix string, last bool) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		line := prefix + branch + label(n)
		if len(n.After) > 0 {
			var names []string
			for _, a := range n.After {
				if s := find(siblings, a); s != nil {
					names = append(names, s.Name)
				}
			}
			line += "  after: " + strings.Join(names, ", ")
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		for i, c := range n.Children {
			walk(c, n.Children, prefix+next, i == len(n.Children)-1)
		}
	}
	for i, g := range gs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(g.Name + "\n")
		walk(g.Root, nil, "", g.OnExit == nil)
		if g.OnExit != nil {
			walk(g.OnExit, nil, "", true)
		}
	}
	return b.String()
}

// mermaidText escapes what ends a quoted Mermaid label.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }
