package graph

import (
	"maps"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

func leaf(name string) wfv1.Template {
	return wfv1.Template{Name: name, Container: &corev1.Container{Image: "busybox"}}
}

func step(name, template string) wfv1.WorkflowStep {
	return wfv1.WorkflowStep{Name: name, Template: template}
}

func stepsOf(name string, groups ...[]wfv1.WorkflowStep) wfv1.Template {
	t := wfv1.Template{Name: name}
	for _, g := range groups {
		t.Steps = append(t.Steps, wfv1.ParallelSteps{Steps: g})
	}
	return t
}

func inline(entrypoint string, templates ...wfv1.Template) *wfv1.Workflow {
	return &wfv1.Workflow{Spec: wfv1.WorkflowSpec{Entrypoint: entrypoint, Templates: templates}}
}

// after maps each step of ns to what it runs after, by name.
func after(t *testing.T, ns []*Node) map[string]string {
	t.Helper()
	byID := map[string]string{}
	for _, n := range ns {
		byID[n.ID] = n.Name
	}
	out := map[string]string{}
	for _, n := range ns {
		var as []string
		for _, a := range n.After {
			as = append(as, byID[a])
		}
		out[n.Name] = strings.Join(as, ",")
	}
	return out
}

// TestStepsRunAfterThePreviousGroup: each step of a group runs after every step of the
// group before (and not after its own group's); labels say when and fan-out.
func TestStepsRunAfterThePreviousGroup(t *testing.T) {
	c := step("c", "leaf")
	c.When = "{{x}} == y"
	d := step("d", "leaf")
	d.WithParam = "{{steps.a.outputs.result}}"
	wf := inline("main", stepsOf("main", []wfv1.WorkflowStep{step("a", "leaf")}, []wfv1.WorkflowStep{step("b", "leaf"), c}, []wfv1.WorkflowStep{d}), leaf("leaf"))
	g, err := FromWorkflow("wf", wf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Root.Label != "main" || g.Root.Kind != "steps" || g.OnExit != nil {
		t.Fatalf("root %+v, on exit %v", g.Root, g.OnExit)
	}
	if got, want := after(t, g.Root.Children), map[string]string{"a": "", "b": "a", "c": "a", "d": "b,c"}; !maps.Equal(got, want) {
		t.Errorf("after: %v, want %v", got, want)
	}
	want := `wf
└─ main (steps)
   ├─ a (container)
   ├─ b (container)  after: a
   ├─ c [when {{x}} == y] (container)  after: a
   └─ d (each item) (container)  after: b, c
`
	if got := Text([]*Graph{g}); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}

// TestDAGSharedNodes: a diamond (one task two others wait on, one waiting on both) keeps
// each task once, with all its dependencies; a dependency on no task of the DAG is left
// out; DOT draws an edge per dependency, Mermaid an arrow.
func TestDAGSharedNodes(t *testing.T) {
	dag := wfv1.Template{Name: "main", DAG: &wfv1.DAGTemplate{Tasks: []wfv1.DAGTask{
		{Name: "a", Template: "leaf"},
		{Name: "b", Template: "leaf", Dependencies: []string{"a"}},
		{Name: "c", Template: "leaf", Dependencies: []string{"a", "elsewhere"}},
		{Name: "d", Template: "leaf", Dependencies: []string{"b", "c"}},
	}}}
	g, err := FromWorkflow("diamond", inline("main", dag, leaf("leaf")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after(t, g.Root.Children), map[string]string{"a": "", "b": "a", "c": "a", "d": "b,c"}; !maps.Equal(got, want) || len(g.Root.Children) != 4 {
		t.Errorf("after: %v, want %v", got, want)
	}
	// IDs are given in building order: 1 the DAG, 2..5 a..d.
	dot := DOT([]*Graph{g})
	var edges []string
	for _, l := range strings.Split(dot, "\n") {
		if strings.Contains(l, "->") {
			edges = append(edges, strings.TrimSpace(l))
		}
	}
	if got, want := strings.Join(edges, " "), "diamond_2 -> diamond_3; diamond_2 -> diamond_4; diamond_3 -> diamond_5; diamond_4 -> diamond_5;"; got != want {
		t.Errorf("DOT edges %q, want %q\n%s", got, want, dot)
	}
	if !strings.Contains(dot, "  subgraph cluster_diamond {\n    label=\"diamond\";\n    subgraph cluster_diamond_1 {\n      label=\"main (dag)\";\n      diamond_2 [label=\"a (container)\"];") {
		t.Errorf("DOT clusters:\n%s", dot)
	}
	mm := Mermaid([]*Graph{g})
	for _, want := range []string{"      diamond_2 --> diamond_3\n", "      diamond_2 --> diamond_4\n", "      diamond_3 --> diamond_5\n", "      diamond_4 --> diamond_5\n"} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm)
		}
	}
	if strings.Count(mm, "-->") != 4 {
		t.Errorf("Mermaid has %d arrows, want 4:\n%s", strings.Count(mm, "-->"), mm)
	}
}

// TestTemplateRefs: a Workflow drawn through its workflowTemplateRef (with the entrypoint
// it overrides), and a step's templateRef resolved in the referenced WorkflowTemplate,
// whose own steps refer to its own templates.
func TestTemplateRefs(t *testing.T) {
	lib := &wfv1.WorkflowTemplate{Spec: wfv1.WorkflowSpec{Templates: []wfv1.Template{
		stepsOf("run", []wfv1.WorkflowStep{step("inner", "only-in-lib")}), leaf("only-in-lib")}}}
	call := step("call", "")
	call.TemplateRef = &wfv1.TemplateRef{Name: "lib", Template: "run"}
	pipe := &wfv1.WorkflowTemplate{Spec: wfv1.WorkflowSpec{Entrypoint: "main", Templates: []wfv1.Template{
		stepsOf("main", []wfv1.WorkflowStep{step("x", "leaf")}), stepsOf("alt", []wfv1.WorkflowStep{call}), leaf("leaf")}}}
	templates := map[string]*wfv1.WorkflowTemplate{"lib": lib, "pipe": pipe}
	wf := &wfv1.Workflow{Spec: wfv1.WorkflowSpec{Entrypoint: "alt", WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: "pipe"}}}
	g, err := FromWorkflow("p", wf, templates)
	if err != nil {
		t.Fatal(err)
	}
	want := `p
└─ alt (steps)
   └─ call → lib (steps)
      └─ inner (container)
`
	if got := Text([]*Graph{g}); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	// What cannot be resolved is an error naming it.
	for _, c := range []struct {
		wf   *wfv1.Workflow
		want string
	}{
		{&wfv1.Workflow{Spec: wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: "nope"}}}, "graph p: WorkflowTemplate nope is not part of the config"},
		{inline("main", stepsOf("main", []wfv1.WorkflowStep{step("s", "missing")})), `graph p: no template "missing"`},
	} {
		if _, err := FromWorkflow("p", c.wf, templates); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// TestClusterTemplateRefs: a templateRef with clusterScope is resolved among the
// ClusterWorkflowTemplates (ClusterKey), never a WorkflowTemplate of the same name; one
// to a template that is not in the config (declared, in the cluster) is a step of its own.
func TestClusterTemplateRefs(t *testing.T) {
	shared := &wfv1.WorkflowTemplate{Spec: wfv1.WorkflowSpec{Templates: []wfv1.Template{leaf("check")}}}
	decoy := &wfv1.WorkflowTemplate{Spec: wfv1.WorkflowSpec{Templates: []wfv1.Template{stepsOf("check", []wfv1.WorkflowStep{step("wrong", "check")})}}}
	templates := map[string]*wfv1.WorkflowTemplate{ClusterKey("shared"): shared, "shared": decoy}
	wf := inline("main", stepsOf("main", []wfv1.WorkflowStep{
		{Name: "a", TemplateRef: &wfv1.TemplateRef{Name: "shared", Template: "check", ClusterScope: true}},
		{Name: "b", TemplateRef: &wfv1.TemplateRef{Name: "build", Template: "run", ClusterScope: true}},
		{Name: "c", TemplateRef: &wfv1.TemplateRef{Name: "migrate", Template: "up"}},
	}))
	g, err := FromWorkflow("p", wf, templates)
	if err != nil {
		t.Fatal(err)
	}
	want := `p
└─ main (steps)
   ├─ a → shared (container)
   ├─ b → build.run (ClusterWorkflowTemplate, in the cluster)
   └─ c → migrate.up (WorkflowTemplate, in the cluster)
`
	if got := Text([]*Graph{g}); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}

// TestRecursionIsBounded: a template that calls itself is drawn to maxDepth, not forever.
func TestRecursionIsBounded(t *testing.T) {
	g, err := FromWorkflow("r", inline("loop", stepsOf("loop", []wfv1.WorkflowStep{step("again", "loop")})), nil)
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for n := g.Root; n != nil; depth++ {
		if len(n.Children) > 1 {
			t.Fatalf("%d children", len(n.Children))
		}
		if len(n.Children) == 0 {
			n = nil
		} else {
			n = n.Children[0]
		}
	}
	if depth != maxDepth+1 {
		t.Errorf("drawn %d levels deep, want %d", depth, maxDepth+1)
	}
}

// TestOnExit: the exit handler is drawn after the entrypoint, in every format.
func TestOnExit(t *testing.T) {
	wf := inline("main", leaf("main"), leaf("cleanup"))
	wf.Spec.OnExit = "cleanup"
	g, err := FromWorkflow("wf", wf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.OnExit == nil || g.OnExit.Label != "onExit: cleanup" {
		t.Fatalf("on exit: %+v", g.OnExit)
	}
	if got, want := Text([]*Graph{g}), "wf\n├─ main (container)\n└─ onExit: cleanup (container)\n"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if mm := Mermaid([]*Graph{g}); !strings.Contains(mm, "    wf_1 -. on exit .-> wf_2\n") {
		t.Errorf("Mermaid:\n%s", mm)
	}
	if dot := DOT([]*Graph{g}); !strings.Contains(dot, "    wf_2 [label=\"onExit: cleanup (container)\"];\n") {
		t.Errorf("DOT:\n%s", dot)
	}
}

// TestFromRun: a run's node tree with phases, in the order Argo lists children; a child
// the status does not hold is left out; the exit handler is found by its name; a run
// with no nodes yet is one pending node; a cycle in the status is reported, not followed.
func TestFromRun(t *testing.T) {
	nodes := RunNodes(map[string]any{
		"wf-x":        map[string]any{"displayName": "wf-x", "type": "Steps", "phase": "Failed", "children": []any{"wf-x-2", "wf-x-1", "gone"}},
		"wf-x-1":      map[string]any{"displayName": "first", "type": "Pod", "phase": "Succeeded"},
		"wf-x-2":      map[string]any{"displayName": "second", "type": "Pod", "phase": "Failed"},
		"wf-x-onexit": map[string]any{"displayName": "wf-x.onExit", "type": "Steps", "phase": "Succeeded"},
	})
	g, cycles := FromRun("wf-x", nodes)
	if len(cycles) != 0 {
		t.Errorf("cycles reported in a tree: %v", cycles)
	}
	want := "wf-x\n├─ wf-x (steps) Failed\n│  ├─ second (pod) Failed\n│  └─ first (pod) Succeeded\n└─ wf-x.onExit (steps) Succeeded\n"
	if got := Text([]*Graph{g}); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	mm := Mermaid([]*Graph{g})
	for _, want := range []string{"  classDef Failed fill:#ffcdd2\n", "second (pod) Failed", "wf-x.onExit (steps) Succeeded"} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm)
		}
	}
	if dot := DOT([]*Graph{g}); !strings.Contains(dot, `first (pod) Succeeded", fillcolor="#c8e6c9"];`) {
		t.Errorf("DOT:\n%s", dot)
	}
	if g, _ := FromRun("new", nil); g.Root == nil || g.Root.Phase != "Pending" || g.Root.Label != "new" || g.OnExit != nil {
		t.Errorf("a run without nodes: %+v", g.Root)
	}
	loop := RunNodes(map[string]any{"a": map[string]any{"displayName": "a", "children": []any{"b"}}, "b": map[string]any{"displayName": "b", "children": []any{"a"}}})
	g, cycles = FromRun("a", loop)
	if len(cycles) == 0 {
		t.Errorf("a cycle in the status was not reported: %s", Text([]*Graph{g}))
	}
	if n := strings.Count(Text([]*Graph{g}), "\n"); n > 4 {
		t.Errorf("a cycle in the status was followed: %d lines", n)
	}
}

// TestLabelsAreQuoted: what would end a label is escaped in Mermaid and DOT.
func TestLabelsAreQuoted(t *testing.T) {
	s := step("say", "leaf")
	s.When = `"{{x}}" == "y"`
	g, err := FromWorkflow("q", inline("main", stepsOf("main", []wfv1.WorkflowStep{s}), leaf("leaf")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mm := Mermaid([]*Graph{g}); !strings.Contains(mm, `q_2["say [when #quot;{{x}}#quot; == #quot;y#quot;] (container)"]`) {
		t.Errorf("Mermaid:\n%s", mm)
	}
	if dot := DOT([]*Graph{g}); !strings.Contains(dot, `q_2 [label="say [when \"{{x}}\" == \"y\"] (container)"];`) {
		t.Errorf("DOT:\n%s", dot)
	}
}
