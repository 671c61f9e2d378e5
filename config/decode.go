package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/library"
	"github.com/appflowc/appflowc/policy"
)

// Defaults of the appflow settings; the CUE schema in cue/ declares the same (a test keeps them equal).
const (
	DefaultNamespace         = "argo"
	DefaultArgoCDNamespace   = "argocd"
	DefaultServiceAccount    = "argo-workflow-sa"
	DefaultDestinationServer = "https://kubernetes.default.svc"
	DefaultDeadlineSeconds   = 1800
	DefaultTTLAfterSuccess   = 3600   // an hour
	DefaultTTLAfterFailure   = 604800 // a week: failed runs are for debugging
	DefaultPodGC             = "OnPodSuccess"
	maxTTL                   = 31536000
	// DefaultShellImage is busybox 1.37.0, pinned by its published index digest.
	DefaultShellImage = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
)

// MaxEntryName bounds application, applicationSet and infra names so that every name
// derived from them (generateName plus Argo's 5-character suffix, label values,
// "<appset>-<env>" Applications) stays within Kubernetes' 63-character limit.
const MaxEntryName = 50

// Load reads, unifies and validates a config.
func Load(ctx context.Context, in Input) (*Config, error) {
	t, err := LoadTree(ctx, in)
	if err != nil {
		return nil, err
	}
	return Decode(t)
}

// Decode validates a tree and builds the Config. All problems are reported at once.
func Decode(t *Tree) (*Config, error) {
	c, errs := DecodeAll(t)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// DecodeAll is Decode for a caller that goes on to compile and validate what it can: with
// problems of the security policy only (an unpinned image, a template expression in a
// command), the Config is complete and comes back beside them, so that the later
// stages (Argo's validation above all) report in the same run. With any other problem
// the Config is nil.
func DecodeAll(t *Tree) (*Config, diag.List) {
	d := &decoder{}
	c := d.config(t.Root)
	if len(d.errs) > 0 {
		return nil, append(d.errs, d.policy...).Sort()
	}
	c.Tree = t
	if len(d.policy) > 0 {
		return c, d.policy.Sort()
	}
	return c, nil
}

type decoder struct {
	errs diag.List
	// policy holds the security policy's complaints: the value is well-formed, only
	// not allowed; compiling it harms nothing and shows what else is wrong.
	policy diag.List
}

// policyf reports a violation of the security policy (see decoder.policy).
func (d *decoder) policyf(n *Node, path []string, hint, format string, args ...any) {
	d.policy = append(d.policy, diagAt(n, path, hint, format, args...))
}

func (d *decoder) errorf(n *Node, path []string, hint, format string, args ...any) {
	d.errs = append(d.errs, diagAt(n, path, hint, format, args...))
}

func diagAt(n *Node, path []string, hint, format string, args ...any) diag.Diagnostic {
	pos := diag.Pos{}
	if n != nil {
		pos = n.Pos
	}
	return diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// fields checks that n is a struct whose keys are all in allowed, reporting unknown keys
// with the nearest allowed name. It returns false when n is not a struct.
func (d *decoder) fields(n *Node, path []string, allowed ...string) bool {
	if n.Kind != Map {
		d.errorf(n, path, "write a struct here", "expected a struct, found %s", n.display())
		return false
	}
	for _, f := range n.Fields {
		ok := false
		for _, a := range allowed {
			if f.Key == a {
				ok = true
				break
			}
		}
		if ok {
			continue
		}
		hint := "allowed fields: " + strings.Join(allowed, ", ")
		if s := Suggest(f.Key, allowed); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		d.errs = append(d.errs, diag.Diagnostic{Pos: f.KeyPos, Path: joinPath(append(path, f.Key)), Msg: "unknown field", Hint: hint})
	}
	return true
}

// required reports a missing field at the position of the struct that lacks it.
func (d *decoder) required(n *Node, path []string, key, hint string) *Node {
	v := n.Get(key)
	if v == nil {
		d.errorf(n, append(path, key), hint, "missing required field")
	}
	return v
}

func (d *decoder) str(n *Node, path []string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != String {
		d.errorf(n, path, "quote the value", "expected a string, found %s", n.display())
		return "", false
	}
	return n.Str, true
}

// scalarStr accepts strings, numbers and booleans (Helm parameters and ConfigMap data are
// strings on the cluster, and YAML users write `replicas: 2`).
func (d *decoder) scalarStr(n *Node, path []string) (string, bool) {
	switch n.Kind {
	case String:
		return n.Str, true
	case Int:
		return strconv.FormatInt(n.Int, 10), true
	case Float:
		return strconv.FormatFloat(n.Float, 'g', -1, 64), true
	case Bool:
		return strconv.FormatBool(n.Bool), true
	}
	d.errorf(n, path, "use a string, number or boolean", "expected a scalar, found %s", n.display())
	return "", false
}

func (d *decoder) boolean(n *Node, path []string, def bool) bool {
	if n == nil {
		return def
	}
	if n.Kind != Bool {
		d.errorf(n, path, "use true or false", "expected a boolean, found %s", n.display())
		return def
	}
	return n.Bool
}

func (d *decoder) strList(n *Node, path []string, check func(*Node, []string, string)) []string {
	if n == nil {
		return nil
	}
	if n.Kind != List {
		d.errorf(n, path, `write a list, e.g. ["a", "b"]`, "expected a list of strings, found %s", n.display())
		return nil
	}
	var out []string
	for i, it := range n.Items {
		p := append(path, strconv.Itoa(i))
		if s, ok := d.str(it, p); ok {
			if check != nil {
				check(it, p, s)
			}
			out = append(out, s)
		}
	}
	return out
}

// strMap decodes a struct of scalars into sorted pairs, checking each key.
func (d *decoder) strMap(n *Node, path []string, checkKey func(*Node, []string, string)) []KV {
	if n == nil || !d.fieldsAny(n, path) {
		return nil
	}
	var out []KV
	for _, f := range n.SortedFields() {
		p := append(path, f.Key)
		if checkKey != nil {
			checkKey(&Node{Pos: f.KeyPos}, p, f.Key)
		}
		if v, ok := d.scalarStr(f.Value, p); ok {
			out = append(out, KV{Name: f.Key, Value: v})
		}
	}
	return out
}

func (d *decoder) fieldsAny(n *Node, path []string) bool {
	if n.Kind != Map {
		d.errorf(n, path, "write a struct here", "expected a struct, found %s", n.display())
		return false
	}
	return true
}

// Patterns compile on first use: package init runs on every start, pre-commit hooks included.
var (
	chartName    = lazyRegexp(`^[a-z0-9]([-a-z0-9._]*[a-z0-9])?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$`)
	secretType   = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9./-]*$`)
	dnsLabel     = lazyRegexp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = lazyRegexp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	configKey    = lazyRegexp(`^[-._a-zA-Z0-9]+$`)
	envVarName   = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
	helmParam    = lazyRegexp(`^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$`)
	clusterName  = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)
	labelValue   = lazyRegexp(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	gitSSH       = lazyRegexp(`^git@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$`)
	bigInt       = lazyRegexp(`^[-+]?[0-9][0-9_]*$`)                       // YAML's integer syntax (decimal)
	radixInt     = lazyRegexp(`^[-+]?0(x[0-9a-fA-F_]+|o[0-7_]+|b[01_]+)$`) // YAML 1.2 hex, octal, binary
)

func (d *decoder) label(n *Node, path []string, s string, max int) {
	switch {
	case s == "":
		d.errorf(n, path, "use lower-case letters, digits and '-'", "must not be empty")
	case len(s) > max:
		d.errorf(n, path, fmt.Sprintf("shorten it to at most %d characters", max), "name %q is %d characters long", s, len(s))
	case !dnsLabel().MatchString(s):
		d.errorf(n, path, "use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)", "invalid name %q", s)
	}
}

func (d *decoder) subdomain(n *Node, path []string, s string) {
	switch {
	case len(s) > 253:
		d.errorf(n, path, "shorten it to at most 253 characters", "name is %d characters long", len(s))
	case !dnsSubdomain().MatchString(s):
		d.errorf(n, path, "use lower-case letters, digits, '-' and '.' (DNS-1123 subdomain)", "invalid name %q", s)
	}
}

func (d *decoder) config(root *Node) *Config {
	c := &Config{}
	if !d.fields(root, nil, "appflow", "applications", "applicationSets", "infra", "workflowTemplates", "externalTemplates", "pipelines", "patches") {
		return c
	}
	c.Appflow = d.appflow(root.Get("appflow"))
	if n := root.Get("applications"); n != nil && d.fieldsAny(n, []string{"applications"}) {
		for _, f := range n.SortedFields() {
			c.Applications = append(c.Applications, d.application(f, &c.Appflow))
		}
	}
	if n := root.Get("applicationSets"); n != nil && d.fieldsAny(n, []string{"applicationSets"}) {
		for _, f := range n.SortedFields() {
			c.ApplicationSets = append(c.ApplicationSets, d.applicationSet(f))
		}
	}
	if n := root.Get("infra"); n != nil && d.fieldsAny(n, []string{"infra"}) {
		for _, f := range n.SortedFields() {
			c.Infra = append(c.Infra, d.infra(f))
		}
	}
	if n := root.Get("workflowTemplates"); n != nil && d.fieldsAny(n, []string{"workflowTemplates"}) {
		for _, f := range n.SortedFields() {
			c.WorkflowTemplates = append(c.WorkflowTemplates, d.userTemplate(f, &c.Appflow))
		}
	}
	if n := root.Get("externalTemplates"); n != nil {
		d.externalTemplates(n, c)
	}
	if n := root.Get("pipelines"); n != nil && d.fieldsAny(n, []string{"pipelines"}) {
		for _, f := range n.SortedFields() {
			c.Pipelines = append(c.Pipelines, d.pipeline(f))
		}
	}
	if n := root.Get("patches"); n != nil {
		c.Patches = d.patches(n, []string{"patches"})
	}
	return c
}

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

func (d *decoder) entryName(f *Field, path []string) {
	d.label(&Node{Pos: f.KeyPos}, path, f.Key, MaxEntryName)
}

func (d *decoder) project(n *Node, path []string) string {
	v := n.Get("project")
	if v == nil {
		return "default"
	}
	s, ok := d.str(v, append(path, "project"))
	if ok {
		d.label(v, append(path, "project"), s, 63)
	}
	return s
}

func (d *decoder) application(f *Field, af *Appflow) *Application {
	p := []string{"applications", f.Key}
	a := &Application{Name: f.Key, Pos: f.KeyPos}
	d.entryName(f, p)
	n := f.Value
	if !d.fields(n, p, "project", "labels", "schedule", "source", "destination", "syncPolicy") {
		return a
	}
	a.Project = d.project(n, p)
	a.Labels = d.labels(n, p)
	if v := n.Get("schedule"); v != nil {
		a.Schedule = d.schedule(v, append(p, "schedule"))
	}
	if s := d.required(n, p, "source", "add source: {repoURL, chart or path, targetRevision}"); s != nil {
		a.Source = d.source(s, append(p, "source"), true)
	}
	if dst := d.required(n, p, "destination", "add destination: {namespace: ...} (server defaults to appflow.destinationServer)"); dst != nil {
		a.Destination = d.destination(dst, append(p, "destination"), af)
	}
	a.SyncPolicy = d.syncPolicy(n.Get("syncPolicy"), append(p, "syncPolicy"))
	return a
}

// source decodes a source; withHelm is false where Helm options come per environment.
func (d *decoder) source(n *Node, p []string, withHelm bool) Source {
	var s Source
	allowed := []string{"repoURL", "chart", "path", "targetRevision"}
	if withHelm {
		allowed = append(allowed, "helm")
	}
	if !d.fields(n, p, allowed...) {
		return s
	}
	if v := d.required(n, p, "repoURL", "add the Helm repository or Git URL: https://, oci://, git@host:path or ssh://"); v != nil {
		if r, ok := d.str(v, append(p, "repoURL")); ok {
			s.RepoURL = r
			d.repoURL(v, append(p, "repoURL"), r)
		}
	}
	chart, path := n.Get("chart"), n.Get("path")
	switch {
	case chart != nil && path != nil:
		d.errorf(path, append(p, "path"), "set chart for a Helm repository or path for a Git directory, not both", "chart and path are both set")
	case chart == nil && path == nil:
		d.errorf(n, append(p, "chart"), "set chart (Helm repository) or path (directory in a Git repository)", "missing required field")
	}
	if chart != nil {
		if c, ok := d.str(chart, append(p, "chart")); ok {
			s.Chart = c
			if !chartName().MatchString(c) {
				d.errorf(chart, append(p, "chart"), "use the chart name as in the repository index, e.g. nginx", "invalid chart name %q", c)
			}
			if strings.HasPrefix(s.RepoURL, "git@") || strings.HasPrefix(s.RepoURL, "ssh://") {
				d.errorf(chart, append(p, "chart"), "Helm charts come from an https:// or oci:// repository; for a chart in Git use path", "chart needs a Helm repository URL")
			}
		}
	}
	if path != nil {
		if pa, ok := d.str(path, append(p, "path")); ok {
			s.Path = pa
			d.relPath(path, append(p, "path"), pa)
		}
	}
	rev := n.Get("targetRevision")
	switch {
	case rev != nil:
		if r, ok := d.str(rev, append(p, "targetRevision")); ok {
			s.TargetRevision = r
			if chart != nil {
				if _, err := semver.NewConstraint(r); err != nil {
					d.errorf(rev, append(p, "targetRevision"), "use the chart version (e.g. 15.4.2) or a semver range (e.g. 15.x, >=15.0.0 <16.0.0)", "invalid chart version %q", r)
				} else {
					d.libraryInput(rev, append(p, "targetRevision"), library.Revision, r)
				}
			} else if !validRef(r) {
				d.errorf(rev, append(p, "targetRevision"), "use a branch, tag, commit SHA or HEAD", "invalid Git revision %q", r)
			} else {
				d.libraryInput(rev, append(p, "targetRevision"), library.Revision, r)
			}
		}
	case chart != nil:
		d.errorf(n, append(p, "targetRevision"), "pin the chart version, e.g. targetRevision: \"15.4.2\"", "missing required field")
	default:
		s.TargetRevision = "HEAD"
	}
	if withHelm {
		if h := n.Get("helm"); h != nil {
			s.Helm = d.helm(h, append(p, "helm"))
		}
	}
	return s
}

func (d *decoder) repoURL(n *Node, p []string, r string) {
	switch {
	case strings.HasPrefix(r, "http://"):
		d.errorf(n, p, "use https:// (plain http exposes credentials and content to tampering)", "insecure repository URL %q", r)
		return
	case gitSSH().MatchString(r):
		return
	}
	u, err := url.Parse(r)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "oci" && u.Scheme != "ssh") || strings.ContainsAny(r, " \t\n\"'{}") {
		d.errorf(n, p, "use https://, oci://, git@host:path or ssh:// URL", "invalid repository URL %q", r)
		return
	}
	d.libraryInput(n, p, library.URL, r)
}

// validRef follows git check-ref-format, plus full or short commit SHAs and HEAD.
func validRef(r string) bool {
	if r == "" || r == "@" || strings.HasPrefix(r, "-") || strings.HasSuffix(r, "/") || strings.HasSuffix(r, ".") ||
		strings.HasSuffix(r, ".lock") || strings.Contains(r, "..") || strings.Contains(r, "@{") || strings.Contains(r, "//") {
		return false
	}
	for _, c := range r {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\\"'{}$`", c) {
			return false
		}
	}
	return true
}

func (d *decoder) relPath(n *Node, p []string, s string) {
	if s == "" || strings.HasPrefix(s, "/") || s == ".." || strings.HasPrefix(s, "../") || strings.Contains(s, "/../") || strings.ContainsAny(s, "\n\"{}") {
		d.errorf(n, p, "use a path relative to the repository root, without '..'", "invalid path %q", s)
		return
	}
	d.libraryInput(n, p, library.Path, s)
}

func (d *decoder) helm(n *Node, p []string) Helm {
	var h Helm
	if !d.fields(n, p, "valueFiles", "parameters", "values") {
		return h
	}
	h.ValueFiles = d.strList(n.Get("valueFiles"), append(p, "valueFiles"), d.relPath)
	h.Parameters = d.strMap(n.Get("parameters"), append(p, "parameters"), d.helmParamName)
	if v := n.Get("values"); v != nil {
		if s, ok := d.str(v, append(p, "values")); ok {
			var m yaml.Node
			dec := yaml.NewDecoder(strings.NewReader(s))
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				err = nil
			}
			switch {
			case err != nil:
				d.errorf(v, append(p, "values"), "write the inline values as a YAML mapping", "values is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
			case len(m.Content) > 0 && m.Content[0].Kind != yaml.MappingNode:
				d.errorf(v, append(p, "values"), "write the inline values as a YAML mapping, e.g. \"replicaCount: 2\"", "values must be a YAML mapping")
			case moreDocuments(dec):
				// Helm reads the first document only: the rest would be dropped silently.
				d.errorf(v, append(p, "values"), "merge the documents into one mapping: Helm reads only the first", "values holds more than one YAML document")
			}
			h.Values = s
		}
	}
	return h
}

// moreDocuments reports whether dec holds another document with content (an empty
// trailing "---" is harmless) or one that does not parse.
func moreDocuments(dec *yaml.Decoder) bool {
	for {
		var n yaml.Node
		switch err := dec.Decode(&n); {
		case errors.Is(err, io.EOF):
			return false
		case err != nil:
			return true
		case len(n.Content) > 0 && n.Content[0].ShortTag() != "!!null":
			return true
		}
	}
}

func (d *decoder) helmParamName(n *Node, p []string, s string) {
	if !helmParam().MatchString(s) {
		d.errorf(n, p, "use a Helm value path such as image.tag or ingress.hosts[0]", "invalid Helm parameter name %q", s)
	}
}

func (d *decoder) destination(n *Node, p []string, af *Appflow) Destination {
	var ds Destination
	if !d.fields(n, p, "server", "name", "namespace") {
		return ds
	}
	server, name := n.Get("server"), n.Get("name")
	if server != nil && name != nil {
		d.errorf(name, append(p, "name"), "set server (API URL) or name (cluster registered in Argo CD), not both", "server and name are both set")
	}
	if server != nil {
		if s, ok := d.str(server, append(p, "server")); ok {
			d.serverURL(server, append(p, "server"), s)
			ds.Server = s
		}
	}
	if name != nil {
		if s, ok := d.str(name, append(p, "name")); ok {
			if !clusterName().MatchString(s) {
				d.errorf(name, append(p, "name"), "use the cluster name registered in Argo CD", "invalid cluster name %q", s)
			} else {
				d.libraryInput(name, append(p, "name"), library.Cluster, s)
			}
			ds.Name = s
		}
	}
	if server == nil && name == nil && af != nil {
		ds.Server = af.DestinationServer
	}
	if v := d.required(n, p, "namespace", "add the namespace the application deploys into"); v != nil {
		if s, ok := d.str(v, append(p, "namespace")); ok {
			d.label(v, append(p, "namespace"), s, 63)
			ds.Namespace = s
		}
	}
	return ds
}

func (d *decoder) syncPolicy(n *Node, p []string) SyncPolicy {
	var sp SyncPolicy
	if n == nil || !d.fields(n, p, "automated", "selfHeal", "prune", "createNamespace") {
		return sp
	}
	sp.Automated = d.boolean(n.Get("automated"), append(p, "automated"), false)
	sp.SelfHeal = d.boolean(n.Get("selfHeal"), append(p, "selfHeal"), false)
	sp.Prune = d.boolean(n.Get("prune"), append(p, "prune"), false)
	sp.CreateNamespace = d.boolean(n.Get("createNamespace"), append(p, "createNamespace"), false)
	for _, k := range []struct {
		key string
		on  bool
	}{{"selfHeal", sp.SelfHeal}, {"prune", sp.Prune}} {
		if k.on && !sp.Automated {
			d.errorf(n.Get(k.key), append(p, k.key), "set syncPolicy.automated: true, or remove "+k.key, "%s requires automated sync", k.key)
		}
	}
	return sp
}

func (d *decoder) applicationSet(f *Field) *ApplicationSet {
	p := []string{"applicationSets", f.Key}
	a := &ApplicationSet{Name: f.Key, Pos: f.KeyPos, Generator: "list", PreserveResourcesOnDeletion: true}
	d.entryName(f, p)
	n := f.Value
	if !d.fields(n, p, "project", "labels", "schedule", "source", "generator", "git", "environments", "syncPolicy", "preserveResourcesOnDeletion") {
		return a
	}
	a.Project = d.project(n, p)
	a.Labels = d.labels(n, p)
	if v := n.Get("schedule"); v != nil {
		a.Schedule = d.schedule(v, append(p, "schedule"))
	}
	if s := d.required(n, p, "source", "add source: {repoURL, chart or path, targetRevision}"); s != nil {
		a.Source = d.source(s, append(p, "source"), false)
	}
	if g := n.Get("generator"); g != nil {
		if s, ok := d.str(g, append(p, "generator")); ok {
			if s != "list" && s != "git" {
				d.errorf(g, append(p, "generator"), `use "list" (one Application per environment) or "git"`, "unknown generator %q", s)
			}
			a.Generator = s
		}
	}
	git := n.Get("git")
	switch {
	case a.Generator == "git" && git == nil:
		d.errorf(n, append(p, "git"), "add git: {repoURL, revision, directories or files}", "missing required field for generator \"git\"")
	case a.Generator != "git" && git != nil:
		d.errorf(git, append(p, "git"), `set generator: "git", or remove git`, "git is only used by the git generator")
	case git != nil:
		a.Git = d.gitGen(git, append(p, "git"))
	}
	envs := n.Get("environments")
	if envs == nil && a.Generator == "list" {
		d.errorf(n, append(p, "environments"), "add environments: [{name, cluster, namespace}, ...]", "missing required field")
	}
	if envs != nil {
		a.Environments = d.environments(envs, append(p, "environments"), f.Key, a.Generator == "list")
	}
	a.SyncPolicy = d.syncPolicy(n.Get("syncPolicy"), append(p, "syncPolicy"))
	a.PreserveResourcesOnDeletion = d.boolean(n.Get("preserveResourcesOnDeletion"), append(p, "preserveResourcesOnDeletion"), true)
	return a
}

func (d *decoder) gitGen(n *Node, p []string) *GitGenerator {
	g := &GitGenerator{Revision: "HEAD"}
	if !d.fields(n, p, "repoURL", "revision", "directories", "files", "checkout") {
		return g
	}
	if v := d.required(n, p, "repoURL", "add the Git repository URL"); v != nil {
		if s, ok := d.str(v, append(p, "repoURL")); ok {
			d.repoURL(v, append(p, "repoURL"), s)
			g.RepoURL = s
		}
	}
	if v := n.Get("revision"); v != nil {
		if s, ok := d.str(v, append(p, "revision")); ok {
			if !validRef(s) {
				d.errorf(v, append(p, "revision"), "use a branch, tag, commit SHA or HEAD", "invalid Git revision %q", s)
			}
			g.Revision = s
		}
	}
	g.Directories = d.strList(n.Get("directories"), append(p, "directories"), d.globPath)
	g.Files = d.strList(n.Get("files"), append(p, "files"), d.globPath)
	if len(g.Directories) == 0 && len(g.Files) == 0 {
		d.errorf(n, append(p, "directories"), "list directory globs (e.g. [\"envs/*\"]) or files (e.g. [\"envs/*/config.json\"])", "the git generator needs directories or files")
	}
	if v := n.Get("checkout"); v != nil {
		g.Checkout, _ = d.str(v, append(p, "checkout"))
		if strings.HasPrefix(g.Checkout, "/") {
			// Relative paths are confined to the config root when read (Tree.Sub).
			d.errorf(v, append(p, "checkout"), "use a path relative to the config file, inside the config root (render --root DIR widens it)",
				"checkout %q is an absolute path", g.Checkout)
		}
	}
	return g
}

func (d *decoder) globPath(n *Node, p []string, s string) {
	if s == "" || strings.HasPrefix(s, "/") || strings.Contains(s, "..") || strings.ContainsAny(s, "\n\"{}") {
		d.errorf(n, p, "use a glob relative to the repository root, e.g. envs/*", "invalid path pattern %q", s)
	}
}

func (d *decoder) environments(n *Node, p []string, appset string, needOne bool) []Environment {
	if n.Kind != List {
		d.errorf(n, p, "write a list: [{name, cluster, namespace}, ...]", "expected a list, found %s", n.display())
		return nil
	}
	if len(n.Items) == 0 && needOne {
		d.errorf(n, p, "add at least one environment", "empty list")
	}
	seen := map[string]*Node{}
	var out []Environment
	for i, it := range n.Items {
		ep := append(append([]string(nil), p...), strconv.Itoa(i))
		var e Environment
		if !d.fields(it, ep, "name", "cluster", "namespace", "valueFiles", "parameters") {
			continue
		}
		if v := d.required(it, ep, "name", "name the environment, e.g. dev"); v != nil {
			if s, ok := d.str(v, append(ep, "name")); ok {
				e.Name = s
				d.label(v, append(ep, "name"), s, 63-len(appset)-1)
				if prev, dup := seen[s]; dup {
					d.errs = append(d.errs, diag.Diagnostic{Pos: v.Pos, Path: joinPath(append(ep, "name")), Msg: fmt.Sprintf("duplicate environment name %q", s),
						Hint: fmt.Sprintf("already used at %s; environment names must be unique", prev.Pos), Related: []diag.Pos{prev.Pos}})
				} else {
					seen[s] = v
				}
			}
		}
		if v := d.required(it, ep, "cluster", "set the cluster's API URL (https://...) or its Argo CD cluster name"); v != nil {
			if s, ok := d.str(v, append(ep, "cluster")); ok {
				e.Cluster = s
				if strings.Contains(s, "://") {
					d.serverURL(v, append(ep, "cluster"), s)
				} else if !clusterName().MatchString(s) {
					d.errorf(v, append(ep, "cluster"), "use an https:// API URL or the cluster name registered in Argo CD", "invalid cluster %q", s)
				} else {
					d.libraryInput(v, append(ep, "cluster"), library.Cluster, s)
				}
			}
		}
		if v := d.required(it, ep, "namespace", "add the namespace to deploy into"); v != nil {
			if s, ok := d.str(v, append(ep, "namespace")); ok {
				d.label(v, append(ep, "namespace"), s, 63)
				e.Namespace = s
			}
		}
		e.ValueFiles = d.strList(it.Get("valueFiles"), append(ep, "valueFiles"), d.relPath)
		e.Parameters = d.strMap(it.Get("parameters"), append(ep, "parameters"), d.helmParamName)
		out = append(out, e)
	}
	return out
}

func (d *decoder) infra(f *Field) *Infra {
	p := []string{"infra", f.Key}
	in := &Infra{Name: f.Key, Pos: f.KeyPos}
	d.entryName(f, p)
	n := f.Value
	if !d.fields(n, p, "namespace", "labels", "schedule", "configMaps", "secrets", "scripts") {
		return in
	}
	if v := n.Get("schedule"); v != nil {
		in.Schedule = d.schedule(v, append(p, "schedule"))
	}
	if v := d.required(n, p, "namespace", "name the namespace to provision"); v != nil {
		if s, ok := d.str(v, append(p, "namespace")); ok {
			d.label(v, append(p, "namespace"), s, 63)
			in.Namespace = s
		}
	}
	in.Labels = d.labels(n, p)
	if cms := n.Get("configMaps"); cms != nil && d.fieldsAny(cms, append(p, "configMaps")) {
		for _, cf := range cms.SortedFields() {
			cp := append(p, "configMaps", cf.Key)
			d.subdomain(&Node{Pos: cf.KeyPos}, cp, cf.Key)
			in.ConfigMaps = append(in.ConfigMaps, ConfigMap{Name: cf.Key, Data: d.strMap(cf.Value, cp, d.configKey)})
		}
	}
	if secs := n.Get("secrets"); secs != nil && d.fieldsAny(secs, append(p, "secrets")) {
		for _, sf := range secs.SortedFields() {
			in.Secrets = append(in.Secrets, d.secret(sf, append(p, "secrets", sf.Key)))
		}
	}
	if sc := n.Get("scripts"); sc != nil {
		if sc.Kind != List {
			d.errorf(sc, append(p, "scripts"), "write a list: [{name, image, command}, ...]", "expected a list, found %s", sc.display())
		} else {
			seen := map[string]bool{}
			for i, it := range sc.Items {
				s := d.script(it, append(p, "scripts", strconv.Itoa(i)))
				if seen[s.Name] && s.Name != "" {
					d.errorf(it.Get("name"), append(p, "scripts", strconv.Itoa(i), "name"), "script names must be unique", "duplicate script name %q", s.Name)
				}
				seen[s.Name] = true
				in.Scripts = append(in.Scripts, s)
			}
		}
	}
	return in
}

// labels decodes an entry's labels: Kubernetes label syntax, and none of the keys
// appflowc or Argo set themselves (they select what appflowc manages).
func (d *decoder) labels(n *Node, p []string) []KV {
	kvs := d.strMap(n.Get("labels"), append(p, "labels"), d.labelKey)
	for _, l := range kvs {
		at := n.Lookup("labels", l.Name)
		if !labelValue().MatchString(l.Value) || len(l.Value) > 63 {
			d.errorf(at, append(p, "labels", l.Name), "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", "invalid label value %q", l.Value)
		}
		if reservedLabel(l.Name) {
			d.errorf(at, append(p, "labels", l.Name), "appflowc and Argo set this label themselves; choose a key of your own, e.g. team", "reserved label key %q", l.Name)
		}
	}
	return kvs
}

// reservedLabel: keys appflowc and Argo Workflows put on what they create.
func reservedLabel(k string) bool {
	return k == "app.kubernetes.io/managed-by" || strings.HasPrefix(k, "appflowc.dev/") || strings.HasPrefix(k, "workflows.argoproj.io/")
}

func (d *decoder) labelKey(n *Node, p []string, s string) {
	name := s
	if i := strings.LastIndex(s, "/"); i >= 0 {
		if !dnsSubdomain().MatchString(s[:i]) {
			d.errorf(n, p, "the prefix before '/' must be a DNS subdomain", "invalid label key %q", s)
			return
		}
		name = s[i+1:]
	}
	if len(name) == 0 || len(name) > 63 || !labelValue().MatchString(name) {
		d.errorf(n, p, "use at most 63 letters, digits, '-', '_' or '.', optionally prefixed by a DNS subdomain and '/'", "invalid label key %q", s)
	}
}

func (d *decoder) configKey(n *Node, p []string, s string) {
	if !configKey().MatchString(s) || len(s) > 253 {
		d.errorf(n, p, "use letters, digits, '-', '_' or '.'", "invalid ConfigMap key %q", s)
	}
}

func (d *decoder) secret(f *Field, p []string) SecretRef {
	s := SecretRef{Name: f.Key, Type: "Opaque"}
	d.subdomain(&Node{Pos: f.KeyPos}, p, f.Key)
	n := f.Value
	for _, bad := range []string{"data", "stringData", "value", "values"} {
		if v := n.Get(bad); v != nil {
			d.errorf(v, append(p, bad), "reference the value instead: keys: {KEY: {fromEnv: VAR}} or {fromFile: path}; appflowc reads it at apply time", "secret values must not be written in a config")
		}
	}
	if !d.fields(n, p, "type", "keys", "data", "stringData", "value", "values") {
		return s
	}
	if v := n.Get("type"); v != nil {
		if t, ok := d.str(v, append(p, "type")); ok {
			s.Type = t
			if !secretType().MatchString(t) {
				d.errorf(v, append(p, "type"), "use a Secret type such as Opaque or kubernetes.io/tls", "invalid Secret type %q", t)
			}
		}
	}
	keys := d.required(n, p, "keys", "declare each key and where its value comes from: keys: {password: {fromEnv: DB_PASSWORD}}")
	if keys == nil || !d.fieldsAny(keys, append(p, "keys")) {
		return s
	}
	if len(keys.Fields) == 0 {
		d.errorf(keys, append(p, "keys"), "declare at least one key", "no keys")
	}
	for _, kf := range keys.SortedFields() {
		kp := append(p, "keys", kf.Key)
		d.configKey(&Node{Pos: kf.KeyPos}, kp, kf.Key)
		k := SecretKey{Key: kf.Key}
		if !d.fields(kf.Value, kp, "fromEnv", "fromFile") {
			continue
		}
		env, file := kf.Value.Get("fromEnv"), kf.Value.Get("fromFile")
		switch {
		case env != nil && file != nil:
			d.errorf(file, append(kp, "fromFile"), "set fromEnv or fromFile, not both", "two sources for one key")
		case env == nil && file == nil:
			d.errorf(kf.Value, append(kp, "fromEnv"), "set fromEnv: VAR (an environment variable) or fromFile: path (a file on the operator's machine)", "missing value source")
		}
		if env != nil {
			if v, ok := d.str(env, append(kp, "fromEnv")); ok {
				if !envVarName().MatchString(v) {
					d.errorf(env, append(kp, "fromEnv"), "use an environment variable name such as DB_PASSWORD", "invalid environment variable name %q", v)
				}
				k.FromEnv = v
			}
		}
		if file != nil {
			if v, ok := d.str(file, append(kp, "fromFile")); ok {
				if !relativeInside(v) {
					d.errorf(file, append(kp, "fromFile"), "use a path relative to the config directory, without '..' (apply --secrets-dir DIR reads them from DIR instead)",
						"fromFile %q leaves the config directory", v)
				}
				k.FromFile = v
			}
		}
		s.Keys = append(s.Keys, k)
	}
	return s
}

// relativeInside reports whether p is a slash path that stays inside the directory it is
// relative to: not absolute, no ".." element, nothing empty.
func relativeInside(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsRune(p, '\\') {
		return false
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return false
		}
	}
	return true
}

func (d *decoder) script(n *Node, p []string) Script {
	var s Script
	if !d.fields(n, p, "name", "image", "command", "args", "env") {
		return s
	}
	if v := d.required(n, p, "name", "name the script step"); v != nil {
		if x, ok := d.str(v, append(p, "name")); ok {
			d.label(v, append(p, "name"), x, 63)
			s.Name = x
		}
	}
	if v := d.required(n, p, "image", "set a pinned image: registry/repo:tag@sha256:<digest>"); v != nil {
		if x, ok := d.str(v, append(p, "image")); ok {
			d.image(v, append(p, "image"), x)
			s.Image = x
		}
	}
	noTemplate := func(n *Node, p []string, x string) {
		if strings.Contains(x, "{{") {
			d.policyf(n, p, "pass values through env (e.g. env: {TARGET: \"...\"}) and read $TARGET in the script", "Argo template expression in a command or argument would be spliced into the process arguments")
		}
	}
	if n.Get("command") == nil {
		d.errorf(n, append(p, "command"), "set the command to run, e.g. [\"sh\", \"-c\", \"...\"]", "missing required field")
	}
	s.Command = d.strList(n.Get("command"), append(p, "command"), noTemplate)
	s.Args = d.strList(n.Get("args"), append(p, "args"), noTemplate)
	s.Env = d.strMap(n.Get("env"), append(p, "env"), func(n *Node, p []string, k string) {
		if !envVarName().MatchString(k) {
			d.errorf(n, p, "use an environment variable name such as TARGET", "invalid environment variable name %q", k)
		}
	})
	return s
}

func lazyRegexp(p string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(p) })
}

// suggest returns the allowed name closest to s, when it is close enough to be a typo.
// Suggest is the allowed name nearest to s (case-insensitive edit distance), or "" when
// none is close: the "did you mean" of every unknown-name message.
func Suggest(s string, allowed []string) string {
	best, bestD := "", 1<<30
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a
		}
		if dd := levenshtein(strings.ToLower(s), strings.ToLower(a)); dd < bestD {
			best, bestD = a, dd
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
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
			if err != nil || qty.Sign() <= 0 {
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
