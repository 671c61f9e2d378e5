package apply

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/internal/udiff"
	"github.com/appflowc/appflowc/manifest"
)

// ObjectDiff is what apply would do to one object.
type ObjectDiff struct {
	ID     string // Kind/namespace/name
	Action Action // Created, Configured, Unchanged or Submitted
	// Diff is a unified diff of the live object against the result of the apply (a
	// server-side dry run, so defaults and other managers' fields are as they would be).
	// Secret values are masked.
	Diff string
}

// Diff computes, without changing anything, what Apply would change: each object is
// server-side applied as a dry run and compared with its live version. Workflows are
// always new (they are created from a generateName), so they are reported as Submitted.
func (c *Client) Diff(ctx context.Context, objs []manifest.Object) ([]ObjectDiff, error) {
	var out []ObjectDiff
	// Namespaces this apply creates that do not exist yet: objects in them cannot be dry
	// run on the server, so they are shown as they would be sent.
	newNS := map[string]bool{}
	for _, o := range objs {
		if o.Kind == "Namespace" && !o.Preview {
			_, err := c.cs.CoreV1().Namespaces().Get(ctx, o.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				newNS[o.Name] = true
			case err != nil:
				return nil, fmt.Errorf("%s: %w", o.ID(), err)
			}
		}
	}
	for _, o := range objs {
		if o.Preview {
			continue
		}
		d, err := c.diffOne(ctx, o, newNS[o.Namespace])
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (c *Client) diffOne(ctx context.Context, o manifest.Object, inNewNamespace bool) (ObjectDiff, error) {
	d := ObjectDiff{ID: o.ID()}
	obj, err := manifest.ToMap(o.Obj)
	if err != nil {
		return d, fmt.Errorf("%s: %w", o.ID(), err)
	}
	u := &unstructured.Unstructured{Object: obj}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		d.Action = Submitted
		return d, nil
	}
	if inNewNamespace {
		local := comparable(u.Object)
		if o.Kind == "Secret" {
			maskSecrets(nil, local)
		}
		d.Action = Created
		d.Diff = udiff.Unified("live/"+o.ID(), "apply/"+o.ID(), "", toYAML(local))
		return d, nil
	}
	ri, err := c.resource(ctx, o)
	if err != nil {
		return d, err
	}
	live, after, err := serverApply(ctx, ri, o, u, []string{metav1.DryRunAll})
	if err != nil {
		return d, err
	}
	var before map[string]any
	if live != nil {
		before = live.Object
	}
	a, b := comparable(before), comparable(after.Object)
	if o.Kind == "Secret" {
		maskSecrets(a, b)
	}
	ya, yb := toYAML(a), toYAML(b)
	switch {
	case live == nil:
		d.Action = Created
		ya = ""
	case ya == yb:
		d.Action = Unchanged
		return d, nil
	default:
		d.Action = Configured
	}
	d.Diff = udiff.Unified("live/"+o.ID(), "apply/"+o.ID(), ya, yb)
	return d, nil
}

// comparable is obj without what the server changes on every write and without the
// audit annotations (who applied it, from which commit), which change with every apply.
func comparable(obj map[string]any) map[string]any {
	if obj == nil {
		return nil
	}
	c := runtimeCopy(obj)
	for _, f := range []string{"resourceVersion", "generation", "managedFields", "creationTimestamp", "uid"} {
		unstructured.RemoveNestedField(c, "metadata", f)
	}
	delete(c, "status")
	if ann, ok, _ := unstructured.NestedStringMap(c, "metadata", "annotations"); ok {
		for _, k := range []string{AnnotationSubmittedBy, AnnotationGitCommit, AnnotationGitDirty} {
			delete(ann, k)
		}
		if len(ann) == 0 {
			unstructured.RemoveNestedField(c, "metadata", "annotations")
		} else {
			_ = unstructured.SetNestedStringMap(c, ann, "metadata", "annotations")
		}
	}
	return c
}

func runtimeCopy(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}

// maskSecrets replaces Secret values so that the diff shows which keys change, never
// what they hold (as kubectl diff does).
func maskSecrets(before, after map[string]any) {
	for _, field := range []string{"data", "stringData"} {
		bm, _, _ := unstructured.NestedMap(before, field)
		am, _, _ := unstructured.NestedMap(after, field)
		for k, av := range am {
			bv, had := bm[k]
			switch {
			case !had:
				am[k] = "***"
			case bv == av:
				bm[k], am[k] = "***", "***"
			default:
				bm[k], am[k] = "*** (before)", "*** (after)"
			}
		}
		for k := range bm {
			if _, kept := am[k]; !kept {
				bm[k] = "***"
			}
		}
		if before != nil && bm != nil {
			_ = unstructured.SetNestedMap(before, bm, field)
		}
		if am != nil {
			_ = unstructured.SetNestedMap(after, am, field)
		}
	}
}

func toYAML(m map[string]any) string {
	if m == nil {
		return ""
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%v", m)
	}
	return string(b)
}
