package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/tidwall/gjson"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// Annotations the kwok stages read. A workflow pod completes only once the executor
// simulator has marked it done; exit code and termination message come from it (or, for
// pods that are not resource steps, from the workflow's own sim annotations).
const (
	annDone     = "sim.ctlplane/done"
	annExitCode = "sim.ctlplane/exit-code"
	annMessage  = "sim.ctlplane/message"
)

// The executor-side labels and names Argo uses (workflow/common).
const (
	labelWorkflow         = "workflows.argoproj.io/workflow"
	labelOutputsCompleted = "workflows.argoproj.io/report-outputs-completed"
)

var taskResultGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflowtaskresults"}

// executor plays Argo's `argoexec resource ACTION` for resource steps, because kwok runs
// no containers. It follows workflow/executor/resource.go of the pinned Argo: the same
// kubectl arguments (run with the real kubectl binary), the same condition semantics
// (labels.Parse requirements over gjson lookups, failure first), the same outputs
// (kubectl -o jsonpath) and the same WorkflowTaskResult protocol. It acts with the
// identity the step would have in a cluster — the pod's service account, impersonated —
// so the RBAC we render is exercised for real. What differs: the state-check interval is
// 1 s instead of 5 s, and jqFilter outputs are not supported (the library uses none).
type executor struct {
	kubectl    string
	kubeconfig string
	dir        string
	admin      *rest.Config
	clients    kubernetes.Interface
	log        io.Writer

	mu     sync.Mutex
	seen   map[types.UID]bool
	logMu  sync.Mutex
	active sync.WaitGroup
}

func (x *executor) logf(format string, args ...any) {
	x.logMu.Lock()
	defer x.logMu.Unlock()
	fmt.Fprintf(x.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

// run watches workflow pods until ctx ends. Every request has a deadline and every watch
// an end: an API server restarting under it (TestWatchSurvivesAPIServerRestart) can
// accept a connection and never answer, which left the simulator, and every workflow
// step waiting on it, stuck.
func (x *executor) run(ctx context.Context) {
	defer x.active.Wait()
	sel := metav1.ListOptions{LabelSelector: labelWorkflow}
	for ctx.Err() == nil {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		list, err := x.clients.CoreV1().Pods(metav1.NamespaceAll).List(lctx, sel)
		cancel()
		if err != nil {
			x.logf("list pods: %v", err)
			sleep(ctx, time.Second)
			continue
		}
		for i := range list.Items {
			x.consider(ctx, &list.Items[i])
		}
		opts := sel
		opts.ResourceVersion = list.ResourceVersion
		timeout := int64(60)
		opts.TimeoutSeconds = &timeout
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		w, err := x.clients.CoreV1().Pods(metav1.NamespaceAll).Watch(wctx, opts)
		if err != nil {
			cancel()
			x.logf("watch pods: %v", err)
			sleep(ctx, time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				x.consider(ctx, pod)
			}
		}
		w.Stop()
		cancel()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// consider starts the simulation of a running pod once.
func (x *executor) consider(ctx context.Context, pod *corev1.Pod) {
	if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil || pod.Annotations[annDone] != "" {
		return
	}
	x.mu.Lock()
	if x.seen[pod.UID] {
		x.mu.Unlock()
		return
	}
	x.seen[pod.UID] = true
	x.mu.Unlock()
	x.active.Add(1)
	go func() {
		defer x.active.Done()
		ann := map[string]string{annDone: "true"}
		if action, ok := resourceAction(pod); ok {
			err := x.execResource(ctx, pod, action)
			ann[annExitCode], ann[annMessage] = "0", ""
			if err != nil {
				ann[annExitCode], ann[annMessage] = "1", err.Error()
			}
			x.logf("%s/%s resource %s: exit %s %s", pod.Namespace, pod.Name, action, ann[annExitCode], ann[annMessage])
		}
		if ctx.Err() != nil {
			return
		}
		if err := x.annotate(ctx, pod, ann); err != nil {
			x.logf("%s/%s: annotate: %v", pod.Namespace, pod.Name, err)
		}
	}()
}

func (x *executor) annotate(ctx context.Context, pod *corev1.Pod, ann map[string]string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": ann}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = x.clients.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// resourceAction recognises the main container the controller builds for a resource
// template: ["argoexec", "resource", ACTION, log options...], wrapped by the emissary
// executor as [".../argoexec", "emissary", options..., "--", "argoexec", "resource", ...].
func resourceAction(pod *corev1.Pod) (string, bool) {
	for _, c := range pod.Spec.Containers {
		if c.Name != "main" {
			continue
		}
		cmd := c.Command
		for i, a := range cmd {
			if a == "--" {
				cmd = cmd[i+1:]
				break
			}
		}
		if len(cmd) >= 3 && cmd[0] == "argoexec" && cmd[1] == "resource" {
			return cmd[2], true
		}
	}
	return "", false
}

// stepContext is what argoexec reads from its environment.
type stepContext struct {
	tmpl        wfv1.Template
	nodeID      string
	workflow    string
	workflowUID types.UID
	podNS       string
	user        string
}

func readStep(pod *corev1.Pod) (*stepContext, error) {
	s := &stepContext{workflow: pod.Labels[labelWorkflow], podNS: pod.Namespace}
	var tmplJSON string
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				switch e.Name {
				case "ARGO_TEMPLATE":
					tmplJSON = e.Value
				case "ARGO_NODE_ID":
					s.nodeID = e.Value
				case "ARGO_WORKFLOW_UID":
					s.workflowUID = types.UID(e.Value)
				}
			}
		}
	}
	if tmplJSON == "" || tmplJSON == "offloaded" {
		return nil, fmt.Errorf("simulator: pod has no inline ARGO_TEMPLATE (%q)", tmplJSON)
	}
	if err := json.Unmarshal([]byte(tmplJSON), &s.tmpl); err != nil {
		return nil, fmt.Errorf("simulator: ARGO_TEMPLATE: %w", err)
	}
	if s.tmpl.Resource == nil || s.nodeID == "" || s.workflow == "" {
		return nil, fmt.Errorf("simulator: pod lacks resource template, node id or workflow label")
	}
	for _, o := range pod.OwnerReferences {
		if o.Kind == "Workflow" && s.workflowUID == "" {
			s.workflowUID = o.UID
		}
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	s.user = "system:serviceaccount:" + pod.Namespace + ":" + sa
	return s, nil
}

// execResource is cmd/argoexec/commands/resource.go's execResource.
func (x *executor) execResource(ctx context.Context, pod *corev1.Pod, action string) error {
	step, err := readStep(pod)
	if err != nil {
		return err
	}
	cfg := rest.CopyConfig(x.admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: step.user}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	results := dyn.Resource(taskResultGVR).Namespace(pod.Namespace)
	// InitializeOutput: an empty result, marked incomplete.
	if err := x.upsertTaskResult(ctx, results, step, map[string]any{}); err != nil {
		return fmt.Errorf("create task result: %w", err)
	}
	runErr := x.resourceSteps(ctx, dyn, step, action)
	// FinalizeOutput: whatever happened, the result is complete.
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{labelOutputsCompleted: "true"}}})
	if _, err := results.Patch(ctx, step.nodeID, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && runErr == nil {
		runErr = fmt.Errorf("finalize task result: %w", err)
	}
	return runErr
}

func (x *executor) resourceSteps(ctx context.Context, dyn dynamic.Interface, step *stepContext, action string) error {
	res := step.tmpl.Resource
	isDelete := action == "delete"
	if isDelete && (res.SuccessCondition != "" || res.FailureCondition != "" || len(step.tmpl.Outputs.Parameters) > 0) {
		return errors.New("successCondition, failureCondition and outputs are not supported for delete action")
	}
	dir, err := os.MkdirTemp(x.dir, "step-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	manifest := filepath.Join(dir, "manifest.yaml")
	if err := os.WriteFile(manifest, []byte(res.Manifest), 0o600); err != nil {
		return err
	}
	args, err := kubectlArgs(action, manifest, res)
	if err != nil {
		return err
	}
	out, err := x.runKubectl(ctx, step.user, args...)
	if err != nil {
		return fmt.Errorf("no more retries %w", err)
	}
	if isDelete || (action == "get" && len(out) == 0) {
		return nil
	}
	var obj unstructured.Unstructured
	if err := json.Unmarshal(out, &obj.Object); err != nil {
		return err
	}
	if obj.GetName() == "" || obj.GetKind() == "" {
		return errors.New("Kind and name are both required but at least one of them is missing from the manifest")
	}
	fullName := fmt.Sprintf("%s.%s/%s", strings.ToLower(obj.GetKind()), obj.GroupVersionKind().Group, obj.GetName())
	if err := x.waitResource(ctx, dyn, step, &obj); err != nil {
		return err
	}
	return x.saveParameters(ctx, dyn, step, obj.GetNamespace(), fullName)
}

// kubectlArgs is getKubectlArguments.
func kubectlArgs(action, manifest string, res *wfv1.ResourceTemplate) ([]string, error) {
	args := []string{action}
	output := "json"
	if action == "delete" {
		args = append(args, "--ignore-not-found")
		output = "name"
	}
	appendFile := true
	if action == "patch" {
		strategy := res.MergeStrategy
		if strategy == "" {
			strategy = "strategic"
		}
		args = append(args, "--type", strategy, "--patch-file", manifest)
		if strategy == "json" {
			appendFile = false
		} else {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(res.Manifest), &obj); err != nil {
				return nil, err
			}
			if len(res.Flags) != 0 && obj["kind"] == nil {
				appendFile = false
			}
		}
	}
	args = append(args, res.Flags...)
	if res.Manifest != "" && appendFile {
		args = append(args, "-f", manifest)
	}
	return append(args, "-o", output), nil
}

func (x *executor) runKubectl(ctx context.Context, user string, args ...string) ([]byte, error) {
	full := append([]string{"--kubeconfig=" + x.kubeconfig, "--as=" + user}, args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, x.kubectl, full...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w", strings.TrimSpace(stderr.String()), err)
	}
	return stdout.Bytes(), nil
}

// gjsonLabels lets labels.Requirements read JSON paths, as the executor does.
type gjsonLabels []byte

func (g gjsonLabels) Has(label string) bool { return gjson.GetBytes(g, label).Exists() }
func (g gjsonLabels) Get(label string) string {
	return gjson.GetBytes(g, label).String()
}

// Lookup is Has and Get in one (labels.Labels in apimachinery v0.37 adds it).
func (g gjsonLabels) Lookup(label string) (string, bool) {
	r := gjson.GetBytes(g, label)
	return r.String(), r.Exists()
}

// waitResource is WaitResource + checkResourceState + matchConditions.
func (x *executor) waitResource(ctx context.Context, dyn dynamic.Interface, step *stepContext, obj *unstructured.Unstructured) error {
	res := step.tmpl.Resource
	if res.SuccessCondition == "" && res.FailureCondition == "" {
		return nil
	}
	var success, failure labels.Requirements
	if res.SuccessCondition != "" {
		sel, err := labels.Parse(res.SuccessCondition)
		if err != nil {
			return fmt.Errorf("success condition '%s' failed to parse: %v", res.SuccessCondition, err)
		}
		success, _ = sel.Requirements()
	}
	if res.FailureCondition != "" {
		sel, err := labels.Parse(res.FailureCondition)
		if err != nil {
			return fmt.Errorf("fail condition '%s' failed to parse: %v", res.FailureCondition, err)
		}
		failure, _ = sel.Requirements()
	}
	gvr, err := x.resourceFor(obj)
	if err != nil {
		return err
	}
	for {
		live, err := dyn.Resource(gvr).Namespace(obj.GetNamespace()).Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("The resource has been deleted while its status was still being checked. Will not be retried: %v", err)
		}
		if err == nil {
			data, err := json.Marshal(live.Object)
			if err != nil {
				return err
			}
			ls := gjsonLabels(data)
			for _, req := range failure {
				if req.Matches(ls) {
					return fmt.Errorf("failure condition '%s' evaluated true", req.String())
				}
			}
			matched := 0
			for _, req := range success {
				if req.Matches(ls) {
					matched++
				}
			}
			if matched >= len(success) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (x *executor) resourceFor(obj *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	gvk := obj.GroupVersionKind()
	disc := x.clients.Discovery()
	list, err := disc.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
	if err != nil {
		return schema.GroupVersionResource{}, err
	}
	for _, r := range list.APIResources {
		if r.Kind == gvk.Kind && !strings.Contains(r.Name, "/") {
			return gvk.GroupVersion().WithResource(r.Name), nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("no resource for %s", gvk)
}

// saveParameters is SaveResourceParameters + ReportOutputs.
func (x *executor) saveParameters(ctx context.Context, dyn dynamic.Interface, step *stepContext, namespace, fullName string) error {
	params := step.tmpl.Outputs.Parameters
	if len(params) == 0 {
		return nil
	}
	for i, p := range params {
		if p.ValueFrom == nil {
			continue
		}
		if p.ValueFrom.JQFilter != "" {
			return fmt.Errorf("simulator: jqFilter outputs are not supported (parameter %s)", p.Name)
		}
		if p.ValueFrom.JSONPath == "" {
			continue
		}
		out, err := x.runKubectl(ctx, step.user, "-n", namespace, "get", fullName, "-o", "jsonpath="+p.ValueFrom.JSONPath)
		if err != nil {
			return err
		}
		params[i].Value = wfv1.AnyStringPtr(string(out))
	}
	outputs := step.tmpl.Outputs.DeepCopy()
	raw, err := json.Marshal(outputs)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	return x.upsertTaskResult(ctx, dyn.Resource(taskResultGVR).Namespace(step.podNS), step, map[string]any{"outputs": m})
}

// upsertTaskResult creates the node's WorkflowTaskResult or merges result into it.
func (x *executor) upsertTaskResult(ctx context.Context, results dynamic.ResourceInterface, step *stepContext, result map[string]any) error {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "WorkflowTaskResult",
		"metadata": map[string]any{
			"name":   step.nodeID,
			"labels": map[string]any{labelWorkflow: step.workflow, labelOutputsCompleted: "false"},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": step.workflow, "uid": string(step.workflowUID),
			}},
		},
	}}
	for k, v := range result {
		obj.Object[k] = v
	}
	_, err := results.Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	patch, err := json.Marshal(result)
	if err != nil {
		return err
	}
	_, err = results.Patch(ctx, step.nodeID, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
