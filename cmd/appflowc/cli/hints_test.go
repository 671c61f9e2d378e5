package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/apply"
)

func TestNextStepNamesWhatToDo(t *testing.T) {
	gr := schema.GroupResource{Group: "argoproj.io", Resource: "workflows"}
	for _, c := range []struct {
		err  error
		want string
	}{
		{apierrors.NewUnauthorized("no"), "log in again"},
		{apierrors.NewForbidden(gr, "x", errors.New("no")), "ask a cluster admin"},
		{fmt.Errorf("Workflow/argo/x: %w", apierrors.NewNotFound(gr, "x")), "appflowc list"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "is the cluster running (kubectl cluster-info)?"},
		{&url.Error{Op: "Get", URL: "https://10.0.0.1:6443/api", Err: &net.DNSError{Err: "no such host", Name: "k8s.example.com"}}, "cannot reach the API server at https://10.0.0.1:6443"},
		{apierrors.NewForbidden(gr, "", errors.New(`User "bob" cannot list resource "workflows" in API group "argoproj.io" in the namespace "team"`)),
			"check with: kubectl auth can-i list workflows.argoproj.io -n team"},
		{fmt.Errorf("list: %w", &url.Error{Op: "Get", URL: "https://x/apis/argoproj.io/v1alpha1/namespaces/argo/workflows", Err: &apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}}),
			"install Argo Workflows (https://argo-workflows.readthedocs.io/en/latest/installation/), then run appflowc install"},
		{&apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "Application"}, "install Argo CD"},
		{&noKubeconfigError{paths: []string{"/home/x/.kube/config"}}, ""},
		{errors.New("kubeconfig: stat /nope: no such file or directory"), "point --kubeconfig"},
		{errors.New(`Get "https://x": tls: failed to verify certificate: x509: certificate signed by unknown authority`), "certificate-authority"},
		{errors.New("render: 3 errors"), ""},
		{fmt.Errorf("list: %w", context.DeadlineExceeded), "--request-timeout"},
		{apierrors.NewTooManyRequests("later", 3600), "try again later"},
		{fmt.Errorf("discover argoproj.io/v1alpha1: %w", apierrors.NewServiceUnavailable("not ready")), "503 Service Unavailable"},
		{fmt.Errorf("x: %w", &apply.RedirectError{Location: "http://elsewhere"}), "not at a proxy"},
	} {
		if got := nextStep(c.err); (c.want == "" && got != "") || !strings.Contains(got, c.want) {
			t.Errorf("nextStep(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestNotServedError: a kind the cluster does not serve reads as such, names the product,
// and is still a NotFound to the code that treats a missing resource as final (watches,
// the ui), through the url.Error client-go wraps it in.
func TestNotServedError(t *testing.T) {
	for _, c := range []struct {
		err  *apply.NotServedError
		want string
	}{
		{&apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}, "the cluster does not serve workflows.argoproj.io/v1alpha1 (Argo Workflows' CRDs are not installed)"},
		{&apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "Workflow"}, "the cluster does not serve Workflow (argoproj.io/v1alpha1) (Argo Workflows' CRDs are not installed)"},
		{&apply.NotServedError{Group: "argoproj.io", Version: "v1alpha1", Resource: "applicationsets"}, "the cluster does not serve applicationsets.argoproj.io/v1alpha1 (Argo CD's CRDs are not installed)"},
		{&apply.NotServedError{Group: "example.com", Version: "v1", Resource: "widgets"}, "the cluster does not serve widgets.example.com/v1"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
		if wrapped := fmt.Errorf("list: %w", &url.Error{Op: "Get", URL: "https://x", Err: c.err}); !apierrors.IsNotFound(wrapped) {
			t.Errorf("%v is not a NotFound", wrapped)
		}
	}
}
