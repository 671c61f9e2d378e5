package apply

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// StepProgress counts a workflow's steps as a user counts them: each Pod step once, a
// retried step once (its attempts are not steps), done when it succeeded. Argo's
// status.progress counts every attempt, so a run whose step succeeded on its second
// attempt ends "Succeeded 5/6", which reads as a step missing; these counts add up.
// ok is false when the workflow has no step yet.
func StepProgress(u *unstructured.Unstructured) (done, total int, ok bool) {
	nodes, _, _ := unstructured.NestedMap(u.Object, "status", "nodes")
	attempts := map[string]bool{}
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") != "Retry" {
			continue
		}
		children, _, _ := unstructured.NestedStringSlice(m, "children")
		for _, c := range children {
			attempts[c] = true
		}
	}
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		switch typ := str(m, "type"); {
		case typ == "Retry":
		case typ == "Pod" && !attempts[id]:
		default:
			continue
		}
		total++
		if str(m, "phase") == "Succeeded" {
			done++
		}
	}
	return done, total, total > 0
}

// progressOf is StepProgress as "done/total", or Argo's status.progress for a workflow
// without steps yet.
func progressOf(u *unstructured.Unstructured) string {
	if done, total, ok := StepProgress(u); ok {
		return fmt.Sprintf("%d/%d", done, total)
	}
	return str(u.Object, "status", "progress")
}

// FirstFailure is the earliest-finished failed Pod step of a workflow, running or not,
// and its message: what a user needs to read first. A failed attempt of a step that is
// being retried, or that succeeded on a later attempt, is not a failure of the run.
func FirstFailure(u *unstructured.Unstructured) (step, message string) {
	nodes, _, _ := unstructured.NestedMap(u.Object, "status", "nodes")
	overcome := map[string]bool{}
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") != "Retry" || str(m, "phase") == "Failed" || str(m, "phase") == "Error" {
			continue
		}
		children, _, _ := unstructured.NestedStringSlice(m, "children")
		for _, c := range children {
			overcome[c] = true
		}
	}
	first := ""
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") != "Pod" || (str(m, "phase") != "Failed" && str(m, "phase") != "Error") || overcome[id] {
			continue
		}
		if fin := str(m, "finishedAt"); step == "" || fin < first {
			first, step, message = fin, str(m, "displayName"), str(m, "message")
		}
	}
	return step, message
}
