package apply

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/appflowc/appflowc/internal/follow"
	"github.com/appflowc/appflowc/internal/safetext"
	"github.com/appflowc/appflowc/manifest"
)

// ManagedSelector selects what appflowc submitted: the default of every command that
// chooses workflows by label.
const ManagedSelector = manifest.LabelManagedBy + "=" + manifest.ManagedBy

// WorkflowsGVR is the Argo Workflow resource.
var WorkflowsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

// Outcome is how one followed Workflow ended.
type Outcome struct {
	Name    string
	Phase   string // Succeeded, Failed or Error
	Message string // the workflow's message, with the failed step's
	Failed  string // display name of the first failed step, if any
	// Diagnosis holds what the workflow's own steps found out about the failure: the
	// non-empty output parameters named "diagnosis" (the library's exit handlers read
	// Argo CD's conditions into one before cleanup can delete the Application).
	Diagnosis []string
}

// WatchOptions say where and how Watch reports progress.
type WatchOptions struct {
	Out io.Writer // a line per change of phase, progress or current step
	// Phase renders a phase for display (the CLI colours it on terminals); nil: as is.
	// It gets the phase already escaped (safetext).
	Phase func(string) string
	// Retrying, if set, is told when the watch failed and when it tries again.
	Retrying func(err error, after time.Duration)
	// Update, if set, gets each state of a followed workflow as it is seen (a live view
	// draws from it); it must not keep u past the call without copying.
	Update func(u *unstructured.Unstructured)
	// AnyLabels follows the named workflows whatever their labels; otherwise several
	// names are followed with one watch of the workflows appflowc manages.
	AnyLabels bool
}

// GoneError is a followed object deleted before it finished: nothing will ever say how
// it ended.
type GoneError struct {
	Resource, Namespace string
	Names               []string
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("%s/%s/%s was deleted before it finished", e.Resource, e.Namespace, strings.Join(e.Names, ", "))
}

// Watch follows the named Workflows in namespace until each has finished (Argo set
// status.finishedAt, or a final phase) or is gone, with ONE list+watch for all of them
// (no polling per workflow), re-watched with follow's backoff when it drops. It prints
// a line whenever a workflow's phase, progress or current step changes. Workflows
// deleted before they finished end it with a *GoneError, beside the outcomes of the
// others.
func (c *Client) Watch(ctx context.Context, namespace string, names []string, opts WatchOptions) ([]Outcome, error) {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	// One workflow (logs -f, which follows any workflow): by name. Several (apply's):
	// by appflowc's label, one watch for all.
	sel := metav1.ListOptions{LabelSelector: ManagedSelector}
	switch {
	case len(names) == 1:
		sel = metav1.ListOptions{FieldSelector: "metadata.name=" + names[0]}
	case opts.AnyLabels:
		sel = metav1.ListOptions{}
	}
	src := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector, o.FieldSelector = sel.LabelSelector, sel.FieldSelector
			return c.dyn.Resource(WorkflowsGVR).Namespace(namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector, o.FieldSelector = sel.LabelSelector, sel.FieldSelector
			return c.watchDyn.Resource(WorkflowsGVR).Namespace(namespace).Watch(ctx, o)
		},
	}
	last := map[string]string{}
	done := map[string]Outcome{}
	alive := map[string]bool{}
	var gone []string
	finished := func() bool { return len(done)+len(gone) == len(want) }
	goneNow := func(name string) {
		if _, ok := done[name]; !ok && !slices.Contains(gone, name) {
			gone = append(gone, name)
		}
	}
	h := follow.Handler{
		Event: func(typ watch.EventType, obj runtime.Object) (bool, error) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok || !want[u.GetName()] {
				return false, nil
			}
			if typ == watch.Deleted {
				delete(alive, u.GetName())
				goneNow(u.GetName())
				return finished(), nil
			}
			alive[u.GetName()] = true
			Hydrate(u) // one decompression for all that reads this state below
			if opts.Update != nil {
				opts.Update(u)
			}
			line := statusLine(u, nil)
			if line != last[u.GetName()] {
				last[u.GetName()] = line
				fmt.Fprintln(out, statusLine(u, opts.Phase))
			}
			if oc, fin := OutcomeOf(u); fin {
				done[u.GetName()] = oc
			}
			return finished(), nil
		},
		// A workflow not in a complete list is gone (it was created before Watch began).
		Listed: func() (bool, error) {
			for n := range want {
				if !alive[n] {
					goneNow(n)
				}
			}
			return finished(), nil
		},
	}
	err := follow.Run(ctx, src, h, follow.Options{Retrying: opts.Retrying})
	res := make([]Outcome, 0, len(done))
	for _, oc := range done {
		res = append(res, oc)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Name < res[j].Name })
	if err != nil {
		return res, fmt.Errorf("watch workflows: %w", err)
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		return res, &GoneError{Resource: "Workflow", Namespace: namespace, Names: gone}
	}
	return res, nil
}

func str(u map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(u, path...)
	return s
}

// statusLine is "NAME  PHASE  PROGRESS  step: CURRENT", each field escaped (safetext).
// Steps fanned out by withParam are shown as "name(i)" (Argo's display name repeats the
// whole item), and at most three running steps are named.
func statusLine(u *unstructured.Unstructured, paint func(string) string) string {
	phase := safetext.Field(str(u.Object, "status", "phase"), 64)
	if phase == "" {
		phase = "Pending"
	}
	progress := safetext.Field(progressOf(u), 32)
	var running []string
	nodes := NodesOf(u)
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		if str(m, "type") == "Pod" && str(m, "phase") == "Running" {
			running = append(running, safetext.Field(ShortStep(str(m, "displayName")), 128))
		}
	}
	sort.Strings(running)
	shown := phase
	if paint != nil {
		shown = paint(phase)
	}
	line := fmt.Sprintf("%s  %s", safetext.Field(u.GetName(), safetext.MaxField), shown)
	if progress != "" {
		line += "  " + progress
	}
	if len(running) > 3 {
		running = append(running[:3], fmt.Sprintf("+%d more", len(running)-3))
	}
	if len(running) > 0 {
		line += "  step: " + strings.Join(running, ",")
	}
	return line
}

// ShortStep turns "validate-environment(0:cluster:https://...,name:dev)" into
// "validate-environment(0)": the item of a fanned-out step is cut to its index. Retries'
// "step(1)" stay as they are, and so does what follows the item: the attempts of a
// retried fanned-out step, "deploy(0:a.yaml)(1)", stay apart as "deploy(0)(1)".
func ShortStep(name string) string {
	open := strings.IndexByte(name, '(')
	if open < 0 || !strings.HasSuffix(name, ")") {
		return name
	}
	// The end of the first group at depth 0 (an item may hold parentheses of its own).
	depth, end := 0, -1
	for i := open; i < len(name) && end < 0; i++ {
		switch name[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				end = i
			}
		}
	}
	if end < 0 {
		end = len(name) - 1
	}
	if colon := strings.IndexByte(name[open:end], ':'); colon > 0 {
		return name[:open+colon] + name[end:]
	}
	return name
}

// OutcomeOf reports whether the workflow finished, and how; the failed step is the
// earliest-finished failed Pod node, whose message is what a user needs. A workflow has
// finished when Argo set status.finishedAt (as argo wait decides), whatever its phase
// says: a phase appflowc does not know is not a reason to wait forever.
func OutcomeOf(u *unstructured.Unstructured) (Outcome, bool) {
	phase := str(u.Object, "status", "phase")
	if phase != "Succeeded" && phase != "Failed" && phase != "Error" && str(u.Object, "status", "finishedAt") == "" {
		return Outcome{}, false
	}
	if phase == "" {
		phase = "Unknown"
	}
	oc := Outcome{Name: u.GetName(), Phase: phase, Message: str(u.Object, "status", "message")}
	nodes := NodesOf(u)
	if step, msg := FirstFailure(u); step != "" {
		oc.Failed = step
		if msg != "" {
			oc.Message = msg
		}
	}
	if phase != "Succeeded" {
		seen := map[string]bool{}
		for _, n := range nodes {
			m, _ := n.(map[string]any)
			params, _, _ := unstructured.NestedSlice(m, "outputs", "parameters")
			for _, p := range params {
				pm, _ := p.(map[string]any)
				if v := strings.TrimSpace(str(pm, "value")); str(pm, "name") == "diagnosis" && v != "" && !seen[v] {
					seen[v] = true
					oc.Diagnosis = append(oc.Diagnosis, v)
				}
			}
		}
		sort.Strings(oc.Diagnosis)
	}
	return oc, true
}
