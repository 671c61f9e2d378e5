package cli

import (
	"context"
	"errors"
	"net"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/appflowc/appflowc/apply"
)

// nextStep says what to do about an error that talking to a cluster can produce, or ""
// when the error already says it (or is not of that kind).
func nextStep(err error) string {
	msg := err.Error()
	var opErr *net.OpError
	var redirect *apply.RedirectError
	switch {
	case errors.As(err, &redirect):
		return "point --kubeconfig (or --context) at the API server itself, not at a proxy that redirects"
	case apierrors.IsTooManyRequests(err):
		return "the API server is overloaded and asked to come back later (appflowc does not wait longer than --request-timeout): try again later"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout exceeded"):
		return "the API server did not answer within --request-timeout: check that it is up, or allow more (--request-timeout 2m, or requestTimeout: in ~/.config/appflowc/config.yaml)"
	case apierrors.IsUnauthorized(err):
		return "the cluster refused your credentials: log in again, or check the kubeconfig's user"
	case apierrors.IsForbidden(err):
		return "ask a cluster admin for the right, or use a --context with more rights"
	case apierrors.IsNotFound(err) && strings.Contains(msg, "workflows.argoproj.io"):
		return "list the workflows with appflowc list (-n NAMESPACE for another namespace)"
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate"):
		return "the cluster's certificate is not trusted: check the kubeconfig's certificate-authority"
	case strings.Contains(msg, "no configuration has been provided") || strings.HasPrefix(msg, "kubeconfig:"):
		return "point --kubeconfig at a kubeconfig file, or set KUBECONFIG"
	case errors.As(err, &opErr) || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "i/o timeout"):
		return "check --kubeconfig and --context, and that the API server is up"
	}
	return ""
}
