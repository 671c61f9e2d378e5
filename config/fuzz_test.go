package config

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLoadDecode holds "never a panic on any input": go test runs the seeds; `go test
// -fuzz=FuzzLoadDecode ./config` explores further.
func FuzzLoadDecode(f *testing.F) {
	for _, s := range []string{
		"applications: {web: {source: {repoURL: 'https://x.example.com', chart: c, targetRevision: '1.x'}, destination: {namespace: w}}}",
		"applicationSets: {s: {generator: git, git: {repoURL: 'https://x', directories: ['a/*']}, source: {repoURL: 'https://x', path: p}}}",
		"infra: {b: {namespace: b, secrets: {s: {keys: {k: {fromEnv: K}}}}, scripts: [{name: n, image: i, command: [sh]}]}}",
		"patches: [{patch: 'a: 1'}, {target: {kind: X}, patch: '- op: add'}]",
		"appflow: {images: {shell: 1}, activeDeadlineSeconds: 1e99}",
		"workflowTemplates: {t: {contract: {x: int}, spec: {templates: [{steps: [[{}]]}, 3], arguments: {parameters: [{value: 1}, 2]}}}}",
		"workflowTemplates: {t: {contract: {x: 'int &'}, spec: {entrypoint: 3, templates: [{name: 3, inputs: {parameters: [{}]}, script: {command: [], source: 1}}]}}}",
		"pipelines: {p: {dag: true, steps: [{name: a, template: t, arguments: {x: [1]}, dependencies: [a, b]}, 3], schedule: {cron: '', timezone: 3}, notify: {}}}",
		"{", "- [", "? a\n: b", "a: &x [*x]", "\x00\xff",
		"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{"c/a.yaml": {Data: []byte(src)}}
		tree, err := LoadTree(context.Background(), Input{FS: fsys, Paths: []string{"c"}})
		if err == nil {
			_, _ = Decode(tree)
			_ = CheckSchema(tree)
		}
	})
}

// FuzzDecoderImpliesSchema holds the Go decoder to the published CUE schema: whatever the
// decoder accepts, the schema accepts (the decoder may be stricter: the policy, rules CUE
// cannot say). The valid configs of TestSchemaAgrees's table and of the examples are the
// seeds; `go test -fuzz=FuzzDecoderImpliesSchema ./config` mutates them.
func FuzzDecoderImpliesSchema(f *testing.F) {
	for _, c := range cases {
		if c.want == "" && !strings.HasSuffix(c.file, ".cue") {
			f.Add(c.src)
		}
	}
	for _, s := range []string{
		"applications:\n  web:\n    project: team-a\n    labels: {team: a}\n    source: {repoURL: 'https://charts.example.com', chart: nginx, targetRevision: 15.4.2, helm: {valueFiles: [v.yaml], parameters: {a.b: 1}, values: 'x: 1'}}\n    destination: {server: 'https://k.example.com', namespace: web}\n    syncPolicy: {automated: true, prune: true, selfHeal: true, createNamespace: true}\n",
		"applicationSets:\n  shop:\n    source: {repoURL: 'git@github.com:x/shop.git', path: deploy}\n    environments:\n      - {name: dev, cluster: 'https://k.example.com', namespace: shop-dev, parameters: {replicas: 1}}\n      - {name: prod, cluster: prod, namespace: shop}\n",
		"infra:\n  db:\n    namespace: db\n    labels: {tier: data}\n    configMaps: {settings: {data: {a: b}}}\n    secrets: {creds: {type: Opaque, keys: {user: {fromEnv: DB_USER}, pw: {fromFile: secrets/pw}}}}\n    scripts: [{name: seed, image: 'docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e', command: [sh, -c, 'echo hi'], env: {A: b}}]\n",
		"appflow: {namespace: wf, argocdNamespace: cd, serviceAccount: sa, destinationServer: 'https://k.example.com', activeDeadlineSeconds: 600, podGC: OnPodCompletion}\n",
		// Near the decoder gaps found by reading the two side by side (label and env
		// values, step arguments, paths, quantities): one mutation away from each.
		"pipelines:\n  rel:\n    labels: {tier: '1'}\n    steps: [{name: a, template: t, arguments: {x: 1, y: true, z: s}}]\n",
		"appflow: {resources: {requests: {cpu: 100m, memory: 1Gi}, limits: {cpu: '2', memory: 2Gi}}}\n",
		"applicationSets:\n  s:\n    source: {repoURL: 'https://x.example.com', path: a/b}\n    environments: [{name: a, cluster: c, namespace: n, valueFiles: [x/v.yaml]}]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{"c/a.yaml": {Data: []byte(src)}}
		tree, err := LoadTree(context.Background(), Input{FS: fsys, Paths: []string{"c"}})
		if err != nil {
			return
		}
		if cfg, ds := DecodeAll(tree); cfg == nil || len(ds) > 0 {
			return
		}
		if ds := CheckSchema(tree); len(ds) > 0 {
			t.Fatalf("the decoder accepts what the schema refuses:\n%s\nschema:\n%v", src, ds)
		}
	})
}
