// Package benchgen writes synthetic configs for benchmarks (make bench and the Go
// benchmarks of the hot paths), and the equivalent CUE model that `cue export` evaluates
// as the reference.
package benchgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// perFile is how many entries one generated file holds: configs in the field are spread
// over many files, and loading is part of what is measured.
const perFile = 50

// entry is one generated config entry: ~80% Applications, ~10% ApplicationSets of three
// environments, ~10% infra.
type entry struct {
	kind string // "app", "appset" or "infra"
	name string
	team int
}

func entries(n int) []entry {
	out := make([]entry, n)
	for i := range out {
		e := entry{kind: "app", name: fmt.Sprintf("svc-%05d", i), team: i % 37}
		switch i % 10 {
		case 3:
			e.kind, e.name = "appset", fmt.Sprintf("set-%05d", i)
		case 7:
			e.kind, e.name = "infra", fmt.Sprintf("infra-%05d", i)
		}
		out[i] = e
	}
	return out
}

// Files returns n entries in format "cue" or "yaml", as file name -> content.
func Files(n int, format string) map[string][]byte {
	out := map[string][]byte{}
	es := entries(n)
	for f := 0; f*perFile < len(es); f++ {
		chunk := es[f*perFile : min(len(es), (f+1)*perFile)]
		var b strings.Builder
		if format == "cue" {
			b.WriteString("package bench\n\n")
		}
		if format == "cue" {
			for _, e := range chunk {
				writeCUE(&b, e)
			}
		} else {
			// YAML: one mapping per top-level key and file.
			for _, kind := range []string{"app", "appset", "infra"} {
				header := map[string]string{"app": "applications:\n", "appset": "applicationSets:\n", "infra": "infra:\n"}[kind]
				for _, e := range chunk {
					if e.kind == kind {
						b.WriteString(header)
						header = ""
						writeYAML(&b, e)
					}
				}
			}
		}
		out[fmt.Sprintf("part-%04d.%s", f, format)] = []byte(b.String())
	}
	return out
}

// Write writes Files(n, format) under dir.
func Write(dir string, n int, format string) error { return writeAll(dir, Files(n, format)) }

// writeAll writes files (name -> content) under dir.
func writeAll(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeCUE(b *strings.Builder, e entry) {
	switch e.kind {
	case "app":
		fmt.Fprintf(b, `applications: %q: {
	source: {repoURL: "https://charts.example.com/team-%d", chart: "svc", targetRevision: "1.%d.0", helm: parameters: {replicaCount: "2", "image.tag": "v%d"}}
	destination: namespace: "team-%d"
	syncPolicy: {automated: true, selfHeal: true, createNamespace: true}
}
`, e.name, e.team, e.team, e.team, e.team)
	case "appset":
		fmt.Fprintf(b, `applicationSets: %q: {
	source: {repoURL: "https://charts.example.com/team-%d", chart: "svc", targetRevision: "2.%d.0"}
	environments: [for env in ["dev", "staging", "prod"] {name: env, cluster: "https://kubernetes.default.svc", namespace: "%s-\(env)", valueFiles: ["values-\(env).yaml"]}]
	syncPolicy: {automated: true}
}
`, e.name, e.team, e.team, e.name)
	case "infra":
		fmt.Fprintf(b, `infra: %q: {
	namespace: %q
	labels: team: "team-%d"
	configMaps: settings: {LOG_LEVEL: "info", TEAM: "team-%d"}
}
`, e.name, e.name, e.team, e.team)
	}
}

func writeYAML(b *strings.Builder, e entry) {
	switch e.kind {
	case "app":
		fmt.Fprintf(b, `  %s:
    source: {repoURL: "https://charts.example.com/team-%d", chart: svc, targetRevision: "1.%d.0", helm: {parameters: {replicaCount: "2", image.tag: "v%d"}}}
    destination: {namespace: team-%d}
    syncPolicy: {automated: true, selfHeal: true, createNamespace: true}
`, e.name, e.team, e.team, e.team, e.team)
	case "appset":
		fmt.Fprintf(b, "  %s:\n    source: {repoURL: \"https://charts.example.com/team-%d\", chart: svc, targetRevision: \"2.%d.0\"}\n    environments:\n", e.name, e.team, e.team)
		for _, env := range []string{"dev", "staging", "prod"} {
			fmt.Fprintf(b, "    - {name: %s, cluster: \"https://kubernetes.default.svc\", namespace: %s-%s, valueFiles: [values-%s.yaml]}\n", env, e.name, env, env)
		}
		b.WriteString("    syncPolicy: {automated: true}\n")
	case "infra":
		fmt.Fprintf(b, "  %s:\n    namespace: %s\n    labels: {team: team-%d}\n    configMaps:\n      settings: {LOG_LEVEL: info, TEAM: team-%d}\n", e.name, e.name, e.team, e.team)
	}
}

// ModelCUE is the reference for `cue export`: a schema in the spirit of appflowc's
// (patterns, defaults, cross-field rules) and the mapping of every entry to the Workflow
// appflowc renders for it (same parameters, JSON-encoded the same way).
const ModelCUE = `package bench

import (
	"encoding/json"
	"strings"
)

#Name: =~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" & strings.MaxRunes(50)
#URL:  =~"^(https|oci|ssh)://[^\\s\"'{}]+$"

#Source: {
	repoURL:        #URL
	chart?:         string
	path?:          string
	targetRevision: string | *"HEAD"
	helm?: {
		valueFiles?: [...string]
		parameters?: [string]: string
		values?: string
	}
}
#SyncPolicy: {
	automated:       bool | *false
	selfHeal:        bool | *false
	prune:           bool | *false
	createNamespace: bool | *false
}
applications: [#Name]: {
	source: #Source
	destination: {namespace: #Name, server: string | *"https://kubernetes.default.svc"}
	syncPolicy: #SyncPolicy
}
applicationSets: [#Name]: {
	source: #Source
	environments: [...{name: #Name, cluster: string, namespace: #Name, valueFiles: [...string] | *[], parameters: [string]: string}]
	syncPolicy: #SyncPolicy
}
infra: [#Name]: {
	namespace: #Name
	labels: [string]: string
	configMaps: [#Name]: [string]: string
}

_sync: {
	in: #SyncPolicy
	out: {
		if in.automated {automated: {if in.prune {prune: true}, if in.selfHeal {selfHeal: true}}}
		if in.createNamespace {syncOptions: ["CreateNamespace=true"]}
	}
}

_meta: {
	kind: string
	name: string
	out: {
		generateName: "\(kind)-\(name)-"
		namespace:    "argo"
		labels: {"app.kubernetes.io/managed-by": "appflowc", "appflowc.dev/config": name, "appflowc.dev/kind": kind}
	}
}

workflows: [
	for n, a in applications {
		apiVersion: "argoproj.io/v1alpha1"
		kind:       "Workflow"
		metadata:   (_meta & {kind: "app", name: n}).out
		spec: {
			workflowTemplateRef: name: "application-create"
			arguments: parameters: [
				{name: "app_name", value:            n},
				{name: "namespace", value:           a.destination.namespace},
				{name: "repo_url", value:            a.source.repoURL},
				{name: "chart_path", value:          a.source.chart},
				{name: "values_file", value:         ""},
				{name: "sync_policy", value:         json.Marshal((_sync & {in: a.syncPolicy}).out)},
				{name: "destination_cluster", value: a.destination.server},
				{name: "helm_parameters", value:     json.Marshal(a.source.helm.parameters)},
				{name: "source_kind", value:         "chart"},
				{name: "target_revision", value:     a.source.targetRevision},
				{name: "project", value:             "default"},
				{name: "helm_values", value:         ""},
				{name: "create_namespace", value:    "true"},
				{name: "wait_healthy", value:        "\(a.syncPolicy.automated)"},
				{name: "argocd_namespace", value:    "argocd"},
			]
		}
	},
	for n, s in applicationSets {
		apiVersion: "argoproj.io/v1alpha1"
		kind:       "Workflow"
		metadata:   (_meta & {kind: "appset", name: n}).out
		spec: {
			workflowTemplateRef: name: "applicationset-create"
			arguments: parameters: [
				{name: "appset_name", value:        n},
				{name: "repo_url", value:           s.source.repoURL},
				{name: "chart_path", value:         s.source.chart},
				{name: "environments", value:       json.Marshal(s.environments)},
				{name: "generator_type", value:     "list"},
				{name: "sync_policy", value:        json.Marshal((_sync & {in: s.syncPolicy}).out)},
				{name: "source_kind", value:        "chart"},
				{name: "target_revision", value:    s.source.targetRevision},
				{name: "project", value:            "default"},
				{name: "git_generator", value:      "{}"},
				{name: "preserve_resources", value: "true"},
				{name: "argocd_namespace", value:   "argocd"},
			]
		}
	},
	for n, i in infra {
		apiVersion: "argoproj.io/v1alpha1"
		kind:       "Workflow"
		metadata:   (_meta & {kind: "infra", name: n}).out
		spec: {
			workflowTemplateRef: name: "infra-provision"
			arguments: parameters: [
				{name: "namespace", value:        i.namespace},
				{name: "secrets", value:          "[]"},
				{name: "configmaps", value:       json.Marshal([for cn, d in i.configMaps {name: cn, data: d}])},
				{name: "custom_scripts", value:   "[]"},
				{name: "namespace_labels", value: json.Marshal(i.labels)},
			]
		}
	},
]
`
