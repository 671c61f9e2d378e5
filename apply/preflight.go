package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/manifest"
)

// Problem is one pre-flight finding: what is wrong, and what to do about it.
type Problem struct {
	What string
	Fix  string
}

func (p Problem) String() string { return p.What + " (" + p.Fix + ")" }

// PreflightOptions configure Preflight. Each field names its flag.
type PreflightOptions struct {
	// Watch adds the rights --watch needs (list and watch Workflows, read pod logs).
	Watch bool
	// CheckSources probes every Helm repository and Git remote the Workflows deploy
	// from (--check-sources; needs the network).
	CheckSources bool
	// HTTP is the client for CheckSources (nil: http.DefaultClient).
	HTTP *http.Client
}

// templateNeeds lists the Argo CD kinds each library template creates.
var templateNeeds = map[string][]schema.GroupVersionKind{
	"application-create":    {{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"}},
	"applicationset-create": {{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationSet"}},
}

// Preflight checks, before anything is applied, what would otherwise fail halfway: the
// cluster answers; every kind is served (Argo's CRDs, and Argo CD's when the Workflows
// create Applications); every namespace and service account exists or is part of the
// apply; the caller may do each write the apply makes (SelfSubjectAccessReview), and
// holds every right the rendered RBAC grants (Kubernetes refuses to let anyone grant
// rights they lack). With CheckSources, chart repositories and Git remotes answer.
func (c *Client) Preflight(ctx context.Context, objs []manifest.Object, opts PreflightOptions) ([]Problem, error) {
	if _, err := c.dc.ServerVersionWithContext(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("discover the server's version: %w", err)
		}
		fix := Diagnose(err).Next
		if fix == "" {
			fix = "check --kubeconfig and --context, and that the API server is up (kubectl cluster-info)"
		}
		return []Problem{{What: "the cluster does not answer: " + err.Error(), Fix: fix}}, nil
	}
	var probs []Problem
	add := func(what, fix string) { probs = append(probs, Problem{What: what, Fix: fix}) }

	// Each object as JSON values, converted once: several checks below read fields.
	var todo []manifest.Object
	fields := map[int]map[string]any{}
	createdNS := map[string]bool{}
	createdSA := map[string]bool{}
	for _, o := range objs {
		if o.Preview {
			continue
		}
		fields[len(todo)] = objMap(o)
		todo = append(todo, o)
		switch o.Kind {
		case "Namespace":
			createdNS[o.Name] = true
		case "ServiceAccount":
			createdSA[o.Namespace+"/"+o.Name] = true
		}
	}

	// Kinds: each must be served, or nothing can be applied.
	mappings := map[string]*meta.RESTMapping{}
	needs := map[schema.GroupVersionKind]string{}
	for i, o := range todo {
		gv, err := schema.ParseGroupVersion(o.APIVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID(), err)
		}
		key := o.APIVersion + "/" + o.Kind
		if _, seen := mappings[key]; !seen {
			m, err := c.mapper.RESTMappingWithContext(ctx, schema.GroupKind{Group: gv.Group, Kind: o.Kind}, gv.Version)
			switch {
			case meta.IsNoMatchError(err):
				if err := c.servedOrUnreachable(ctx, gv.WithKind(o.Kind)); err != nil {
					return nil, err
				}
				add(fmt.Sprintf("the cluster does not serve %s (%s)", o.Kind, o.APIVersion), crdFix(gv.Group, o.Kind))
			case err != nil:
				return nil, fmt.Errorf("discover %s: %w", key, err)
			}
			mappings[key] = m
		}
		if o.Kind == "Workflow" {
			ref, _, _ := unstructured.NestedString(fields[i], "spec", "workflowTemplateRef", "name")
			for _, gvk := range templateNeeds[ref] {
				needs[gvk] = ref
			}
		}
	}
	for _, gvk := range sortedGVKs(needs) {
		if _, err := c.mapper.RESTMappingWithContext(ctx, gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
			if err := c.servedOrUnreachable(ctx, gvk); err != nil {
				return nil, err
			}
			add(fmt.Sprintf("Argo CD is not installed: %s workflows create %s objects, which the cluster does not serve", needs[gvk], gvk.Kind),
				notServed(ArgoCDMissing).Next)
		}
	}

	// Namespaces and service accounts the objects live in or run as.
	nsSeen := map[string]bool{}
	for _, o := range todo {
		if o.Namespace == "" || createdNS[o.Namespace] || nsSeen[o.Namespace] {
			continue
		}
		nsSeen[o.Namespace] = true
		if _, err := c.cs.CoreV1().Namespaces().Get(ctx, o.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			add(fmt.Sprintf("namespace %s does not exist and this apply does not create it", o.Namespace),
				fmt.Sprintf("create it (kubectl create namespace %s), or set appflow.namespace", o.Namespace))
		}
	}
	saSeen := map[string]bool{}
	for i, o := range todo {
		if o.Kind != "Workflow" && o.Kind != "WorkflowTemplate" {
			continue
		}
		sa, _, _ := unstructured.NestedString(fields[i], "spec", "serviceAccountName")
		key := o.Namespace + "/" + sa
		if sa == "" || createdSA[key] || saSeen[key] {
			continue
		}
		saSeen[key] = true
		if _, err := c.cs.CoreV1().ServiceAccounts(o.Namespace).Get(ctx, sa, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			add(fmt.Sprintf("service account %s/%s, which %s runs as, does not exist", o.Namespace, sa, o.ID()),
				"apply the RBAC too (appflowc install), or set appflow.serviceAccount to an existing one")
		}
	}

	// The caller's rights: each write apply makes, then each right the RBAC grants.
	user := c.whoAmI(ctx)
	type check struct {
		attr authzv1.ResourceAttributes
		why  string
	}
	var checks []check
	for i, o := range todo {
		m := mappings[o.APIVersion+"/"+o.Kind]
		if m == nil {
			continue
		}
		ns := o.Namespace
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			ns = ""
		}
		verbs := []string{"get", "create", "patch"}
		if o.Kind == "Workflow" {
			verbs = []string{"create"}
			if opts.Watch {
				verbs = append(verbs, "list", "watch")
			}
		}
		for _, v := range verbs {
			checks = append(checks, check{authzv1.ResourceAttributes{Namespace: ns, Verb: v, Group: m.Resource.Group, Resource: m.Resource.Resource}, "to apply " + o.ID()})
		}
		if o.Kind == "Role" || o.Kind == "ClusterRole" {
			rules, _, _ := unstructured.NestedSlice(fields[i], "rules")
			for _, r := range rules {
				rm, _ := r.(map[string]any)
				groups, _, _ := unstructured.NestedStringSlice(rm, "apiGroups")
				resources, _, _ := unstructured.NestedStringSlice(rm, "resources")
				verbs, _, _ := unstructured.NestedStringSlice(rm, "verbs")
				for _, g := range groups {
					for _, res := range resources {
						for _, v := range verbs {
							checks = append(checks, check{authzv1.ResourceAttributes{Namespace: ns, Verb: v, Group: g, Resource: res},
								fmt.Sprintf("which %s grants to the workflows (only rights you hold can be granted)", o.ID())})
						}
					}
				}
			}
		}
	}
	if opts.Watch {
		checks = append(checks, check{authzv1.ResourceAttributes{Namespace: workflowNamespace(todo), Verb: "get", Resource: "pods", Subresource: "log"}, "to stream step logs with --watch"})
	}
	// One review per distinct question, asked concurrently (a remote API server's
	// round trips would otherwise add up), reported in a stable order.
	asked := map[authzv1.ResourceAttributes]bool{}
	var unique []check
	for _, ch := range checks {
		if !asked[ch.attr] {
			asked[ch.attr] = true
			unique = append(unique, ch)
		}
	}
	allowed := make([]bool, len(unique))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, ch := range unique {
		g.Go(func() error {
			ok, err := c.can(gctx, ch.attr)
			allowed[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return probs, fmt.Errorf("access review: %w", err)
	}
	for i, ch := range unique {
		if !allowed[i] {
			add(fmt.Sprintf("%s may not %s %s", user, ch.attr.Verb, describe(ch.attr))+" "+ch.why,
				"ask a cluster admin for a Role granting it, or use a --context with more rights")
		}
	}

	if opts.CheckSources {
		probs = append(probs, checkSources(ctx, opts.HTTP, todo, fields)...)
	}
	return probs, nil
}

func objMap(o manifest.Object) map[string]any {
	m, err := manifest.ToMap(o.Obj)
	if err != nil {
		return nil
	}
	return m
}

func crdFix(group, kind string) string { return notServed(troubleOfGroup(group, kind)).Next }

// servedOrUnreachable returns nil when the mapper's "no match" for gvk is the cluster's
// answer, and the error when the cluster stopped answering since (a no match from a
// failed discovery is no verdict on the CRDs).
func (c *Client) servedOrUnreachable(ctx context.Context, gvk schema.GroupVersionKind) error {
	var ns *NotServedError
	if err := c.notServedByMapping(ctx, gvk.GroupKind(), gvk.Version); !errors.As(err, &ns) {
		return err
	}
	return nil
}

func sortedGVKs(m map[schema.GroupVersionKind]string) []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func workflowNamespace(objs []manifest.Object) string {
	for _, o := range objs {
		if o.Kind == "Workflow" {
			return o.Namespace
		}
	}
	return ""
}

func describe(a authzv1.ResourceAttributes) string {
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	if a.Group != "" {
		res += "." + a.Group
	}
	if a.Namespace == "" {
		return res + " (cluster-wide)"
	}
	return res + " in namespace " + a.Namespace
}

// can asks the API server whether the caller may do attr.
func (c *Client) can(ctx context.Context, attr authzv1.ResourceAttributes) (bool, error) {
	r, err := c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
		&authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attr}}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return r.Status.Allowed, nil
}

// whoAmI names the caller for messages ("user alice"); "you" when the server won't say.
func (c *Client) whoAmI(ctx context.Context) string {
	r, err := c.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || r.Status.UserInfo.Username == "" {
		return "you"
	}
	return "user " + r.Status.UserInfo.Username
}

// sources lists the (kind, repo, chart, revision) each Workflow deploys from.
type source struct{ kind, repo, chart, revision string }

func workflowSources(objs []manifest.Object, fields map[int]map[string]any) []source {
	seen := map[source]bool{}
	var out []source
	for i, o := range objs {
		if o.Kind != "Workflow" {
			continue
		}
		params, _, _ := unstructured.NestedSlice(fields[i], "spec", "arguments", "parameters")
		p := map[string]string{}
		for _, x := range params {
			if m, ok := x.(map[string]any); ok {
				p[str(m, "name")] = str(m, "value")
			}
		}
		if p["repo_url"] == "" {
			continue
		}
		s := source{kind: p["source_kind"], repo: p["repo_url"], chart: p["chart_path"], revision: p["target_revision"]}
		if s.kind == "" {
			s.kind = "chart"
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.repo+a.chart, b.repo+b.chart) })
	return out
}
