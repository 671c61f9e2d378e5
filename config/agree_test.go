package config

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"
)

// richConfig sets (nearly) every field of every section, valid. TestDecoderImpliesSchema
// puts each tricky value in each of its places.
const richConfig = `appflow:
  namespace: wf
  argocdNamespace: cd
  serviceAccount: sa
  destinationServer: https://k.example.com
  activeDeadlineSeconds: 600
  podGC: OnPodCompletion
  images: {shell: "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"}
  resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {cpu: 200m, memory: 64Mi}}
applications:
  web:
    project: team-a
    labels: {team: a}
    schedule: {cron: "0 2 * * *", timezone: UTC, concurrencyPolicy: Forbid, startingDeadlineSeconds: 60, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, suspend: false}
    source:
      repoURL: https://charts.example.com
      chart: nginx
      targetRevision: 15.4.2
      helm: {valueFiles: [values.yaml], parameters: {a.b: "1"}, values: "x: 1"}
    destination: {server: https://k.example.com, namespace: web}
    syncPolicy: {automated: true, prune: true, selfHeal: true, createNamespace: true}
  api:
    source: {repoURL: "git@github.com:x/api.git", path: deploy, targetRevision: main}
    destination: {name: prod, namespace: api}
applicationSets:
  shop:
    labels: {team: b}
    source: {repoURL: https://charts.example.com, chart: shop, targetRevision: 1.0.0}
    environments:
      - {name: dev, cluster: https://k.example.com, namespace: shop-dev, valueFiles: [dev.yaml], parameters: {replicas: "1"}}
      - {name: prod, cluster: prod, namespace: shop}
    syncPolicy: {automated: true}
infra:
  db:
    namespace: db
    labels: {tier: data}
    configMaps: {settings: {a: b}}
    secrets: {creds: {type: Opaque, keys: {user: {fromEnv: DB_USER}, pw: {fromFile: secrets/pw}}}}
    scripts:
      - name: seed
        image: "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
        command: [sh, -c, 'echo "$A"']
        args: [x]
        env: {A: b}
workflowTemplates:
  smoke:
    description: a check
    contract: {url: '=~"^https://"'}
    spec:
      entrypoint: main
      arguments: {parameters: [{name: url, value: "https://x.example.com"}]}
      templates:
        - name: main
          inputs: {parameters: [{name: url}]}
          container: {image: "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e", command: [wget, "{{inputs.parameters.url}}"]}
externalTemplates:
  image-build:
    description: the platform's build
    clusterScope: true
    entrypoint: build
    contract: {tag: '=~"^v"'}
    templates:
      build: {inputs: {parameters: {repo: {}, tag: {default: v1, enum: [v1, v2]}}, artifacts: [src]}, outputs: {parameters: [digest], artifacts: [image]}}
pipelines:
  release:
    description: ship it
    labels: {team: c}
    dag: true
    steps:
      - {name: first, template: application-create, arguments: {app_name: web}}
      - {name: second, template: application-create, arguments: {app_name: api}, dependencies: [first]}
    schedule: {cron: "@daily"}
    notify: {webhookSecret: {name: hook, key: url}}
`

// trickyValues are what a user (or a fuzzer) might put in any field.
var trickyValues = []any{
	0, 1, -1, 1.5, 1e9, 86401, true, false, nil,
	"", " ", "a", "A", "Ab_c", "a..b", "..", "./..", "../x", "x/..", "/abs", "a b", "é", "a\nb", "-a", "a-", "a.b",
	strings.Repeat("a", 51), strings.Repeat("a", 64), strings.Repeat("a", 254),
	"1.0.0", ">=1 <2", "https://x.example.com", "https://", "http://x.example.com", "oci://x", "git@h:x/y", "ssh://x",
	"{{x}}", "$(x)", "*", "@daily", "0 2 * * *", "UTC", "Local", "Forbid", "100m", "64Mi", "1E9", "+1", ".5",
	"busybox:latest", "app.kubernetes.io/managed-by", "appflowc.dev/x",
	[]any{}, []any{"a"}, []any{1}, map[string]any{}, map[string]any{"a": "b"},
}

// TestDecoderImpliesSchema holds the Go decoder to the published CUE schema field by
// field: each tricky value in each place of a config that sets every field; whatever
// the decoder accepts, the schema must accept (the decoder may be stricter: the policy,
// rules CUE cannot say). The CUE check is off by default (frontend.Options.Schema), so
// this is what stands between a decoder gap and a rendered config.
func TestDecoderImpliesSchema(t *testing.T) {
	var root map[string]any
	if err := yaml.Unmarshal([]byte(richConfig), &root); err != nil {
		t.Fatal(err)
	}
	if ds := verdicts(t, richConfig); ds != "" {
		t.Fatalf("the rich config is not valid: %s", ds)
	}
	var places [][]string
	for _, p := range leafPaths(root, nil) {
		// Inside a user template's spec Argo's own schema (cue/argo) rules, typed and
		// checked by Argo's validation: its places are the WorkflowSpec's, not appflowc's.
		if len(p) > 3 && p[0] == "workflowTemplates" && p[2] == "spec" {
			continue
		}
		places = append(places, p)
	}
	if len(places) < 80 {
		t.Fatalf("only %d places", len(places))
	}
	// Each place on its own goroutine, GOMAXPROCS at a time: decoding dominates.
	var accepted atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, p := range places {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, v := range trickyValues {
				doc := setAt(deepCopy(root), p, v)
				src, err := yaml.Marshal(doc)
				if err != nil {
					t.Error(err)
					return
				}
				tree, err := LoadTree(context.Background(), Input{FS: fstest.MapFS{"c/a.yaml": {Data: src}}, Paths: []string{"c"}})
				if err != nil {
					continue
				}
				if cfg, ds := DecodeAll(tree); cfg == nil || len(ds) > 0 {
					continue
				}
				accepted.Add(1)
				// The schema's rules are per top-level field (schemaChunks checks them
				// so): the changed section alone gets the same verdict, faster.
				section := *tree
				section.Root = &Node{Kind: Map, Pos: tree.Root.Pos}
				if f := tree.Root.Get(p[0]); f != nil {
					section.Root.Fields = []*Field{{Key: p[0], KeyPos: tree.Root.Pos, Value: f}}
				}
				if ds := CheckSchema(&section); len(ds) > 0 {
					t.Errorf("%s = %#v: the decoder accepts what the schema refuses: %v", strings.Join(p, "."), v, ds)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d places × %d values: the decoder accepted %d, the schema every one of them", len(places), len(trickyValues), accepted.Load())
}

func verdicts(t *testing.T, src string) string {
	t.Helper()
	tree, err := LoadTree(context.Background(), Input{FS: fstest.MapFS{"c/a.yaml": {Data: []byte(src)}}, Paths: []string{"c"}})
	if err != nil {
		return err.Error()
	}
	if _, ds := DecodeAll(tree); len(ds) > 0 {
		return ds.Error()
	}
	if ds := CheckSchema(tree); len(ds) > 0 {
		return ds.Error()
	}
	return ""
}

// leafPaths are the paths of every value of v (maps by key, lists by index), its maps
// and lists included, in a stable order.
func leafPaths(v any, at []string) [][]string {
	var out [][]string
	if at != nil {
		out = append(out, slices.Clone(at))
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, leafPaths(x[k], append(slices.Clone(at), k))...)
		}
	case []any:
		for i, it := range x {
			out = append(out, leafPaths(it, append(slices.Clone(at), fmt.Sprint(i)))...)
		}
	}
	return out
}

func setAt(v any, p []string, val any) any {
	if len(p) == 0 {
		return val
	}
	switch x := v.(type) {
	case map[string]any:
		x[p[0]] = setAt(x[p[0]], p[1:], val)
	case []any:
		var i int
		fmt.Sscan(p[0], &i)
		x[i] = setAt(x[i], p[1:], val)
	}
	return v
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
