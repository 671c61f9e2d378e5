package render

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// incrementalBase is a config with every kind of entry, in YAML and CUE (a comprehension
// included), with settings outside the entries, and an ApplicationSet whose preview reads
// a local checkout.
var incrementalBase = map[string]string{
	"apps.yaml": `applications:
  web:
    labels: {team: shop}
    source: {repoURL: "https://charts.example.com", chart: web, targetRevision: "1.2.0"}
    destination: {namespace: web}
  api:
    source: {repoURL: "https://charts.example.com", chart: api, targetRevision: "2.0.0", helm: {parameters: {replicaCount: "2", image.tag: v1}}}
    destination: {namespace: api}
    syncPolicy: {automated: true, selfHeal: true}
`,
	"sets.cue": `package cfg

applicationSets: shop: {
	source: {repoURL: "https://charts.example.com", chart: "shop", targetRevision: "1.0.0"}
	environments: [for e in ["dev", "prod"] {name: e, cluster: "https://kubernetes.default.svc", namespace: "shop-\(e)"}]
}
applicationSets: mono: {
	source: {repoURL: "https://github.com/example/mono.git", path: "envs", targetRevision: "main"}
	generator: "git"
	git: {repoURL: "https://github.com/example/mono.git", directories: ["envs/*"], checkout: "checkout"}
}
`,
	"infra.yaml": `infra:
  payments:
    namespace: payments
    labels: {team: payments}
    configMaps:
      payments-config: {LOG_LEVEL: info}
`,
	"settings.yaml": `appflow:
  namespace: argo
`,
	"checkout/envs/eu/keep": "",
	"checkout/envs/us/keep": "",
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func renderDir(t *testing.T, dir string, cache *diskcache.Cache, opts Options) *Result {
	t.Helper()
	in := config.Input{FS: os.DirFS("/"), Paths: []string{strings.TrimPrefix(dir, "/")}, DisplayRoot: "/"}
	res, err := renderCached(context.Background(), in, cache, opts)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return res
}

func sameFiles(t *testing.T, what string, got, want []File) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, a render without the cache gives %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].Path != want[i].Path || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("%s: %s differs from a render without the cache (%s):\n%s\n---\n%s", what, got[i].Path, want[i].Path, got[i].Data, want[i].Data)
		}
	}
}

// TestIncrementalEveryChangeInvalidates: after each kind of change, a render that reuses
// cached entries gives exactly the bytes of a render without any cache, and reuses
// exactly the entries the change did not touch.
func TestIncrementalEveryChangeInvalidates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	cache := diskcache.New(t.TempDir(), []byte("build-1"))
	const entries = 5 // web, api, shop, mono, payments
	edit := func(name, old, new string) func(map[string]string) {
		return func(m map[string]string) {
			if !strings.Contains(m[name], old) {
				t.Fatalf("%s does not contain %q", name, old)
			}
			m[name] = strings.Replace(m[name], old, new, 1)
		}
	}
	steps := []struct {
		name   string
		change func(map[string]string)
		expand bool
		cache  *diskcache.Cache
		reused int // entries expected from the cache
	}{
		{name: "first render", reused: 0},
		{name: "nothing changed", reused: entries},
		{name: "an application's field", change: edit("apps.yaml", `targetRevision: "1.2.0"`, `targetRevision: "1.3.0"`), reused: entries - 1},
		{name: "a helm parameter of another application", change: edit("apps.yaml", `replicaCount: "2"`, `replicaCount: "3"`), reused: entries - 1},
		{name: "an entry's labels", change: edit("apps.yaml", "team: shop", "team: shop2"), reused: entries - 1},
		{name: "the order of fields in an entry", change: edit("apps.yaml", "{automated: true, selfHeal: true}", "{selfHeal: true, automated: true}"), reused: entries - 1},
		{name: "a comprehension's list", change: edit("sets.cue", `["dev", "prod"]`, `["dev", "qa", "prod"]`), reused: entries - 1},
		{name: "infra data", change: edit("infra.yaml", "LOG_LEVEL: info", "LOG_LEVEL: debug"), reused: entries - 1},
		{name: "a schedule on an entry (a CronWorkflow)", change: edit("apps.yaml", "    destination: {namespace: api}\n", "    destination: {namespace: api}\n    schedule: {cron: \"0 2 * * *\"}\n"), reused: entries - 1},
		{name: "the schedule's time", change: edit("apps.yaml", `cron: "0 2 * * *"`, `cron: "0 3 * * *"`), reused: entries - 1},
		{name: "a pipeline added (outside the entries)", change: func(m map[string]string) {
			m["pipeline.yaml"] = "pipelines:\n  nightly:\n    steps:\n      - {name: web, template: application-create, arguments: {app_name: web, repo_url: \"https://charts.example.com\", chart_path: web, target_revision: \"1.0.0\", namespace: web}}\n"
		}, reused: 0},
		{name: "a setting outside the entries", change: edit("settings.yaml", "namespace: argo", "namespace: workflows"), reused: 0},
		{name: "an entry moved to another file", change: func(m map[string]string) {
			web := "  web:\n    labels: {team: shop2}\n    source: {repoURL: \"https://charts.example.com\", chart: web, targetRevision: \"1.3.0\"}\n    destination: {namespace: web}\n"
			edit("apps.yaml", web, "")(m)
			m["web.yaml"] = "applications:\n" + web
		}, reused: entries - 1},
		{name: "a file renamed", change: func(m map[string]string) { m["payments.yaml"] = m["infra.yaml"]; delete(m, "infra.yaml") }, reused: entries - 1},
		{name: "an entry added", change: edit("web.yaml", "applications:\n", "applications:\n  new:\n    source: {repoURL: \"https://charts.example.com\", chart: new, targetRevision: \"0.1.0\"}\n    destination: {namespace: new}\n"), reused: entries},
		{name: "an entry removed", change: func(m map[string]string) { delete(m, "web.yaml") }, reused: entries - 1},
		{name: "--expand", expand: true, reused: 0},
		{name: "--expand again: the git-generated previews read the checkout, never cached", expand: true, reused: entries - 2},
		{name: "a directory added to the checkout", expand: true, change: func(m map[string]string) { m["checkout/envs/ap/keep"] = "" }, reused: entries - 2},
		{name: "a patch (may select any object: nothing is reused)", change: func(m map[string]string) {
			m["patches.yaml"] = "patches:\n  - target: {kind: Workflow}\n    patch: |\n      - {op: add, path: /metadata/annotations/x, value: y}\n"
		}, reused: 0},
		{name: "another build of appflowc", change: func(m map[string]string) { delete(m, "patches.yaml") }, cache: diskcache.New(cache.Dir(), []byte("build-2")), reused: 0},
	}
	files := map[string]string{}
	for k, v := range incrementalBase {
		files[k] = v
	}
	for _, st := range steps {
		if st.change != nil {
			st.change(files)
		}
		writeTree(t, dir, files)
		c := cache
		if st.cache != nil {
			c = st.cache
		}
		got := renderDir(t, dir, c, Options{Incremental: true, Expand: st.expand})
		want := renderDir(t, dir, nil, Options{Expand: st.expand})
		sameFiles(t, st.name, got.Files, want.Files)
		if got.Reused != st.reused {
			t.Errorf("%s: %d entries reused, want %d", st.name, got.Reused, st.reused)
		}
	}
}

// TestIncrementalDamagedBundle: a damaged record is a miss and a damaged bundle is none;
// neither ever reaches the output.
func TestIncrementalDamagedBundle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	writeTree(t, dir, incrementalBase)
	cacheDir := t.TempDir()
	cache := diskcache.New(cacheDir, []byte("b"))
	want := renderDir(t, dir, cache, Options{Incremental: true}).Files
	bundle := ""
	filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(p); bytes.Contains(data, []byte("workflow/argo/app-api.yaml")) {
				bundle = p
			}
		}
		return nil
	})
	if bundle == "" {
		t.Fatal("found no bundle")
	}
	data, _ := os.ReadFile(bundle)
	// One record's flags byte (after its path) becomes invalid: that entry is rendered again.
	i := bytes.Index(data, []byte("workflow/argo/app-api.yaml")) + len("workflow/argo/app-api.yaml")
	damaged := append([]byte(nil), data...)
	damaged[i] = 'x'
	if err := os.WriteFile(bundle, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	got := renderDir(t, dir, cache, Options{Incremental: true})
	sameFiles(t, "a damaged record", got.Files, want)
	if got.Reused != 4 {
		t.Errorf("%d entries reused with one of 5 records damaged", got.Reused)
	}
	// The bundle cut short: nothing is reused.
	if err := os.WriteFile(bundle, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	got = renderDir(t, dir, cache, Options{Incremental: true})
	sameFiles(t, "a truncated bundle", got.Files, want)
	if got.Reused != 0 {
		t.Errorf("%d entries reused from a truncated bundle", got.Reused)
	}
}
