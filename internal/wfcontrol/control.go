package wfcontrol

import (
	"context"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
)

// MaxNodes bounds the status a retry or resubmission works on. Argo's controller keeps a
// status under ~1 MB (MAX_WORKFLOW_SIZE) before offloading it, a few thousand nodes; a
// status far beyond that came from somewhere else.
const MaxNodes = 100_000

// Retry is Argo's FormulateRetryWorkflow behind the checks a Workflow read from an
// untrusted API server needs: Argo's algorithm walks the node graph assuming the
// controller wrote it (a cycle would loop forever, a missing root panics). It returns
// the Workflow to write back and the pods to delete first.
func Retry(ctx context.Context, wf *wfv1.Workflow, restartSuccessful bool, nodeFieldSelector string, parameters []string) (_ *wfv1.Workflow, pods []string, err error) {
	if _, ok := wf.Status.Nodes[wf.Name]; !ok {
		return nil, nil, fmt.Errorf("workflow %s has no root node: there is nothing to retry from", wf.Name)
	}
	if err := checkNodes(wf); err != nil {
		return nil, nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the status of workflow %s is not one Argo's retry can work on: %v", wf.Name, r)
		}
	}()
	return FormulateRetryWorkflow(ctx, wf, restartSuccessful, nodeFieldSelector, parameters)
}

// Resubmit is Argo's FormulateResubmitWorkflow behind the same checks as Retry.
func Resubmit(ctx context.Context, wf *wfv1.Workflow, memoized bool, parameters []string) (_ *wfv1.Workflow, err error) {
	if memoized {
		if err := checkNodes(wf); err != nil {
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the status of workflow %s is not one Argo's resubmit can work on: %v", wf.Name, r)
		}
	}()
	return FormulateResubmitWorkflow(ctx, wf, memoized, parameters)
}

// checkNodes refuses a node graph Argo's controller cannot have written: too large, a
// child that is not a node, or a cycle (every walk of Argo's then terminates: parents
// are nodes that list the child, so a cycle of parents is a cycle of children).
func checkNodes(wf *wfv1.Workflow) error {
	if wf.Status.IsOffloadNodeStatus() {
		return fmt.Errorf("workflow %s keeps its node status in Argo's database (offloaded); appflowc reads only the Kubernetes API: use the argo CLI with the Argo Server", wf.Name)
	}
	nodes := wf.Status.Nodes
	if len(nodes) > MaxNodes {
		return fmt.Errorf("workflow %s has %d nodes, more than the %d appflowc works on", wf.Name, len(nodes), MaxNodes)
	}
	const (
		unseen = iota
		open
		done
	)
	state := make(map[string]int, len(nodes))
	type frame struct {
		id   string
		next int
	}
	for id := range nodes {
		if state[id] != unseen {
			continue
		}
		stack := []frame{{id: id}}
		state[id] = open
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			children := nodes[top.id].Children
			if top.next == len(children) {
				state[top.id] = done
				stack = stack[:len(stack)-1]
				continue
			}
			child := children[top.next]
			top.next++
			if _, ok := nodes[child]; !ok {
				return fmt.Errorf("workflow %s: node %s names a child %s that is not among its nodes", wf.Name, top.id, child)
			}
			switch state[child] {
			case open:
				return fmt.Errorf("workflow %s: its nodes form a cycle through %s", wf.Name, child)
			case unseen:
				state[child] = open
				stack = append(stack, frame{id: child})
			}
		}
	}
	return nil
}
