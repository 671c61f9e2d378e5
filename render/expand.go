package render

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
)

// Expand predicts, offline, the Applications each ApplicationSet will generate: one per
// environment for the list generator, one per matching directory of a local checkout for
// the git directories generator. The shape mirrors the ApplicationSet that
// applicationset-create applies, so reviewers see what will appear on the cluster.
func Expand(cfg *config.Config) ([]Object, error) {
	var out []Object
	for _, a := range cfg.ApplicationSets {
		gens, err := generated(cfg, a)
		if err != nil {
			return nil, fmt.Errorf("expand applicationSets.%s: %w", a.Name, err)
		}
		for _, g := range gens {
			app := map[string]any{
				"apiVersion": "argoproj.io/v1alpha1",
				"kind":       "Application",
				"metadata": map[string]any{
					"name":      g.name,
					"namespace": cfg.Appflow.ArgoCDNamespace,
					"labels":    map[string]any{LabelManagedBy: ManagedBy, "appflowc.dev/applicationset": a.Name},
				},
				"spec": map[string]any{
					"project":     a.Project,
					"source":      g.source,
					"destination": g.destination,
					"syncPolicy":  syncPolicyMap(a.SyncPolicy),
				},
			}
			out = append(out, Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Application", Namespace: cfg.Appflow.ArgoCDNamespace,
				Name: g.name, Source: a.Pos, SourceRel: cfg.Tree.RelPath(a.Pos.File), Entry: "applicationSets." + a.Name,
				Preview: true, Owner: a.Name, Obj: app})
		}
	}
	return out, nil
}

type genApp struct {
	name        string
	source      map[string]any
	destination map[string]any
}

func syncPolicyMap(sp config.SyncPolicy) map[string]any {
	m := map[string]any{}
	if sp.Automated {
		auto := map[string]any{}
		if sp.Prune {
			auto["prune"] = true
		}
		if sp.SelfHeal {
			auto["selfHeal"] = true
		}
		m["automated"] = auto
	}
	if sp.CreateNamespace {
		m["syncOptions"] = []any{"CreateNamespace=true"}
	}
	return m
}

func generated(cfg *config.Config, a *config.ApplicationSet) ([]genApp, error) {
	var out []genApp
	if a.Generator == "list" {
		for _, e := range a.Environments {
			src := map[string]any{"repoURL": a.Source.RepoURL, "targetRevision": a.Source.TargetRevision}
			if a.Source.Chart != "" {
				src["chart"] = a.Source.Chart
			} else {
				src["path"] = a.Source.Path
			}
			vf := make([]any, 0, len(e.ValueFiles))
			for _, f := range e.ValueFiles {
				vf = append(vf, f)
			}
			params := make([]any, 0, len(e.Parameters))
			for _, p := range e.Parameters {
				params = append(params, map[string]any{"name": p.Name, "value": p.Value})
			}
			src["helm"] = map[string]any{"valueFiles": vf, "parameters": params}
			dest := map[string]any{"namespace": e.Namespace}
			if strings.HasPrefix(e.Cluster, "https://") {
				dest["server"] = e.Cluster
			} else {
				dest["name"] = e.Cluster
			}
			out = append(out, genApp{name: a.Name + "-" + e.Name, source: src, destination: dest})
		}
		return out, nil
	}
	if a.Git == nil || a.Git.Checkout == "" {
		return nil, nil // nothing to list offline; render says so in its summary
	}
	// The checkout is relative to the config file that names it, and read, as the config
	// is, inside the config root (a checkout is part of the untrusted input).
	checkout, err := cfg.Tree.Sub(a.Pos.File, a.Git.Checkout)
	if err != nil {
		return nil, diag.List{{Pos: a.Pos, Path: "applicationSets." + a.Name + ".git.checkout", Msg: "cannot read the checkout: " + err.Error(),
			Hint: "name a directory inside the config root"}}
	}
	dirs, err := matchDirs(checkout, a.Git.Directories)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		base := basenameNormalized(d)
		out = append(out, genApp{
			name:        a.Name + "-" + base,
			source:      map[string]any{"repoURL": a.Source.RepoURL, "path": d, "targetRevision": a.Source.TargetRevision},
			destination: map[string]any{"server": inClusterServer, "namespace": base},
		})
	}
	return out, nil
}

// basenameNormalized follows Argo CD's path.basenameNormalized: characters other than
// letters, digits and '-' become '-'.
func basenameNormalized(p string) string {
	return notNameChar.ReplaceAllString(path.Base(p), "-")
}

var notNameChar = regexp.MustCompile(`[^a-zA-Z0-9-]`)

func matchDirs(fsys fs.FS, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		ms, err := fs.Glob(fsys, pat)
		if err != nil {
			return nil, fmt.Errorf("directory pattern %q: %w", pat, err)
		}
		for _, m := range ms {
			if st, err := fs.Stat(fsys, m); err == nil && st.IsDir() && !seen[m] && path.Base(m)[0] != '.' {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
