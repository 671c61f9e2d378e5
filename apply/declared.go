package apply

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/internal/follow"
)

// ClusterTemplatesGVR is the Argo ClusterWorkflowTemplate resource.
var ClusterTemplatesGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "clusterworkflowtemplates"}

// errTooMany stops a list that exceeds its bound.
var errTooMany = errors.New("too many templates")

// EachTemplate calls fn with each WorkflowTemplate of namespace and each of the
// cluster's ClusterWorkflowTemplates (what `vet --cluster` reads as declarations; the
// config package turns them into ones). The cluster is not trusted: at most max of each
// are read, more is an error.
func (c *Client) EachTemplate(ctx context.Context, namespace string, max int, fn func(u *unstructured.Unstructured, cluster bool)) error {
	for _, src := range []struct {
		gvr       schema.GroupVersionResource
		namespace string
		cluster   bool
		what      string
	}{{TemplatesGVR, namespace, false, "workflowtemplates in namespace " + namespace}, {ClusterTemplatesGVR, "", true, "clusterworkflowtemplates"}} {
		n := 0
		err := follow.EachPage(ctx, c.dyn.Resource(src.gvr).Namespace(src.namespace).List, metav1.ListOptions{},
			func(items []runtime.Object, _ string) error {
				for _, o := range items {
					u, ok := o.(*unstructured.Unstructured)
					if !ok {
						continue
					}
					if n++; n > max {
						return errTooMany
					}
					fn(u, src.cluster)
				}
				return nil
			})
		if errors.Is(err, errTooMany) {
			return fmt.Errorf("read %s: more than %d; vet --cluster reads at most that many (declare the ones the config uses under externalTemplates instead)", src.what, max)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src.what, err)
		}
	}
	return nil
}
