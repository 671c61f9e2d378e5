package config

import (
	"strconv"
	"strings"
)

// ArgoErrorAt finds where in a user template's spec (its Node) the field an error of
// Argo's validation names is written. Argo names it by a path at the start of the
// message, templates by name and steps by index then name:
//
//	templates.main.steps[0].deploy template name 'nothere' undefined
//	templates.build.tasks.test dependency 'lint' not defined
//	templates.main.inputs.parameters.url ...
//	spec.arguments.parameters ...
//
// It returns the deepest node of the path that the spec has and its config path below
// spec ("templates[0].steps[0][0].template"); the spec itself when nothing matches.
func ArgoErrorAt(spec *Node, msg string) (*Node, []string) {
	if spec == nil {
		return nil, nil
	}
	// "template name 'x' undefined" with no path is about the entrypoint.
	if name, ok := strings.CutPrefix(msg, "template name '"); ok {
		if ep := spec.Get("entrypoint"); ep != nil && ep.Kind == String && strings.HasPrefix(name, ep.Str+"'") {
			return ep, []string{"entrypoint"}
		}
	}
	// workflowtemplates.argoproj.io "x" not found (or clusterworkflowtemplates): Argo
	// could not fetch the spec's workflowTemplateRef.
	if strings.Contains(msg, "workflowtemplates.argoproj.io \"") && strings.HasSuffix(msg, "\" not found") {
		if n := spec.Lookup("workflowTemplateRef", "name"); n != nil && n.Kind == String && strings.Contains(msg, strconv.Quote(n.Str)) {
			return n, []string{"workflowTemplateRef", "name"}
		}
	}
	head, rest, _ := strings.Cut(msg, " ")
	head = strings.TrimSuffix(head, ":")
	tokens := strings.Split(head, ".")
	cur, path := spec, []string(nil)
	if len(tokens) > 0 && tokens[0] == "spec" {
		tokens = tokens[1:]
	}
	for i := 0; i < len(tokens); i++ {
		name, index := tokens[i], -1
		if open := strings.IndexByte(name, '['); open > 0 && strings.HasSuffix(name, "]") {
			n, err := strconv.Atoi(name[open+1 : len(name)-1])
			if err != nil {
				break
			}
			name, index = name[:open], n
		}
		next, np := argoStep(cur, name)
		if next == nil && cur.Get("dag") != nil && name == "tasks" { // Argo says tasks, the spec dag.tasks
			next, np = cur.Get("dag").Get("tasks"), []string{"dag", "tasks"}
		}
		if next == nil {
			break
		}
		cur, path = next, append(path, np...)
		if index >= 0 {
			if cur.Kind != List || index >= len(cur.Items) {
				break
			}
			cur, path = cur.Items[index], append(path, strconv.Itoa(index))
		}
	}
	// "template name 'x' undefined" is about the step's template field.
	if strings.HasPrefix(rest, "template name ") && cur.Kind == Map && cur.Get("template") != nil {
		cur, path = cur.Get("template"), append(path, "template")
	}
	return cur, path
}

// argoStep is one step of Argo's path: a field of a map, or the item of a list whose
// name is the token (Argo names templates, steps, tasks and parameters by name).
func argoStep(n *Node, token string) (*Node, []string) {
	switch n.Kind {
	case Map:
		if v := n.Get(token); v != nil {
			return v, []string{token}
		}
	case List:
		for i, it := range n.Items {
			if it.Kind == Map {
				if nm := it.Get("name"); nm != nil && nm.Kind == String && nm.Str == token {
					return it, []string{strconv.Itoa(i)}
				}
			}
		}
	}
	return nil, nil
}
