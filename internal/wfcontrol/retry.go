// Package wfcontrol holds Argo Workflows' own algorithms for retrying and resubmitting a
// Workflow, ported from github.com/argoproj/argo-workflows/v3/workflow/util (v3.7.18,
// Apache License 2.0, Copyright The Argo Authors). That package cannot be imported: it
// pulls in the Argo Server's auth (argo-events, SSO, a database driver), which would
// double appflowc's dependencies for five functions. The code is kept as close to the
// original as Go allows so that a diff against a newer Argo release stays readable;
// what differs is marked "appflowc:".
package wfcontrol

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"time"

	apiv1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/packer"
)

const letters = "abcdefghijklmnopqrstuvwxyz0123456789"

// RandSuffix is the suffix of a memoized resubmission's name: Argo's simulation of
// metadata.generateName.
func RandSuffix() string {
	b := make([]byte, 5)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))] //nolint:gosec // a name, not a secret
	}
	return string(b)
}

func overrideParameters(wf *wfv1.Workflow, parameters []string) error {
	if len(parameters) > 0 {
		newParams := make([]wfv1.Parameter, 0)
		passedParams := make(map[string]bool)
		for _, paramStr := range parameters {
			parts := strings.SplitN(paramStr, "=", 2)
			if len(parts) != 2 {
				return fmt.Errorf("expected parameter of the form: NAME=VALUE. Received: %s", paramStr)
			}
			param := wfv1.Parameter{Name: parts[0], Value: wfv1.AnyStringPtr(parts[1])}
			newParams = append(newParams, param)
			passedParams[param.Name] = true
		}
		for _, param := range wf.Spec.Arguments.Parameters {
			if _, ok := passedParams[param.Name]; ok {
				// this parameter was overridden via command line
				continue
			}
			newParams = append(newParams, param)
		}
		wf.Spec.Arguments.Parameters = newParams
		if wf.Status.StoredWorkflowSpec != nil {
			wf.Status.StoredWorkflowSpec.Arguments.Parameters = newParams
		}
	}
	return nil
}

func FormulateResubmitWorkflow(ctx context.Context, wf *wfv1.Workflow, memoized bool, parameters []string) (*wfv1.Workflow, error) {
	newWF := wfv1.Workflow{}
	newWF.TypeMeta = wf.TypeMeta

	// Resubmitted workflow will use generated names
	if wf.GenerateName != "" {
		newWF.GenerateName = wf.GenerateName
	} else {
		newWF.GenerateName = wf.Name + "-"
	}
	// When resubmitting workflow with memoized nodes, we need to use a predetermined workflow name
	// in order to formulate the node statuses. Which means we cannot reuse metadata.generateName
	// The following simulates the behavior of generateName
	if memoized {
		switch wf.Status.Phase {
		case wfv1.WorkflowFailed, wfv1.WorkflowError:
		default:
			return nil, fmt.Errorf("workflow must be Failed/Error to resubmit in memoized mode")
		}
		newWF.Name = newWF.GenerateName + RandSuffix()
	}

	// carry over the unmodified spec
	newWF.Spec = wf.Spec

	if newWF.Spec.ActiveDeadlineSeconds != nil && *newWF.Spec.ActiveDeadlineSeconds == 0 {
		// if it was terminated, unset the deadline
		newWF.Spec.ActiveDeadlineSeconds = nil
	}

	newWF.Spec.Shutdown = ""

	// carry over user labels and annotations from previous workflow.
	if newWF.Labels == nil {
		newWF.Labels = make(map[string]string)
	}
	for key, val := range wf.Labels {
		switch key {
		case common.LabelKeyCreator, common.LabelKeyCreatorEmail, common.LabelKeyCreatorPreferredUsername,
			common.LabelKeyPhase, common.LabelKeyCompleted, common.LabelKeyWorkflowArchivingStatus:
			// ignore
		default:
			newWF.Labels[key] = val
		}
	}
	// appflowc: Argo Server labels the creator from the identity of the request; a client
	// of the Kubernetes API has no such identity to hand, so the creator labels are dropped.
	// Append an additional label so it's easy for user to see the
	// name of the original workflow that has been resubmitted.
	newWF.Labels[common.LabelKeyPreviousWorkflowName] = wf.Name
	if newWF.Annotations == nil {
		newWF.Annotations = make(map[string]string)
	}
	for key, val := range wf.Annotations {
		newWF.Annotations[key] = val
	}

	// Setting OwnerReference from original Workflow
	newWF.OwnerReferences = append(newWF.OwnerReferences, wf.OwnerReferences...)

	// Override parameters
	if parameters != nil {
		err := overrideParameters(&newWF, parameters)
		if err != nil {
			return nil, err
		}
	}

	if !memoized {
		return &newWF, nil
	}

	// Iterate the previous nodes.
	replaceRegexp := regexp.MustCompile("^" + wf.Name)
	newWF.Status.Nodes = make(map[string]wfv1.NodeStatus)
	onExitNodeName := wf.Name + ".onExit"
	err := packer.DecompressWorkflow(wf)
	if err != nil {
		return nil, err // appflowc: Argo panics here; a Workflow from the cluster is untrusted
	}
	noReset, succeededBelow := map[string]bool{}, map[string]bool{} // appflowc: one memo for the loop
	for _, node := range wf.Status.Nodes {
		newNode := node.DeepCopy()
		if strings.HasPrefix(node.Name, onExitNodeName) {
			continue
		}
		originalID := node.ID
		newNode.Name = replaceRegexp.ReplaceAllString(node.Name, newWF.Name)
		newNode.ID = newWF.NodeID(newNode.Name)
		if node.BoundaryID != "" {
			newNode.BoundaryID = convertNodeID(&newWF, replaceRegexp, node.BoundaryID, wf.Status.Nodes)
		}
		if newNode.FailedOrError() && newNode.Type == wfv1.NodeTypePod {
			newNode.StartedAt = metav1.Time{}
			newNode.FinishedAt = metav1.Time{}
		} else {
			newNode.StartedAt = metav1.Time{Time: time.Now().UTC()}
			newNode.FinishedAt = newNode.StartedAt
		}
		newChildren := make([]string, len(node.Children))
		for i, childID := range node.Children {
			newChildren[i] = convertNodeID(&newWF, replaceRegexp, childID, wf.Status.Nodes)
		}
		newNode.Children = newChildren
		newOutboundNodes := make([]string, len(node.OutboundNodes))
		for i, outboundID := range node.OutboundNodes {
			newOutboundNodes[i] = convertNodeID(&newWF, replaceRegexp, outboundID, wf.Status.Nodes)
		}
		newNode.OutboundNodes = newOutboundNodes
		if !newNode.FailedOrError() && newNode.Type == wfv1.NodeTypePod {
			newNode.Phase = wfv1.NodeSkipped
			newNode.Type = wfv1.NodeTypeSkipped
			newNode.Message = fmt.Sprintf("original pod: %s", originalID)
		} else if newNode.Type == wfv1.NodeTypeSkipped && !isDescendantNodeSucceeded(wf, node, noReset, succeededBelow) {
			newWF.Status.Nodes.Delete(newNode.ID)
			continue
		} else {
			newNode.Phase = wfv1.NodePending
			newNode.Message = ""
		}
		newWF.Status.Nodes.Set(newNode.ID, *newNode)
	}

	newWF.Status.StoredTemplates = make(map[string]wfv1.Template)
	for id, tmpl := range wf.Status.StoredTemplates {
		newWF.Status.StoredTemplates[id] = tmpl
	}

	newWF.Status.Conditions = wfv1.Conditions{{Status: metav1.ConditionFalse, Type: wfv1.ConditionTypeCompleted}}
	newWF.Status.Phase = wfv1.WorkflowUnknown

	return &newWF, nil
}

// convertNodeID converts an old nodeID to a new nodeID
func convertNodeID(newWf *wfv1.Workflow, regex *regexp.Regexp, oldNodeID string, oldNodes map[string]wfv1.NodeStatus) string {
	node := oldNodes[oldNodeID]
	newNodeName := regex.ReplaceAllString(node.Name, newWf.Name)
	return newWf.NodeID(newNodeName)
}

func isDescendantNodeSucceeded(wf *wfv1.Workflow, node wfv1.NodeStatus, nodeIDsToReset map[string]bool, memo map[string]bool) bool {
	// appflowc: memo holds, per node already seen, whether it or a node under it counts;
	// Argo walks every path below node, exponential in the diamonds of a DAG. A memo is
	// valid for one nodeIDsToReset.
	for _, child := range node.Children {
		if v, ok := memo[child]; ok {
			if v {
				return true
			}
			continue
		}
		childStatus, err := wf.Status.Nodes.Get(child)
		if err != nil {
			continue // appflowc: Argo panics on a dangling child; a Workflow from the cluster is untrusted
		}
		_, present := nodeIDsToReset[child]
		v := (!present && childStatus.Phase == wfv1.NodeSucceeded) || isDescendantNodeSucceeded(wf, *childStatus, nodeIDsToReset, memo)
		memo[child] = v
		if v {
			return true
		}
	}
	return false
}

func deletePodNodeDuringRetryWorkflow(wf *wfv1.Workflow, node wfv1.NodeStatus, deletedPods map[string]bool, podsToDelete []string) (map[string]bool, []string) {
	templateName := GetTemplateFromNode(node)
	version := GetWorkflowPodNameVersion(wf)
	podName := GeneratePodName(wf.Name, node.Name, templateName, node.ID, version)
	if _, ok := deletedPods[podName]; !ok {
		deletedPods[podName] = true
		podsToDelete = append(podsToDelete, podName)
	}
	return deletedPods, podsToDelete
}

func createNewRetryWorkflow(wf *wfv1.Workflow, parameters []string) (*wfv1.Workflow, error) {
	newWF := wf.DeepCopy()

	// Delete/reset fields which indicate workflow completed
	delete(newWF.Labels, common.LabelKeyCompleted)
	delete(newWF.Labels, common.LabelKeyWorkflowArchivingStatus)
	newWF.Status.Conditions.UpsertCondition(wfv1.Condition{Status: metav1.ConditionFalse, Type: wfv1.ConditionTypeCompleted})
	newWF.Labels[common.LabelKeyPhase] = string(wfv1.NodeRunning)
	newWF.Status.Phase = wfv1.WorkflowRunning
	newWF.Status.Nodes = make(wfv1.Nodes)
	newWF.Status.Message = ""
	newWF.Status.StartedAt = metav1.Time{Time: time.Now().UTC()}
	newWF.Status.FinishedAt = metav1.Time{}
	if newWF.Status.StoredWorkflowSpec != nil {
		newWF.Status.StoredWorkflowSpec.Shutdown = ""
	}
	newWF.Spec.Shutdown = ""
	newWF.Status.PersistentVolumeClaims = []apiv1.Volume{}
	if newWF.Spec.ActiveDeadlineSeconds != nil && *newWF.Spec.ActiveDeadlineSeconds == 0 {
		// if it was terminated, unset the deadline
		newWF.Spec.ActiveDeadlineSeconds = nil
	}
	// Override parameters
	if parameters != nil {
		err := overrideParameters(newWF, parameters)
		if err != nil {
			return nil, err
		}
	}
	return newWF, nil
}

type dagNode struct {
	n        *wfv1.NodeStatus
	parent   *dagNode
	children []*dagNode
}

func newWorkflowsDag(wf *wfv1.Workflow) ([]*dagNode, error) {
	nodes := make(map[string]*dagNode)
	parentsMap := make(map[string]*wfv1.NodeStatus)

	// create mapping from node to parent
	// as well as creating temp mappings from nodeID to node
	// A node may appear as a child of more than one node (e.g. a task that
	// `depends` on several others). Only one parent is recorded, so iterate in a
	// deterministic order to keep the resulting parent chain, and therefore the
	// reset set computed by resetPath, stable across invocations.
	for _, nodeID := range slices.Sorted(maps.Keys(wf.Status.Nodes)) {
		wfNode := wf.Status.Nodes[nodeID]
		n := dagNode{}
		n.n = &wfNode
		nodes[wfNode.ID] = &n
		for _, child := range wfNode.Children {
			parentsMap[child] = &wfNode
		}
	}

	for _, wfNode := range wf.Status.Nodes {
		parentWfNode, ok := parentsMap[wfNode.ID]
		if !ok && wfNode.Name != wf.Name && !strings.HasPrefix(wfNode.Name, wf.Name+".onExit") {
			return nil, fmt.Errorf("couldn't find parent node for %s", wfNode.ID)
		}

		var parentNode *dagNode
		if parentWfNode != nil {
			parentNode = nodes[parentWfNode.ID]
		}

		children := make([]*dagNode, 0)

		for _, childID := range wfNode.Children {
			childNode, ok := nodes[childID]
			if !ok {
				return nil, fmt.Errorf("coudln't obtain child %s", childID)
			}
			children = append(children, childNode)
		}
		nodes[wfNode.ID].parent = parentNode
		nodes[wfNode.ID].children = children
	}

	values := make([]*dagNode, 0)
	for _, v := range nodes {
		values = append(values, v)
	}
	return values, nil
}

func singularPath(nodes []*dagNode, toNode string) ([]*dagNode, error) {
	if len(nodes) <= 0 {
		return nil, fmt.Errorf("expected at least 1 node")
	}
	var root *dagNode
	var leaf *dagNode
	for i := range nodes {
		if nodes[i].n.ID == toNode {
			leaf = nodes[i]
		}
		if nodes[i].parent == nil {
			root = nodes[i]
		}
	}

	if root == nil {
		return nil, fmt.Errorf("was unable to find root")
	}

	if leaf == nil {
		return nil, fmt.Errorf("was unable to find %s", toNode)
	}

	curr := leaf

	reverseNodes := make([]*dagNode, 0)
	for {
		reverseNodes = append(reverseNodes, curr)
		if curr.n.ID == root.n.ID {
			break
		}
		if curr.parent == nil {
			return nil, fmt.Errorf("parent was nil but curr is not the root node")
		}
		curr = curr.parent
	}

	slices.Reverse(reverseNodes)
	return reverseNodes, nil
}

func getChildren(n *dagNode) map[string]bool {
	children := make(map[string]bool)
	queue := list.New()
	queue.PushBack(n)
	for {
		currNode := queue.Front()
		if currNode == nil {
			break
		}

		curr := currNode.Value.(*dagNode)
		for i := range curr.children {
			// appflowc: a node reached twice is explored once; Argo's walk is exponential
			// in the diamonds of a DAG.
			if children[curr.children[i].n.ID] {
				continue
			}
			children[curr.children[i].n.ID] = true
			queue.PushBack(curr.children[i])
		}
		queue.Remove(currNode)
	}
	return children
}

type resetFn func(string)
type deleteFn func(string)
type matchFn func(*dagNode) bool

func matchNodeType(nodeType wfv1.NodeType) matchFn {
	return func(n *dagNode) bool {
		return n.n.Type == nodeType
	}
}

func resetUntil(n *dagNode, matchFunc matchFn, resetFunc resetFn) (*dagNode, error) {
	curr := n
	for {
		if curr == nil {
			return nil, fmt.Errorf("was seeking node but ran out of nodes to explore")
		}

		if match := matchFunc(curr); match {
			resetFunc(curr.n.ID)
			return curr, nil
		}
		curr = curr.parent
	}
}

func matchBoundaryID(boundaryID string) matchFn {
	return func(n *dagNode) bool {
		return n.n.ID == boundaryID
	}
}

func resetBoundaries(n *dagNode, resetFunc resetFn) (*dagNode, error) {
	curr := n
	for {
		if curr == nil {
			return curr, nil
		}
		if curr.parent != nil && curr.parent.n.Type == wfv1.NodeTypeRetry {
			resetFunc(curr.parent.n.ID)
			curr = curr.parent
		}
		if curr.parent != nil && curr.parent.n.Type == wfv1.NodeTypeStepGroup {
			resetFunc(curr.parent.n.ID)
		}
		if curr.parent != nil && curr.parent.n.Type == wfv1.NodeTypeTaskGroup {
			resetFunc(curr.parent.n.ID)
		}
		seekingBoundaryID := curr.n.BoundaryID
		if seekingBoundaryID == "" {
			return curr.parent, nil
		}
		prev := curr
		var err error
		curr, err = resetUntil(curr, matchBoundaryID(seekingBoundaryID), resetFunc)
		if err != nil {
			return nil, err
		}
		if curr == prev {
			// appflowc: a node that is its own boundary; Argo would loop here forever.
			return nil, fmt.Errorf("node %s is its own boundary", curr.n.ID)
		}
	}
}

// resetPod is only called in the event a Container was found. This implies that there is a parent pod.
func resetPod(n *dagNode, resetFunc resetFn, addToDelete deleteFn) (*dagNode, error) {
	// this sets to reset but resets are overridden by deletes in the final FormulateRetryWorkflow logic.
	curr, err := resetUntil(n, matchNodeType(wfv1.NodeTypePod), resetFunc)
	if err != nil {
		return nil, err
	}
	addToDelete(curr.n.ID)
	children := getChildren(curr)
	for childID := range children {
		addToDelete(childID)
	}
	return curr, nil
}

func resetPath(allNodes []*dagNode, startNode string) (map[string]bool, map[string]bool, error) {
	nodes, err := singularPath(allNodes, startNode)

	curr := nodes[len(nodes)-1]
	if len(nodes) > 0 {
		// remove startNode
		nodes = nodes[:len(nodes)-1]
	}

	nodesToDelete := getChildren(curr)
	nodesToDelete[curr.n.ID] = true

	nodesToReset := make(map[string]bool)

	if err != nil {
		return nil, nil, err
	}
	l := len(nodes)
	if l <= 0 {
		return nodesToReset, nodesToDelete, nil
	}

	// safe to reset the startNode since deletions
	// override resets.
	addToReset := func(nodeID string) {
		nodesToReset[nodeID] = true
	}

	addToDelete := func(nodeID string) {
		nodesToDelete[nodeID] = true
	}

	for curr != nil {

		switch {
		case isGroupNodeType(curr.n.Type):
			addToReset(curr.n.ID)
			curr, err = resetBoundaries(curr, addToReset)
			if err != nil {
				return nil, nil, err
			}
			continue
		case curr.n.Type == wfv1.NodeTypeRetry && curr.n.FailedOrError():
			addToReset(curr.n.ID)
		case curr.n.Type == wfv1.NodeTypeContainer:
			curr, err = resetPod(curr, addToReset, addToDelete)
			if err != nil {
				return nil, nil, err
			}
			continue
		}

		curr = curr.parent
	}
	return nodesToReset, nodesToDelete, nil
}

func setUnion[T comparable](m1 map[T]bool, m2 map[T]bool) map[T]bool {
	res := make(map[T]bool)

	for k, v := range m1 {
		res[k] = v
	}

	for k, v := range m2 {
		if _, ok := m1[k]; !ok {
			res[k] = v
		}
	}
	return res
}

func isGroupNodeType(nodeType wfv1.NodeType) bool {
	return nodeType == wfv1.NodeTypeDAG || nodeType == wfv1.NodeTypeTaskGroup || nodeType == wfv1.NodeTypeStepGroup || nodeType == wfv1.NodeTypeSteps
}

func isExecutionNodeType(nodeType wfv1.NodeType) bool {
	return nodeType == wfv1.NodeTypeContainer || nodeType == wfv1.NodeTypePod || nodeType == wfv1.NodeTypeHTTP || nodeType == wfv1.NodeTypePlugin
}

// dagSortedNodes sorts the nodes based on topological order, omits onExitNode
func dagSortedNodes(nodes []*dagNode, rootNodeName string) []*dagNode {
	sortedNodes := make([]*dagNode, 0)

	if len(nodes) == 0 {
		return sortedNodes
	}

	queue := make([]*dagNode, 0)
	visited := make(map[string]bool)

	for _, n := range nodes {
		if n.n.Name == rootNodeName {
			queue = append(queue, n)
			visited[n.n.ID] = true
			break
		}
	}

	if len(queue) != 1 {
		panic("couldn't find root node")
	}

	for len(queue) > 0 {
		curr := queue[0]
		sortedNodes = append(sortedNodes, curr)
		queue = queue[1:]
		for _, child := range curr.children {
			if visited[child.n.ID] {
				continue
			}
			visited[child.n.ID] = true
			queue = append(queue, child)
		}
	}

	return sortedNodes
}

// FormulateRetryWorkflow attempts to retry a workflow
// The logic is as follows:
// create a DAG
// topological sort
// iterate through all must delete nodes: iterator $node
// obtain singular path to each $node

func FormulateRetryWorkflow(ctx context.Context, wf *wfv1.Workflow, restartSuccessful bool, nodeFieldSelector string, parameters []string) (*wfv1.Workflow, []string, error) {

	switch wf.Status.Phase {
	case wfv1.WorkflowFailed, wfv1.WorkflowError:
	case wfv1.WorkflowSucceeded:
		if !restartSuccessful || len(nodeFieldSelector) <= 0 {
			return nil, nil, fmt.Errorf("To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector")
		}
	default:
		return nil, nil, fmt.Errorf("Cannot retry a workflow in phase %s", wf.Status.Phase)
	}

	onExitNodeName := wf.Name + ".onExit"

	newWf, err := createNewRetryWorkflow(wf, parameters)
	if err != nil {
		return nil, nil, err
	}

	deleteNodesMap, err := getNodeIDsToReset(restartSuccessful, nodeFieldSelector, wf.Status.Nodes)
	if err != nil {
		return nil, nil, err
	}

	failed := make(map[string]bool)
	succeededBelow := map[string]bool{} // appflowc: deleteNodesMap does not change in this loop
	for nodeID, node := range wf.Status.Nodes {
		if node.FailedOrError() && isExecutionNodeType(node.Type) {
			// Check its parent if current node is retry node
			if node.NodeFlag != nil && node.NodeFlag.Retried {
				node = *wf.Status.Nodes.FindRetryNodeByChild(nodeID)
			}
			if !isDescendantNodeSucceeded(wf, node, deleteNodesMap, succeededBelow) {
				failed[nodeID] = true
			}
		}
	}
	for failedNode := range failed {
		deleteNodesMap[failedNode] = true
	}

	nodes, err := newWorkflowsDag(wf)
	if err != nil {
		return nil, nil, err
	}

	toReset := make(map[string]bool)
	toDelete := make(map[string]bool)

	nodesMap := make(map[string]*dagNode)
	for i := range nodes {
		nodesMap[nodes[i].n.ID] = nodes[i]
	}

	nodes = dagSortedNodes(nodes, wf.Name)

	deleteNodes := make([]*dagNode, 0)

	// deleteNodes will not contain an exit node
	for i := range nodes {
		if _, ok := deleteNodesMap[nodes[i].n.ID]; ok {
			deleteNodes = append(deleteNodes, nodes[i])
		}
	}

	// this is kind of complex
	// we rely on deleteNodes being topologically sorted.
	// this is done via a breadth first search on the dag via `dagSortedNodes`
	// This is because nodes at the top take precedence over nodes at the bottom.
	// if a failed node was declared to be scheduled for deletion, we should
	// never execute resetPath on that node.
	// we ensure this behaviour via calling resetPath in topological order.
	for i := range deleteNodes {
		currNode := deleteNodes[i]
		shouldDelete := toDelete[currNode.n.ID]
		if shouldDelete {
			continue
		}
		pathToReset, pathToDelete, err := resetPath(nodes, currNode.n.ID)
		if err != nil {
			return nil, nil, err
		}
		toReset = setUnion(toReset, pathToReset)
		toDelete = setUnion(toDelete, pathToDelete)
	}

	// Delete children of TaskGroup/StepGroup nodes being reset when parameters are overridden,
	// so the controller can re-expand them with the new values. Fixes #15802.
	if len(parameters) > 0 {
		for nodeID := range toReset {
			if toDelete[nodeID] {
				continue
			}
			n, ok := wf.Status.Nodes[nodeID]
			if !ok {
				continue
			}
			if n.Type == wfv1.NodeTypeTaskGroup || n.Type == wfv1.NodeTypeStepGroup {
				if dagNode, okNode := nodesMap[nodeID]; okNode {
					for childID := range getChildren(dagNode) {
						toDelete[childID] = true
					}
				}
			}
		}
	}

	for nodeID := range toReset {
		// avoid resetting nodes that are marked for deletion
		if in := toDelete[nodeID]; in {
			continue
		}

		n := wf.Status.Nodes[nodeID]

		newWf.Status.Nodes.Set(nodeID, resetNode(*n.DeepCopy()))
	}

	deletedPods := make(map[string]bool)
	podsToDelete := []string{}

	for nodeID := range toDelete {
		n := wf.Status.Nodes[nodeID]
		if n.Type == wfv1.NodeTypePod {
			deletedPods, podsToDelete = deletePodNodeDuringRetryWorkflow(wf, n, deletedPods, podsToDelete)
		}
	}

	for id, n := range wf.Status.Nodes {
		shouldDelete := toDelete[id] || strings.HasPrefix(n.Name, onExitNodeName)
		if _, err := newWf.Status.Nodes.Get(id); err != nil && !shouldDelete {
			newWf.Status.Nodes.Set(id, *n.DeepCopy())
		}
		if n.Name == onExitNodeName {
			exitSeen := map[string]bool{}
			queue := list.New()
			queue.PushBack(&n)
			for {
				currNode := queue.Front()
				if currNode == nil {
					break
				}
				curr := currNode.Value.(*wfv1.NodeStatus)
				deletedPods, podsToDelete = deletePodNodeDuringRetryWorkflow(wf, *curr, deletedPods, podsToDelete)
				for i := range curr.Children {
					child, err := wf.Status.Nodes.Get(curr.Children[i])
					if err != nil {
						return nil, nil, err
					}
					if exitSeen[child.ID] { // appflowc: explored once, as in getChildren
						continue
					}
					exitSeen[child.ID] = true
					queue.PushBack(child)
				}
				queue.Remove(currNode)
			}
		}
	}
	for id, oldWfNode := range wf.Status.Nodes {

		if !newWf.Status.Nodes.Has(id) {
			continue
		}

		newChildren := []string{}
		for _, childID := range oldWfNode.Children {
			if toDelete[childID] {
				continue
			}
			newChildren = append(newChildren, childID)
		}
		newOutboundNodes := []string{}

		for _, outBoundNodeID := range oldWfNode.OutboundNodes {
			if toDelete[outBoundNodeID] {
				continue
			}
			newOutboundNodes = append(newOutboundNodes, outBoundNodeID)
		}

		wfNode := newWf.Status.Nodes[id]
		wfNode.Children = newChildren
		wfNode.OutboundNodes = newOutboundNodes
		newWf.Status.Nodes.Set(id, *wfNode.DeepCopy())
	}

	return newWf, podsToDelete, nil
}

func resetNode(node wfv1.NodeStatus) wfv1.NodeStatus {
	// The previously supplied parameters needed to be reset. Otherwise, `argo node reset` would not work as expected.
	if node.Type == wfv1.NodeTypeSuspend {
		if node.Outputs != nil {
			for i, param := range node.Outputs.Parameters {
				node.Outputs.Parameters[i] = wfv1.Parameter{
					Name:      param.Name,
					Value:     nil,
					ValueFrom: &wfv1.ValueFrom{Supplied: &wfv1.SuppliedValueFrom{}},
				}
			}
		}
	}
	if node.Phase == wfv1.NodeSkipped {
		// The skipped nodes need to be kept as skipped. Otherwise, the workflow will be stuck on running.
		node.Phase = wfv1.NodeSkipped
	} else {
		node.Phase = wfv1.NodeRunning
	}
	node.Message = ""
	node.StartedAt = metav1.Time{Time: time.Now().UTC()}
	node.FinishedAt = metav1.Time{}
	return node
}

func GetTemplateFromNode(node wfv1.NodeStatus) string {
	if node.TemplateRef != nil {
		return node.TemplateRef.Template
	}
	return node.TemplateName
}

func getNodeIDsToReset(restartSuccessful bool, nodeFieldSelector string, nodes wfv1.Nodes) (map[string]bool, error) {
	nodeIDsToReset := make(map[string]bool)
	if !restartSuccessful || len(nodeFieldSelector) == 0 {
		return nodeIDsToReset, nil
	}

	selector, err := fields.ParseSelector(nodeFieldSelector)
	if err != nil {
		return nil, err
	}
	for _, node := range nodes {
		if SelectorMatchesNode(selector, node) {
			nodeIDsToReset[node.ID] = true
		}
	}

	return nodeIDsToReset, nil
}

func SelectorMatchesNode(selector fields.Selector, node wfv1.NodeStatus) bool {
	nodeFields := fields.Set{
		"displayName":  node.DisplayName,
		"templateName": GetTemplateFromNode(node),
		"phase":        string(node.Phase),
		"name":         node.Name,
		"id":           node.ID,
	}
	if node.TemplateRef != nil {
		nodeFields["templateRef.name"] = node.TemplateRef.Name
		nodeFields["templateRef.template"] = node.TemplateRef.Template
	}
	if node.Inputs != nil {
		for _, inParam := range node.Inputs.Parameters {
			nodeFields[fmt.Sprintf("inputs.parameters.%s.value", inParam.Name)] = inParam.Value.String()
		}
	}

	return selector.Matches(nodeFields)
}

type SetOperationValues struct {
	Phase            wfv1.NodePhase
	Message          string
	OutputParameters map[string]string
}

// OverrideOutputParametersWithDefault is workflow/util's: the supplied outputs of a
// suspend node that is resumed take their defaults.
func OverrideOutputParametersWithDefault(outputs *wfv1.Outputs) error {
	if outputs == nil {
		return nil
	}
	for i, param := range outputs.Parameters {
		if param.ValueFrom != nil && param.ValueFrom.Supplied != nil {
			if param.ValueFrom.Default != nil {
				outputs.Parameters[i].Value = param.ValueFrom.Default
				outputs.Parameters[i].ValueFrom = nil
			} else {
				return fmt.Errorf("raw output parameter '%s' has not been set and does not have a default value", param.Name)
			}
		}
	}
	return nil
}
