package config

import (
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	yaml "go.yaml.in/yaml/v3"

	"github.com/appflowc/appflowc/library"
)

// The applications section: an Argo CD Application's source, destination and sync policy.

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
	if s == "" || strings.HasPrefix(s, "/") || slices.Contains(strings.Split(s, "/"), "..") || strings.ContainsAny(s, "\n\"{}") {
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
