package apply

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/appflowc/appflowc/internal/follow"
)

// The Argo CD resources appflowc's Workflows create.
var (
	ApplicationsGVR    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	ApplicationSetsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applicationsets"}
)

// Source lists and watches the objects of one resource in namespace that match the label
// selector, for follow.Run: lists end within the request timeout, watches stay open as
// long as their context allows.
func (c *Client) Source(gvr schema.GroupVersionResource, namespace, selector string) follow.Source {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return c.dyn.Resource(gvr).Namespace(namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return c.watchDyn.Resource(gvr).Namespace(namespace).Watch(ctx, o)
		},
	}
}
