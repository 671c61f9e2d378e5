package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The config styles of TestVetSameInEveryCUEStyle. Both put the body (top-level fields,
// as examples/quickstart writes them) on the same lines and columns, so that the same
// mistake is at the same line:col in either: the scaffold's import and opening brace
// take lines 2 and 3, which the examples' style fills with comments.
func scaffoldStyle(body string) string {
	return "package config\nimport \"github.com/appflowc/appflowc/cue:schema\"\nschema.#Config & {\n" + tabbed(body) + "}\n"
}

func examplesStyle(body string) string {
	return "package config\n// the examples' style: no import of the schema,\n// and no schema.#Config & { around the fields\n" + tabbed(body)
}

func tabbed(body string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(body, "\n") {
		if l != "" {
			b.WriteString("\t" + l)
		}
	}
	return b.String()
}

const busybox = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"

// styleMistakes are mistakes written once, read in both styles; want is the start of
// vet's first diagnostic, so that a case that stopped showing its mistake fails.
var styleMistakes = []struct{ name, body, want string }{
	{"valid", `applications: web: {
	source: {repoURL: "https://charts.bitnami.com/bitnami", chart: "nginx", targetRevision: "15.4.2"}
	destination: namespace: "web"
	syncPolicy: {automated: true, prune: true}
}
`, "ok: 1 file, 1 entry"},
	// The case: a type error beside a misspelt field, a wrong type, a bad name.
	{"typo beside a type error", `applications: web: {
	source: {
		repoURL:       "https://charts.bitnami.com/bitnami"
		chart:         "nginx"
		targetRevison: "15.4.2"
	}
	destination: namespace: "web"
	syncPolicy: automated: 2
}
applications: api: {
	source: {repoURL: "https://charts.bitnami.com/bitnami", chart: "nginx", targetRevision: 5}
	destination: namespace: "Web_x"
}
`, "cfg/app.cue:5:3: applications.web.source.targetRevision: missing required field"},
	{"unknown field", `applications: web: {
	source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
	destination: namespace: "web"
	syncPolicies: {}
}
`, "cfg/app.cue:7:3: applications.web.syncPolicies: unknown field (did you mean \"syncPolicy\"?"},
	{"wrong types", `applications: web: {
	source: {repoURL: 42, path: ["deploy"]}
	destination: "web"
	syncPolicy: automated: "yes"
}
`, "cfg/app.cue:5:12: applications.web.source.repoURL: expected a string, found 42"},
	{"bad names", `applications: Web_App: {
	source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
	destination: namespace: "-web"
}
`, "cfg/app.cue:4:16: applications.Web_App: invalid name"},
	{"long entry name", `infra: "this-name-is-far-too-long-for-the-derived-workflow-names": namespace: "base"
`, "cfg/app.cue:4:9: infra.this-name-is-far-too-long-for-the-derived-workflow-names: name"},
	{"missing required", `applications: web: source: chart: "nginx"
`, "cfg/app.cue:4:16: applications.web.destination: missing required field"},
	{"bad enum", `appflow: podGC: "Never"
applicationSets: shop: {
	source: {repoURL: "https://github.com/acme/shop.git", path: "chart"}
	generator: "matrix"
}
applications: web: {
	source: {repoURL: "https://github.com/acme/web.git", path: "deploy"}
	destination: namespace: "web"
	schedule: {cron: "@daily", concurrencyPolicy: "Sometimes"}
}
`, "cfg/app.cue:4:11: appflow.podGC:"},
	{"bad appflow settings", `appflow: {
	namespace:             "Argo"
	destinationServer:     "kubernetes.default.svc"
	activeDeadlineSeconds: 5
	images: shell: "alpine:3.20"
}
`, "cfg/app.cue:5:3: appflow.namespace: invalid name \"Argo\""},
	{"unpinned image", `infra: base: {
	namespace: "base"
	scripts: [{name: "seed", image: "busybox:latest", command: ["sh", "-c", "echo hi"]},
		{name: "seed2", image: "docker.io/library/busybox:1.37.0", command: ["sh", "-c", "echo hi"]}]
}
`, "cfg/app.cue:6:28: infra.base.scripts[0].image: image \"busybox:latest\" uses the mutable tag latest"},
	{"template in a command", `infra: base: {
	namespace: "base"
	scripts: [{name: "seed", image: "` + busybox + `", command: ["sh", "-c", "echo {{workflow.name}}"]}]
}
`, "cfg/app.cue:6:"},
	{"duplicate entries in lists", `applicationSets: shop: {
	source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
	environments: [
		{name: "dev", cluster: "https://kubernetes.default.svc", namespace: "shop-dev"},
		{name: "dev", cluster: "https://kubernetes.default.svc", namespace: "shop-dev2"},
	]
}
infra: base: {
	namespace: "base"
	scripts: [{name: "seed", image: "` + busybox + `", command: ["true"]},
		{name: "seed", image: "` + busybox + `", command: ["true"]}]
}
`, "cfg/app.cue:8:5: applicationSets.shop.environments[1].name: duplicate environment name \"dev\""},
	{"bad cron", `applications: web: {
	source: {repoURL: "https://github.com/acme/web.git", path: "deploy"}
	destination: namespace: "web"
	schedule: cron: "every day at 2"
}
pipelines: nightly: {
	steps: [{name: "deploy", template: "application-create", arguments: {app_name: "web", namespace: "web", repo_url: "https://charts.bitnami.com/bitnami", chart_path: "nginx", target_revision: "1.0.0"}},
		{name: "deploy", template: "application-create", dependencies: ["smoke"]}]
	schedule: cron: "61 * * * *"
}
`, "cfg/app.cue:7:13: applications.web.schedule.cron: invalid cron schedule"},
	{"bad repoURL", `applications: web: {
	source: {repoURL: "ftp://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
	destination: namespace: "web"
}
applications: api: {
	source: {repoURL: "http://charts.example.com", chart: "nginx", targetRevision: "latest-ish"}
	destination: namespace: "api"
}
`, "cfg/app.cue:5:12: applications.web.source.repoURL:"},
	{"chart and path, server and name", `applications: web: {
	source: {repoURL: "https://charts.example.com", chart: "nginx", path: "deploy", targetRevision: "1.2.3"}
	destination: {server: "https://k8s.example.com", name: "prod", namespace: "web"}
}
`, "cfg/app.cue:5:67: applications.web.source.path: chart and path are both set"},
	{"sync and secrets", `applications: web: {
	source: {repoURL: "https://github.com/example/app.git", path: "deploy"}
	destination: namespace: "web"
	syncPolicy: {prune: true, selfHeal: true}
}
infra: db: {
	namespace: "db"
	secrets: "db-creds": keys: {
		password: {fromEnv: "DB_PASSWORD", fromFile: "./pw"}
		user: {}
	}
}
`, "cfg/app.cue:7:16: applications.web.syncPolicy.prune: prune requires automated sync"},
	{"bad labels", `applications: web: {
	labels: {"appflowc.dev/entry": "x", team: "-shop-"}
	source: {repoURL: "https://github.com/example/app.git", path: "../deploy"}
	destination: namespace: "web"
}
`, "cfg/app.cue:5:"},
	// The user's own CUE is wrong: CUE's message, the same either way.
	{"conflict", `applications: web: destination: namespace: "web"
applications: web: destination: namespace: "shop"
applications: web: source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
`, "cfg/app.cue:5:45: applications.web.destination.namespace: conflicting values \"shop\" and \"web\""},
}

// TestVetSameInEveryCUEStyle: a config written as appflowc init writes it (importing the
// schema: schema.#Config & {...}) and the same config written as the examples are (plain
// CUE, no import) get the very same vet output, every character of it: appflowc's own
// messages at the user's line and column, with the field path, what is wrong, "did you
// mean" and how to fix it. Once, the scaffold style got CUE's raw errors, some of them
// positioned in appflowc's own schema file, and a type error hid a misspelt field.
func TestVetSameInEveryCUEStyle(t *testing.T) {
	vet := func(t *testing.T, src string) (int, string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "cfg"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cfg", "app.cue"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir) // the output names cfg/app.cue in both styles
		code, stdout, stderr := runIn(context.Background(), testEnv(t), "vet", "cfg")
		return code, stdout + stderr
	}
	for _, m := range styleMistakes {
		t.Run(m.name, func(t *testing.T) {
			scCode, sc := vet(t, scaffoldStyle(m.body))
			exCode, ex := vet(t, examplesStyle(m.body))
			if sc != ex || scCode != exCode {
				t.Fatalf("the scaffold style (exit %d):\n%s\nthe examples' style (exit %d):\n%s", scCode, sc, exCode, ex)
			}
			if !strings.HasPrefix(sc, m.want) {
				t.Errorf("vet says:\n%s\nwant it to start with %q", sc, m.want)
			}
			if strings.Contains(sc, "<appflowc>") || strings.Contains(sc, "schema.cue") {
				t.Errorf("a diagnostic names appflowc's own files:\n%s", sc)
			}
			t.Logf("vet, in either style:\n%s", sc)
		})
	}
}
