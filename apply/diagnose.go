package apply

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Trouble is what went wrong talking to a cluster, told apart by what the user must do
// about it: the same "connection refused" and "the server could not find the requested
// resource" call for different next steps.
type Trouble int

const (
	TroubleOther      Trouble = iota // not a cluster error appflowc can say more about
	Unreachable                      // connection refused, DNS, no route: nothing answers
	TLSUntrusted                     // something answers, but its certificate is not trusted
	TimedOut                         // the API server did not answer within --request-timeout
	Unauthorized                     // 401: the credentials were refused
	Forbidden                        // 403: the caller lacks an RBAC right
	WorkflowsMissing                 // Argo Workflows' CRDs are not served
	ArgoCDMissing                    // Argo CD's CRDs are not served
	CRDMissing                       // another kind is not served
	Overloaded                       // 429 with a Retry-After longer than a request may take
	Unavailable                      // 503: the API server (or an API it aggregates) is not ready
	Redirected                       // the API server redirected (not followed)
	NotAPIServer                     // what answered is not a Kubernetes API server
	ClientCertRefused                // the API server refused the client certificate
)

// Argo's install guides, named in next steps.
const (
	ArgoWorkflowsInstallURL = "https://argo-workflows.readthedocs.io/en/latest/installation/"
	ArgoCDInstallURL        = "https://argo-cd.readthedocs.io/en/stable/getting_started/"
)

// NotServedError is a request for a kind the cluster does not serve (its CRD is not
// installed). It is a NotFound to apierrors.IsNotFound, as the API server's 404 was, so
// callers that treat a missing resource as final (watches, the ui) still do.
type NotServedError struct {
	Group, Version, Resource string // Resource or Kind, as known where it was found
}

func (e *NotServedError) Error() string {
	gv := strings.Trim(e.Group+"/"+e.Version, "/")
	what := e.Resource + "." + gv // a resource, as in a path: workflows.argoproj.io/v1alpha1
	if e.Resource != "" && unicode.IsUpper(rune(e.Resource[0])) {
		what = e.Resource + " (" + gv + ")" // a kind, as in a manifest: Workflow (argoproj.io/v1alpha1)
	}
	msg := "the cluster does not serve " + what
	switch troubleOfGroup(e.Group, e.Resource) {
	case WorkflowsMissing:
		msg += " (Argo Workflows' CRDs are not installed)"
	case ArgoCDMissing:
		msg += " (Argo CD's CRDs are not installed)"
	}
	return msg
}

// IsNotServed reports whether err is (or wraps) a NotServedError: check it before
// apierrors.IsNotFound where "no such object" and "no such kind" call for different
// answers.
func IsNotServed(err error) bool {
	var ns *NotServedError
	return errors.As(err, &ns)
}

// Status makes the error a NotFound to apierrors.IsNotFound.
func (e *NotServedError) Status() metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Code: 404, Reason: metav1.StatusReasonNotFound, Message: e.Error()}
}

// argoCDKinds are Argo CD's resources and kinds in the argoproj.io group it shares with
// Argo Workflows.
var argoCDKinds = map[string]bool{"applications": true, "applicationsets": true, "appprojects": true,
	"application": true, "applicationset": true, "appproject": true}

func troubleOfGroup(group, resource string) Trouble {
	switch {
	case group != "argoproj.io":
		return CRDMissing
	case argoCDKinds[strings.ToLower(resource)]:
		return ArgoCDMissing
	}
	return WorkflowsMissing
}

// Diagnosis is a cluster error's kind and what to do about it.
type Diagnosis struct {
	Trouble Trouble
	// Next is the next step, one line ("" for TroubleOther).
	Next string
}

// forbiddenRe reads the API server's 403 message ("User "alice" cannot list resource
// "workflows" in API group "argoproj.io" in the namespace "argo") for the can-i question.
var forbiddenRe = regexp.MustCompile(`cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?`)

// Diagnose tells a cluster error's kind and its next step. It is the one classifier of
// every command that talks to a cluster (the CLI prints its Next after the error;
// Preflight uses it for a cluster that does not answer). The order matters: a timeout is
// also a net.Error, an untrusted certificate also a url.Error.
func Diagnose(err error) Diagnosis {
	if err == nil {
		return Diagnosis{}
	}
	msg := err.Error()
	var ns *NotServedError
	var redirect *RedirectError
	var notAPI *NotAPIServerError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &redirect):
		return Diagnosis{Redirected, "point --kubeconfig (or --context) at the API server itself, not at a proxy that redirects"}
	case errors.As(err, &ns):
		return notServed(troubleOfGroup(ns.Group, ns.Resource))
	case errors.As(err, &notAPI):
		return Diagnosis{NotAPIServer, "the kubeconfig's server is not a Kubernetes API server (a web server or proxy answered): check the server URL of --context (kubectl config view --minify)"}
	case apierrors.IsTooManyRequests(err):
		return Diagnosis{Overloaded, "the API server is overloaded and asked to come back later (appflowc does not wait longer than --request-timeout): try again later"}
	case apierrors.IsServiceUnavailable(err):
		return Diagnosis{Unavailable, "the API server answered 503 Service Unavailable (starting, or an API it aggregates is down): try again in a moment; if it persists, kubectl get --raw '/readyz?verbose' and kubectl get apiservices"}
	case apierrors.IsUnauthorized(err):
		return Diagnosis{Unauthorized, "the cluster refused your credentials (401): log in again or refresh the kubeconfig's token, or pick another --context (kubectl auth whoami shows who you are)"}
	case apierrors.IsForbidden(err):
		ask := "kubectl auth can-i --list"
		// The parts come from the server's message: only names a Kubernetes object can
		// have make the suggested command, so that it is one a user can paste.
		if m := forbiddenRe.FindStringSubmatch(msg); m != nil && verbRe.MatchString(m[1]) && resourceRe.MatchString(m[2]) &&
			(m[3] == "" || len(validation.IsDNS1123Subdomain(m[3])) == 0) && (m[4] == "" || len(validation.IsDNS1123Label(m[4])) == 0) {
			res := m[2]
			if m[3] != "" {
				res += "." + m[3]
			}
			ask = "kubectl auth can-i " + m[1] + " " + res
			if m[4] != "" {
				ask += " -n " + m[4]
			}
		}
		return Diagnosis{Forbidden, "your user lacks an RBAC right (check with: " + ask + "): ask a cluster admin for a Role granting it, or use a --context with more rights"}
	case isAPIStatus(err):
		// The API server answered (a 500 of a failing webhook, a 504 of etcd): the words
		// in its message ("connection refused", "x509:") are about something behind it.
		return Diagnosis{}
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout exceeded") || isTimeout(err):
		return Diagnosis{TimedOut, "the API server did not answer within --request-timeout: is the cluster running (kubectl cluster-info)? Or allow more (--request-timeout 2m, or requestTimeout: in ~/.config/appflowc/config.yaml)"}
	case strings.Contains(msg, "remote error: tls:"):
		// A TLS alert from the server: it refused what we sent, the client certificate.
		return Diagnosis{ClientCertRefused, "the API server refused your client certificate (expired, or not signed by a CA it trusts): renew it or log in again, or pick another --context (kubectl config view --minify)"}
	case errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &certInvalid) ||
		strings.Contains(msg, "x509:") || strings.Contains(msg, "tls: ") || strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return Diagnosis{TLSUntrusted, "the TLS connection to the API server failed (its certificate is not trusted for this address, or it does not speak TLS): check the kubeconfig's server URL and certificate-authority (kubectl cluster-info)"}
	case errors.As(err, &dnsErr) || errors.As(err, &opErr) || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "no such host") || strings.Contains(msg, "no route to host") || strings.Contains(msg, "connection reset"):
		where := "the API server"
		var ue *url.Error
		if errors.As(err, &ue) {
			if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
				where += " at " + u.Scheme + "://" + u.Host
			}
		}
		return Diagnosis{Unreachable, "cannot reach " + where + ": is the cluster running (kubectl cluster-info)? Check --kubeconfig and --context"}
	}
	return Diagnosis{}
}

func notServed(t Trouble) Diagnosis {
	switch t {
	case WorkflowsMissing:
		return Diagnosis{t, "install Argo Workflows (" + ArgoWorkflowsInstallURL + "), then run appflowc install"}
	case ArgoCDMissing:
		return Diagnosis{t, "install Argo CD (" + ArgoCDInstallURL + "), or set appflow.argocdNamespace to where it runs"}
	}
	return Diagnosis{t, "install the CRD that defines it"}
}

// isAPIStatus reports whether err is an answer of the API server (a Status), as opposed
// to a transport error.
func isAPIStatus(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st)
}

// verbRe and resourceRe are what a verb and a resource (with a subresource) of an RBAC
// rule look like.
var (
	verbRe     = regexp.MustCompile(`^[a-z]+$`)
	resourceRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[a-z]+)?$`)
)

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// notServedByMapping turns the REST mapper's "no match" for gk into a NotServedError when
// the server confirms it, asked for gk's group version directly. The mapper answers "no
// match" also when the discovery of that group failed (an unreachable cluster, or a 503
// for one group while the others answer): that is no verdict on the CRDs, and the
// discovery error is returned instead.
func (c *Client) notServedByMapping(ctx context.Context, gk schema.GroupKind, version string) error {
	gv := schema.GroupVersion{Group: gk.Group, Version: version}.String()
	list, err := c.dc.ServerResourcesForGroupVersionWithContext(ctx, gv)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("discover %s: %w", gv, err)
	default:
		for _, r := range list.APIResources {
			if r.Kind == gk.Kind {
				// Served after all: the mapper's view was stale; asking again will do.
				return fmt.Errorf("discover %s: the API server serves %s, but did not a moment ago; try again", gv, gk.Kind)
			}
		}
	}
	return &NotServedError{Group: gk.Group, Version: version, Resource: gk.Kind}
}
