package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/packer"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/appflowc/appflowc/internal/wfcontrol"
)

// Workflow control: what `argo suspend|resume|stop|terminate|retry|resubmit` do, done
// against the Kubernetes API as the argo CLI does without an Argo Server (its "kube" mode
// runs the server's code in-process). Each follows workflow/util of the pinned Argo
// (v3.7.18): the same preconditions, the same fields set, the same conflict retries.
// What differs: Argo labels the actor from the Argo Server's login, which a client of
// the Kubernetes API does not have; and changes are sent as merge patches that carry the
// resourceVersion read (a conflict is retried), so fields this Argo version does not know
// survive, where Argo's typed Update would drop them.

// ControlAction is one workflow control operation.
type ControlAction string

// The actions, named as the argo CLI names its commands.
const (
	ActionSuspend   ControlAction = "suspend"
	ActionResume    ControlAction = "resume"
	ActionStop      ControlAction = "stop"
	ActionTerminate ControlAction = "terminate"
	ActionRetry     ControlAction = "retry"
	ActionResubmit  ControlAction = "resubmit"
)

// Past is the action's past participle, for "workflow X stopped".
func (a ControlAction) Past() string {
	return map[ControlAction]string{ActionSuspend: "suspended", ActionResume: "resumed", ActionStop: "stopped",
		ActionTerminate: "terminated", ActionRetry: "retried", ActionResubmit: "resubmitted"}[a]
}

// ControlOptions are the options of Control. Each field names its flag.
type ControlOptions struct {
	// NodeFieldSelector (--node-field-selector) picks nodes: the suspend nodes resume and
	// stop act on, or for retry with RestartSuccessful the succeeded nodes to run again.
	NodeFieldSelector string
	// Message (--message) is set on the nodes stop fails (with NodeFieldSelector).
	Message string
	// RestartSuccessful (--restart-successful): retry runs the matched succeeded nodes again.
	RestartSuccessful bool
	// Memoized (--memoized): resubmit reuses the steps that succeeded.
	Memoized bool
	// Parameters (-p NAME=VALUE) override the workflow's arguments (retry, resubmit).
	Parameters []string
	// DryRun (--dry-run=server) sends the change with dryRun=All: the API server checks it
	// and persists nothing (retry's pod deletions are dry-run too).
	DryRun bool
}

// ControlResult is what Control did to one workflow.
type ControlResult struct {
	Name string
	// Created is the new workflow of a resubmission.
	Created string
}

// ErrNotApplicable wraps the reason an action does not apply to a workflow in its current
// state (suspending a finished one, retrying a running one): the caller may skip it when
// the workflow was chosen by a selector rather than by name.
var ErrNotApplicable = errors.New("not applicable")

type notApplicable struct{ msg string }

func (e *notApplicable) Error() string        { return e.msg }
func (e *notApplicable) Is(target error) bool { return target == ErrNotApplicable }

func notNow(format string, args ...any) error {
	return &notApplicable{msg: fmt.Sprintf(format, args...)}
}

// Control performs action on the workflow namespace/name.
func (c *Client) Control(ctx context.Context, action ControlAction, namespace, name string, opts ControlOptions) (ControlResult, error) {
	res := ControlResult{Name: name}
	var selector fields.Selector
	if opts.NodeFieldSelector != "" {
		s, err := fields.ParseSelector(opts.NodeFieldSelector)
		if err != nil {
			return res, fmt.Errorf("--node-field-selector %q: %w", opts.NodeFieldSelector, err)
		}
		selector = s
	}
	var err error
	switch action {
	case ActionSuspend:
		err = c.patchWorkflow(ctx, namespace, name, opts.DryRun, func(wf *wfv1.Workflow) (map[string]any, error) {
			// Argo looks at the completed label only; a finished phase is as final.
			if wf.Labels["workflows.argoproj.io/completed"] == "true" || wf.Status.Fulfilled() {
				return nil, notNow("cannot suspend workflow %s: it has finished", name)
			}
			if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
				return nil, nil
			}
			return map[string]any{"spec": map[string]any{"suspend": true}}, nil
		})
	case ActionResume:
		err = c.patchWorkflow(ctx, namespace, name, opts.DryRun, func(wf *wfv1.Workflow) (map[string]any, error) {
			return resumePatch(wf, selector)
		})
	case ActionStop, ActionTerminate:
		err = c.patchWorkflow(ctx, namespace, name, opts.DryRun, func(wf *wfv1.Workflow) (map[string]any, error) {
			if action == ActionStop && selector != nil {
				return suspendNodesPatch(wf, selector, wfv1.NodeFailed, opts.Message)
			}
			if wf.Status.Fulfilled() {
				return nil, notNow("cannot %s workflow %s: it has finished (%s)", action, name, wf.Status.Phase)
			}
			strategy := wfv1.ShutdownStrategyStop
			if action == ActionTerminate {
				strategy = wfv1.ShutdownStrategyTerminate
			}
			return map[string]any{"spec": map[string]any{"shutdown": string(strategy)}}, nil
		})
	case ActionRetry:
		err = c.retry(ctx, namespace, name, opts)
	case ActionResubmit:
		res.Created, err = c.resubmit(ctx, namespace, name, opts)
	default:
		err = fmt.Errorf("unknown action %q", action)
	}
	if err != nil {
		return res, fmt.Errorf("%s Workflow/%s/%s: %w", action, namespace, name, err)
	}
	return res, nil
}

// getWorkflow reads a workflow as Argo's type, with its status decompressed, and the
// resourceVersion read.
func (c *Client) getWorkflow(ctx context.Context, namespace, name string) (*wfv1.Workflow, error) {
	u, err := c.dyn.Resource(WorkflowsGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return workflowOf(u)
}

func workflowOf(u *unstructured.Unstructured) (*wfv1.Workflow, error) {
	var wf wfv1.Workflow
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &wf); err != nil {
		return nil, fmt.Errorf("the API server's Workflow %s is not one Argo %s reads: %w", u.GetName(), "v3.7", err)
	}
	if err := packer.DecompressWorkflow(&wf); err != nil {
		return nil, fmt.Errorf("the compressed node status of %s: %w", u.GetName(), err)
	}
	return &wf, nil
}

// patchWorkflow reads the workflow, asks change for a merge patch (nil: nothing to do)
// and sends it with the resourceVersion read, again from the read on a conflict (what
// Argo's Update-with-retry does).
func (c *Client) patchWorkflow(ctx context.Context, namespace, name string, dryRun bool, change func(*wfv1.Workflow) (map[string]any, error)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		wf, err := c.getWorkflow(ctx, namespace, name)
		if err != nil {
			return err
		}
		patch, err := change(wf)
		if err != nil || patch == nil {
			return err
		}
		meta, _ := patch["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			patch["metadata"] = meta
		}
		meta["resourceVersion"] = wf.ResourceVersion
		body, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		_, err = c.dyn.Resource(WorkflowsGVR).Namespace(namespace).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dryRunAll(dryRun)})
		return err
	})
}

func dryRunAll(on bool) []string {
	if on {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// resumePatch is ResumeWorkflow of Argo: spec.suspend unset and every running suspend
// node Succeeded (with its supplied outputs defaulted); with a selector, only the
// matching suspend nodes, and an error if there is none.
func resumePatch(wf *wfv1.Workflow, selector fields.Selector) (map[string]any, error) {
	if selector != nil {
		return suspendNodesPatch(wf, selector, wfv1.NodeSucceeded, "")
	}
	patch := map[string]any{}
	if wf.Spec.Suspend != nil && *wf.Spec.Suspend {
		patch["spec"] = map[string]any{"suspend": nil}
	}
	nodes := map[string]any{}
	now := metav1.NewTime(time.Now().UTC())
	for id, node := range wf.Status.Nodes {
		if !node.IsActiveSuspendNode() {
			continue
		}
		if err := wfcontrol.OverrideOutputParametersWithDefault(node.Outputs); err != nil {
			return nil, fmt.Errorf("node %s: %w", node.DisplayName, err)
		}
		n := map[string]any{"phase": string(wfv1.NodeSucceeded), "finishedAt": now}
		if node.Outputs != nil {
			n["outputs"] = node.Outputs
		}
		nodes[id] = n
	}
	if len(nodes) > 0 {
		patch["status"] = map[string]any{"nodes": nodes}
	}
	if len(patch) == 0 {
		if wf.Status.Fulfilled() {
			return nil, notNow("cannot resume workflow %s: it has finished (%s)", wf.Name, wf.Status.Phase)
		}
		return nil, notNow("workflow %s is not suspended", wf.Name)
	}
	return patch, nil
}

// suspendNodesPatch is Argo's updateSuspendedNode: the running suspend nodes that match
// selector get phase (and message).
func suspendNodesPatch(wf *wfv1.Workflow, selector fields.Selector, phase wfv1.NodePhase, message string) (map[string]any, error) {
	nodes := map[string]any{}
	now := metav1.NewTime(time.Now().UTC())
	for id, node := range wf.Status.Nodes {
		if !node.IsActiveSuspendNode() || !wfcontrol.SelectorMatchesNode(selector, node) {
			continue
		}
		n := map[string]any{"phase": string(phase)}
		if phase.Fulfilled(node.TaskResultSynced) {
			n["finishedAt"] = now
		}
		if message != "" {
			n["message"] = message
		}
		nodes[id] = n
	}
	if len(nodes) == 0 {
		return nil, notNow("workflow %s has no running suspend node matching %q", wf.Name, selector.String())
	}
	return map[string]any{"status": map[string]any{"nodes": nodes}}, nil
}

// retry is Argo's RetryWorkflow: the status reset by Argo's own algorithm (wfcontrol),
// the pods of the reset nodes deleted, then the workflow written back whole (the new
// status replaces nodes, which a merge patch cannot remove).
func (c *Client) retry(ctx context.Context, namespace, name string, opts ControlOptions) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		wf, err := c.getWorkflow(ctx, namespace, name)
		if err != nil {
			return err
		}
		switch wf.Status.Phase {
		case wfv1.WorkflowFailed, wfv1.WorkflowError:
		case wfv1.WorkflowSucceeded:
			if !opts.RestartSuccessful || opts.NodeFieldSelector == "" {
				return notNow("workflow %s succeeded: to run some of its steps again, give --restart-successful and --node-field-selector", name)
			}
		default:
			return notNow("cannot retry workflow %s: it is %s, not Failed or Error", name, orPending(string(wf.Status.Phase)))
		}
		newWf, pods, err := wfcontrol.Retry(ctx, wf, opts.RestartSuccessful, opts.NodeFieldSelector, opts.Parameters)
		if err != nil {
			return err
		}
		if err := c.deletePods(ctx, namespace, pods, opts.DryRun); err != nil {
			return err
		}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(newWf)
		if err != nil {
			return err
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetAPIVersion("argoproj.io/v1alpha1")
		u.SetKind("Workflow")
		_, err = c.dyn.Resource(WorkflowsGVR).Namespace(namespace).Update(ctx, u, metav1.UpdateOptions{DryRun: dryRunAll(opts.DryRun)})
		return err
	})
}

func orPending(phase string) string {
	if phase == "" {
		return "Pending"
	}
	return phase
}

// deletePods deletes the pods of reset nodes, side by side as Argo does; a pod already
// gone is fine.
func (c *Client) deletePods(ctx context.Context, namespace string, pods []string, dryRun bool) error {
	sort.Strings(pods)
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, pod := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := c.cs.CoreV1().Pods(namespace).Delete(ctx, pod, metav1.DeleteOptions{DryRun: dryRunAll(dryRun)})
			if err != nil && !apierrors.IsNotFound(err) {
				errs[i] = fmt.Errorf("delete pod %s: %w", pod, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// resubmit is Argo's ResubmitWorkflow: a new workflow from the old one's spec, labels and
// annotations (not its status), named from its generateName.
func (c *Client) resubmit(ctx context.Context, namespace, name string, opts ControlOptions) (string, error) {
	wf, err := c.getWorkflow(ctx, namespace, name)
	if err != nil {
		return "", err
	}
	newWf, err := wfcontrol.Resubmit(ctx, wf, opts.Memoized, opts.Parameters)
	if err != nil {
		return "", err
	}
	newWf.Namespace = namespace
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(newWf)
	if err != nil {
		return "", err
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion("argoproj.io/v1alpha1")
	u.SetKind("Workflow")
	if !opts.Memoized {
		// Argo's submit leaves the status of a new workflow empty; the typed round trip
		// writes an empty one, which the API server would keep.
		unstructured.RemoveNestedField(u.Object, "status")
	}
	created, err := c.dyn.Resource(WorkflowsGVR).Namespace(namespace).Create(ctx, u, metav1.CreateOptions{DryRun: dryRunAll(opts.DryRun)})
	if err != nil {
		return "", err
	}
	return created.GetName(), nil
}
