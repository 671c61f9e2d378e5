package benchgen

import (
	"fmt"
	"strings"
)

// The applications-only shapes: the same N Applications as appflowc configs (YAML, plain
// CUE data, and CUE whose shared fields come from a pattern constraint with defaults, as
// CUE users write them) and as the plain CUE model a user would write instead of
// appflowc (PlainModelCUE), which `cue export` evaluates as the primary yardstick.
const (
	AppsYAML        = "yaml"         // applications: {name: {...}} in YAML
	AppsCUE         = "cue"          // the same, as plain CUE data
	AppsCUEDefaults = "cue-defaults" // CUE: shared fields from applications: [string]: {...}
)

// app is the data of application i.
func app(i int) (name, repo, chart, rev, ns string) {
	team := i % 37
	return fmt.Sprintf("svc-%05d", i), fmt.Sprintf("https://charts.example.com/team-%d", team), "svc", fmt.Sprintf("1.%d.0", team), fmt.Sprintf("team-%d", team)
}

// AppFiles returns n Applications in shape (AppsYAML, AppsCUE, AppsCUEDefaults), perFile
// to a file, as file name -> content. Every shape holds the same data: with defaults,
// the entries leave out what the pattern constraint supplies (chart, the sync policy).
func AppFiles(n int, shape string) map[string][]byte {
	out := map[string][]byte{}
	ext := "cue"
	if shape == AppsYAML {
		ext = "yaml"
	}
	for f := 0; f*perFile < n; f++ {
		var b strings.Builder
		switch shape {
		case AppsYAML:
			b.WriteString("applications:\n")
		default:
			b.WriteString("package bench\n\n")
		}
		if shape == AppsCUEDefaults && f == 0 {
			b.WriteString("applications: [string]: {\n\tsource: chart: \"svc\"\n\tsyncPolicy: {automated: true, selfHeal: true}\n}\n\n")
		}
		for i := f * perFile; i < min(n, (f+1)*perFile); i++ {
			name, repo, chart, rev, ns := app(i)
			switch shape {
			case AppsYAML:
				fmt.Fprintf(&b, "  %s:\n    source: {repoURL: %q, chart: %s, targetRevision: %q}\n    destination: {namespace: %s}\n    syncPolicy: {automated: true, selfHeal: true}\n", name, repo, chart, rev, ns)
			case AppsCUE:
				fmt.Fprintf(&b, "applications: %q: {\n\tsource: {repoURL: %q, chart: %q, targetRevision: %q}\n\tdestination: namespace: %q\n\tsyncPolicy: {automated: true, selfHeal: true}\n}\n", name, repo, chart, rev, ns)
			case AppsCUEDefaults:
				fmt.Fprintf(&b, "applications: %q: {\n\tsource: {repoURL: %q, targetRevision: %q}\n\tdestination: namespace: %q\n}\n", name, repo, rev, ns)
			}
		}
		out[fmt.Sprintf("part-%04d.%s", f, ext)] = []byte(b.String())
	}
	return out
}

// WriteApps writes AppFiles(n, shape) under dir.
func WriteApps(dir string, n int, shape string) error { return writeAll(dir, AppFiles(n, shape)) }

// PlainModelCUE is what a CUE user would write instead of appflowc for the same
// Applications (the AppsCUE files beside it): a small schema (#App with defaults, a
// name pattern) and one comprehension mapping each Application to the Workflow that
// creates it through the application-create template.
const PlainModelCUE = `package bench

import "encoding/json"

#App: {
	source: {
		repoURL:        =~"^https://"
		chart:          string
		targetRevision: string | *"HEAD"
	}
	destination: {
		namespace: =~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
		server:    string | *"https://kubernetes.default.svc"
	}
	syncPolicy: {
		automated: bool | *false
		selfHeal:  bool | *false
	}
}

applications: [=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"]: #App

workflows: [for n, a in applications {
	apiVersion: "argoproj.io/v1alpha1"
	kind:       "Workflow"
	metadata: {
		generateName: "app-\(n)-"
		namespace:    "argo"
		labels: {"app.kubernetes.io/managed-by": "appflowc", "appflowc.dev/config": n}
	}
	spec: {
		workflowTemplateRef: name: "application-create"
		arguments: parameters: [
			{name: "app_name", value:            n},
			{name: "namespace", value:           a.destination.namespace},
			{name: "repo_url", value:            a.source.repoURL},
			{name: "chart_path", value:          a.source.chart},
			{name: "target_revision", value:     a.source.targetRevision},
			{name: "destination_cluster", value: a.destination.server},
			{name: "sync_policy", value:         json.Marshal(a.syncPolicy)},
		]
	}
}]
`
