package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/appflowc/appflowc/library"
	"github.com/appflowc/appflowc/policy"
)

// The appflow section (project settings, the library's images and resources) and patches.

func (d *decoder) patches(n *Node, p []string) []Patch {
	if n.Kind != List {
		d.errorf(n, p, "write a list: [{target: {kind: Workflow}, patch: \"...\"}]", "expected a list, found %s", n.display())
		return nil
	}
	var out []Patch
	for i, it := range n.Items {
		ip := append(append([]string(nil), p...), strconv.Itoa(i))
		if !d.fields(it, ip, "target", "patch") {
			continue
		}
		pt := Patch{Pos: it.Pos}
		if v := d.required(it, ip, "patch", "add the patch: a strategic-merge patch (YAML object) or JSON6902 operations (YAML list)"); v != nil {
			if s, ok := d.str(v, append(ip, "patch")); ok {
				pt.Patch = s
				var y yaml.Node
				if err := yaml.Unmarshal([]byte(s), &y); err != nil {
					d.errorf(v, append(ip, "patch"), "write the patch as YAML", "patch is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
				} else if len(y.Content) == 0 || (y.Content[0].Kind != yaml.MappingNode && y.Content[0].Kind != yaml.SequenceNode) {
					d.errorf(v, append(ip, "patch"), "a strategic-merge patch is a YAML object; JSON6902 is a list of operations", "patch must be a YAML object or list")
				}
			}
		}
		if t := it.Get("target"); t != nil {
			tp := append(ip, "target")
			if d.fields(t, tp, "group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector") {
				pt.Target = &PatchTarget{}
				for _, f := range []struct {
					key string
					dst *string
				}{{"group", &pt.Target.Group}, {"version", &pt.Target.Version}, {"kind", &pt.Target.Kind}, {"name", &pt.Target.Name},
					{"namespace", &pt.Target.Namespace}, {"labelSelector", &pt.Target.LabelSelector}, {"annotationSelector", &pt.Target.AnnotationSelector}} {
					if v := t.Get(f.key); v != nil {
						*f.dst, _ = d.str(v, append(tp, f.key))
					}
				}
			}
		}
		out = append(out, pt)
	}
	return out
}

func (d *decoder) appflow(n *Node) Appflow {
	a := Appflow{Namespace: DefaultNamespace, ArgoCDNamespace: DefaultArgoCDNamespace, ServiceAccount: DefaultServiceAccount,
		DestinationServer: DefaultDestinationServer, ActiveDeadlineSeconds: DefaultDeadlineSeconds, Images: Images{Shell: DefaultShellImage},
		TTL: TTL{AfterSuccess: DefaultTTLAfterSuccess, AfterFailure: DefaultTTLAfterFailure}, PodGC: DefaultPodGC, Resources: DefaultResources}
	if n == nil {
		return a
	}
	p := []string{"appflow"}
	if !d.fields(n, p, "namespace", "argocdNamespace", "serviceAccount", "destinationServer", "activeDeadlineSeconds", "images", "ttl", "podGC", "resources", "requireLimits") {
		return a
	}
	a.RequireLimits = d.boolean(n.Get("requireLimits"), append(p, "requireLimits"), false)
	for _, k := range []struct {
		key string
		dst *string
	}{{"namespace", &a.Namespace}, {"argocdNamespace", &a.ArgoCDNamespace}, {"serviceAccount", &a.ServiceAccount}} {
		if v := n.Get(k.key); v != nil {
			if s, ok := d.str(v, append(p, k.key)); ok {
				d.label(v, append(p, k.key), s, 63)
				*k.dst = s
			}
		}
	}
	if v := n.Get("destinationServer"); v != nil {
		if s, ok := d.str(v, append(p, "destinationServer")); ok {
			d.serverURL(v, append(p, "destinationServer"), s)
			a.DestinationServer = s
		}
	}
	if v := n.Get("activeDeadlineSeconds"); v != nil {
		if v.Kind != Int || v.Int < 60 || v.Int > 86400 {
			d.errorf(v, append(p, "activeDeadlineSeconds"), "use whole seconds between 60 and 86400", "invalid deadline %s", v.display())
		} else {
			a.ActiveDeadlineSeconds = v.Int
		}
	}
	if v := n.Get("ttl"); v != nil && d.fields(v, append(p, "ttl"), "afterSuccess", "afterFailure") {
		for _, k := range []struct {
			key string
			dst *int64
		}{{"afterSuccess", &a.TTL.AfterSuccess}, {"afterFailure", &a.TTL.AfterFailure}} {
			if s := v.Get(k.key); s != nil {
				if s.Kind != Int || s.Int < 0 || s.Int > maxTTL {
					d.errorf(s, append(p, "ttl", k.key), "use whole seconds between 0 and 31536000 (a year)", "invalid ttl %s", s.display())
				} else {
					*k.dst = s.Int
				}
			}
		}
	}
	if v := n.Get("podGC"); v != nil {
		if s, ok := d.str(v, append(p, "podGC")); ok {
			if !slices.Contains(podGCStrategies, s) {
				d.errorf(v, append(p, "podGC"), "use one of: "+strings.Join(podGCStrategies, ", "), "unknown podGC strategy %q", s)
			} else {
				a.PodGC = s
			}
		}
	}
	if v := n.Get("resources"); v != nil {
		d.resources(v, append(p, "resources"), &a)
	}
	if v := n.Get("images"); v != nil && d.fields(v, append(p, "images"), "shell") {
		if s := v.Get("shell"); s != nil {
			if img, ok := d.str(s, append(p, "images", "shell")); ok {
				d.image(s, append(p, "images", "shell"), img)
				a.Images.Shell = img
			}
		}
	}
	return a
}

func (d *decoder) image(n *Node, path []string, s string) {
	if v := policy.Image(s); v != nil {
		d.policyf(n, path, v.Hint, "%s", v.Msg)
	}
}

func (d *decoder) serverURL(n *Node, path []string, s string) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		d.errorf(n, path, "use the cluster API server's https:// URL, e.g. https://kubernetes.default.svc", "invalid server URL %q", s)
		return
	}
	d.libraryInput(n, path, library.Cluster, s)
}

// libraryInput requires of a value that becomes a parameter of a library template what
// that template's validate-inputs step requires of it when the workflow runs: the
// patterns are the library's own (library/inputs.go), so vet refuses what the run would.
func (d *decoder) libraryInput(n *Node, path []string, in library.Input, s string) {
	if !in.Accepts(s) {
		d.errorf(n, path, "use "+in.Says, "%q would be refused when the workflow runs", s)
	}
}

// podGCStrategies are Argo's podGC strategies.
var podGCStrategies = []string{"OnPodSuccess", "OnPodCompletion", "OnWorkflowSuccess", "OnWorkflowCompletion"}

// DefaultResources bound library pods unless appflow.resources says otherwise.
var DefaultResources = Resources{Requests: ResourceList{CPU: "50m", Memory: "32Mi"}, Limits: ResourceList{CPU: "200m", Memory: "64Mi"}}

// resources reads appflow.resources: requests and limits for every library pod, and
// per-template overrides under templates (merged over them).
func (d *decoder) resources(n *Node, p []string, a *Appflow) {
	if !d.fields(n, p, "requests", "limits", "templates") {
		return
	}
	a.Resources = d.bounds(n, p, DefaultResources)
	ts := n.Get("templates")
	if ts == nil || !d.fieldsAny(ts, append(p, "templates")) {
		return
	}
	for _, tf := range ts.SortedFields() {
		tp := append(p, "templates", tf.Key)
		if !slices.Contains(LibraryTemplates, tf.Key) {
			d.errorf(&Node{Pos: tf.KeyPos}, tp, "name one of the library's WorkflowTemplates: "+strings.Join(LibraryTemplates, ", "), "unknown template %q", tf.Key)
			continue
		}
		if !d.fields(tf.Value, tp, "requests", "limits") {
			continue
		}
		if a.TemplateResources == nil {
			a.TemplateResources = map[string]Resources{}
		}
		a.TemplateResources[tf.Key] = d.bounds(tf.Value, tp, a.Resources)
	}
}

// bounds reads requests and limits over base; each a Kubernetes quantity, no limit
// below its request.
func (d *decoder) bounds(n *Node, p []string, base Resources) Resources {
	r := base
	for _, side := range []struct {
		key string
		dst *ResourceList
	}{{"requests", &r.Requests}, {"limits", &r.Limits}} {
		v := n.Get(side.key)
		if v == nil || !d.fields(v, append(p, side.key), "cpu", "memory") {
			continue
		}
		for _, res := range []struct {
			key string
			dst *string
		}{{"cpu", &side.dst.CPU}, {"memory", &side.dst.Memory}} {
			q := v.Get(res.key)
			if q == nil {
				continue
			}
			s, ok := d.str(q, append(p, side.key, res.key))
			if !ok {
				continue
			}
			qty, err := resource.ParseQuantity(s)
			// The schema's #Quantity too: Kubernetes also reads 1e3, .5, +1 and 5., which
			// the published schema refuses.
			if err != nil || qty.Sign() <= 0 || !quantity().MatchString(s) {
				d.errorf(q, append(p, side.key, res.key), "use a Kubernetes quantity such as 100m or 0.5 (cpu), 64Mi or 1Gi (memory)", "invalid quantity %q", s)
				continue
			}
			*res.dst = s
		}
	}
	for _, res := range []string{"cpu", "memory"} {
		req, lim := r.Requests.CPU, r.Limits.CPU
		if res == "memory" {
			req, lim = r.Requests.Memory, r.Limits.Memory
		}
		rq, err1 := resource.ParseQuantity(req)
		lq, err2 := resource.ParseQuantity(lim)
		if err1 == nil && err2 == nil && lq.Cmp(rq) < 0 {
			at := n.Lookup("limits", res)
			if at == nil {
				at = n
			}
			d.errorf(at, append(p, "limits", res), fmt.Sprintf("raise the limit to at least the request (%s), or lower the request", req), "%s limit %s is below its request %s", res, lim, req)
		}
	}
	return r
}
