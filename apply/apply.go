package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/appflowc/appflowc/manifest"
)

// FieldManager is the server-side apply field manager of everything appflowc applies.
const FieldManager = "appflowc"

// Options configure Apply. Each field names its flag.
type Options struct {
	// DryRun asks the API server to validate and default without persisting (--dry-run).
	DryRun bool
	// Audit is added to the annotations of every object applied or Workflow submitted
	// (who, from which commit); see AuditAnnotations.
	Audit map[string]string
}

// Audit annotations on everything apply writes.
const (
	AnnotationSubmittedBy = "appflowc.dev/submitted-by"
	AnnotationGitCommit   = "appflowc.dev/git-commit"
	AnnotationGitDirty    = "appflowc.dev/git-dirty"
)

// Action is what happened to one object.
type Action string

const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Submitted  Action = "submitted" // a Workflow created from its generateName
)

// Change is one entry of a change set; it prints as "WorkflowTemplate/argo/application-create configured".
type Change struct {
	Kind, Namespace, Name string
	Action                Action
}

func (c Change) String() string {
	if c.Namespace == "" {
		return fmt.Sprintf("%s/%s %s", c.Kind, c.Name, c.Action)
	}
	return fmt.Sprintf("%s/%s/%s %s", c.Kind, c.Namespace, c.Name, c.Action)
}

// stage orders kinds so that what an object needs exists before it: namespaces and RBAC,
// then configuration, then templates, then the Workflows that run them.
func stage(kind string) int {
	switch kind {
	case "Namespace", "CustomResourceDefinition":
		return 0
	case "ServiceAccount", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding":
		return 1
	case "ConfigMap", "Secret":
		return 2
	case "WorkflowTemplate", "ClusterWorkflowTemplate":
		return 3
	case "Workflow", "CronWorkflow":
		return 5
	}
	return 4
}

// Apply applies objs in dependency order and creates their Workflows. Preview objects
// are skipped. It stops at the first error, which names the object.
func (c *Client) Apply(ctx context.Context, objs []manifest.Object, opts Options) ([]Change, error) {
	var todo []manifest.Object
	for _, o := range objs {
		if !o.Preview {
			todo = append(todo, o)
		}
	}
	sort.SliceStable(todo, func(i, j int) bool { return stage(todo[i].Kind) < stage(todo[j].Kind) })
	var changes []Change
	for _, o := range todo {
		if err := ctx.Err(); err != nil {
			return changes, err
		}
		ch, err := c.applyOne(ctx, o, opts)
		if err != nil {
			return changes, err
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

func (c *Client) resource(ctx context.Context, o manifest.Object) (dynamic.ResourceInterface, error) {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return nil, err
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: o.Kind}
	m, err := c.mapper.RESTMappingWithContext(ctx, gk, gv.Version)
	if meta.IsNoMatchError(err) {
		err = c.notServedByMapping(ctx, gk, gv.Version)
	}
	if err != nil {
		// What the error is (unreachable, not served) is for Diagnose to say.
		return nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(o.Namespace), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

func (c *Client) applyOne(ctx context.Context, o manifest.Object, opts Options) (Change, error) {
	ch := Change{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
	obj, err := manifest.ToMap(o.Obj)
	if err != nil {
		return ch, fmt.Errorf("%s: %w", o.ID(), err)
	}
	u := &unstructured.Unstructured{Object: obj}
	ri, err := c.resource(ctx, o)
	if err != nil {
		return ch, err
	}
	var dry []string
	if opts.DryRun {
		dry = []string{metav1.DryRunAll}
	}
	// Every object records who applied it, from which commit (comparisons ignore these:
	// a new commit alone does not make an object "configured").
	if len(opts.Audit) > 0 {
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		for k, v := range opts.Audit {
			ann[k] = v
		}
		u.SetAnnotations(ann)
	}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		created, err := ri.Create(ctx, u, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dry})
		if err != nil {
			return ch, fmt.Errorf("%s: create: %w", o.ID(), err)
		}
		ch.Name, ch.Action = created.GetName(), Submitted
		return ch, nil
	}
	before, after, err := serverApply(ctx, ri, o, u, dry)
	if err != nil {
		return ch, err
	}
	switch {
	case before == nil:
		ch.Action = Created
	case sameContent(before, after):
		ch.Action = Unchanged
	default:
		ch.Action = Configured
	}
	return ch, nil
}

// serverApply reads the live object (nil when absent) and server-side applies u,
// returning both versions.
func serverApply(ctx context.Context, ri dynamic.ResourceInterface, o manifest.Object, u *unstructured.Unstructured, dry []string) (before, after *unstructured.Unstructured, err error) {
	before, err = ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		before = nil
	case err != nil:
		return nil, nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	force := true // appflowc owns what it renders; take fields over from earlier kubectl edits
	after, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: dry})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: server-side apply: %w", o.ID(), err)
	}
	return before, after, nil
}

// sameContent compares two versions of an object without the fields the server changes
// on every write; resourceVersion alone cannot tell for dry runs.
func sameContent(a, b *unstructured.Unstructured) bool {
	x, _ := json.Marshal(comparable(a.Object))
	y, _ := json.Marshal(comparable(b.Object))
	return string(x) == string(y)
}

// Get reads one object, for callers that check what apply did.
func (c *Client) Get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, err := c.resource(ctx, manifest.Object{APIVersion: apiVersion, Kind: kind, Namespace: namespace, Name: name})
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, name, metav1.GetOptions{})
}

// AuditAnnotations says who submits (the identity the API server reports for the
// caller, when it allows SelfSubjectReview) and, when dir is in a Git work tree, the
// commit and whether the tree had uncommitted changes.
func (c *Client) AuditAnnotations(ctx context.Context, dir string) map[string]string {
	out := map[string]string{}
	if who := c.whoAmI(ctx); who != "you" {
		out[AnnotationSubmittedBy] = strings.TrimPrefix(who, "user ")
	}
	git := func(args ...string) (string, bool) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		b, err := cmd.Output()
		return strings.TrimSpace(string(b)), err == nil
	}
	if commit, ok := git("rev-parse", "HEAD"); ok && commit != "" {
		out[AnnotationGitCommit] = commit
		if status, ok := git("status", "--porcelain", "--", "."); ok {
			out[AnnotationGitDirty] = strconv.FormatBool(status != "")
		}
	}
	return out
}
