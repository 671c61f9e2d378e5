package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/library"
)

// The applicationSets section: environments and the Git generator.

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
