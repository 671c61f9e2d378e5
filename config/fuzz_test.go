package config

import (
	"context"
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
