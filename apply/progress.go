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
	nodes := NodesOf(u)
	r := retriesOf(nodes)
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		typ := str(m, "type")
		switch {
		case typ == "Retry" && r.podRetry[id]: // a retried Pod step: one step
		case typ == "Pod" && !r.attempt[id] && !r.superseded[id]:
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

// retries is what retryStrategy nodes mean for counting and reporting steps.
type retries struct {
	// attempt marks the attempts (children) of a Retry node.
	attempt map[string]bool
	// superseded marks every node of an attempt a later attempt replaced, the attempt
	// itself and what is under it (a retried steps or dag template holds steps).
	superseded map[string]bool
	// podRetry marks Retry nodes whose attempts are Pods: the Retry node is the step.
	podRetry map[string]bool
	// failedRetry marks Retry nodes that failed: their last attempt's failure is the run's.
	failedRetry map[string]bool
}

func retriesOf(nodes map[string]any) retries {
	r := retries{attempt: map[string]bool{}, superseded: map[string]bool{}, podRetry: map[string]bool{}, failedRetry: map[string]bool{}}
	var queue []string
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") != "Retry" {
			continue
		}
		if ph := str(m, "phase"); ph == "Failed" || ph == "Error" {
			r.failedRetry[id] = true
		}
		children := childrenOf(m)
		for i, c := range children {
			r.attempt[c] = true
			cm, _ := nodes[c].(map[string]any)
			if str(cm, "type") == "Pod" {
				r.podRetry[id] = true
			}
			if i < len(children)-1 && !r.superseded[c] {
				r.superseded[c] = true
				queue = append(queue, c)
			}
		}
	}
	// Everything under a superseded attempt, each node once.
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		m, _ := nodes[id].(map[string]any)
		for _, c := range childrenOf(m) {
			if !r.superseded[c] {
				r.superseded[c] = true
				queue = append(queue, c)
			}
		}
	}
	return r
}

// childrenOf is a node's children, without copying what does not need it.
func childrenOf(m map[string]any) []string {
	raw, _ := m["children"].([]any)
	out := make([]string, 0, len(raw))
	for _, c := range raw {
		if s, ok := c.(string); ok {
			out = append(out, s)
		}
	}
	return out
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
// and its message: what a user needs to read first. An attempt a later attempt replaced,
// or the last attempt of a step whose retries are not exhausted, is no failure of the run.
func FirstFailure(u *unstructured.Unstructured) (step, message string) {
	nodes := NodesOf(u)
	r := retriesOf(nodes)
	overcome := map[string]bool{}
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") == "Retry" && !r.failedRetry[id] {
			for _, c := range childrenOf(m) {
				overcome[c] = true
			}
		}
	}
	first := ""
	for id, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") != "Pod" || (str(m, "phase") != "Failed" && str(m, "phase") != "Error") || overcome[id] || r.superseded[id] {
			continue
		}
		if fin := str(m, "finishedAt"); step == "" || fin < first {
			first, step, message = fin, str(m, "displayName"), str(m, "message")
		}
	}
	return step, message
}
