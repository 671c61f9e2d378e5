package cli

import (
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/appflowc/appflowc/apply"
)

// nextStep says what to do about an error, or "" when there is nothing to add. Cluster
// errors are told apart by apply.Diagnose, the one classifier every cluster command's
// errors go through (Main prints its answer as "appflowc: next: …"); kubeconfig errors,
// which happen before any request, are told here.
func nextStep(err error) string {
	var noKC *noKubeconfigError
	switch {
	case errors.As(err, &noKC):
		return "" // its message says it: where appflowc looked, and KUBECONFIG or --kubeconfig
	case strings.HasPrefix(err.Error(), "kubeconfig"):
		return "point --kubeconfig at a kubeconfig file, or set KUBECONFIG; check --context (kubectl config get-contexts)"
	}
	if d := apply.Diagnose(err); d.Trouble != apply.TroubleOther {
		return d.Next
	}
	// A workflow that does not exist: the API server names the resource
	// (workflows.argoproj.io "x" not found), appflowc's errors the object (Workflow/ns/x).
	if msg := err.Error(); apierrors.IsNotFound(err) && (strings.Contains(msg, "workflows.argoproj.io") || strings.HasPrefix(msg, "Workflow/")) {
		return "list the workflows with appflowc list (-n NAMESPACE for another namespace)"
	}
	return ""
}
