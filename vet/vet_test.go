package vet

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/render"
)

const good = `applications:
  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}
infra:
  base: {namespace: base}
`

func input(files map[string]string) config.Input {
	fsys := fstest.MapFS{}
	for n, c := range files {
		fsys["cfg/"+n] = &fstest.MapFile{Data: []byte(c)}
	}
	return config.Input{FS: fsys, Paths: []string{"cfg"}}
}

func TestRunClean(t *testing.T) {
	res, err := Run(context.Background(), input(map[string]string{"a.yaml": good, "b.cue": "applicationSets: {}\n"}), Options{})
	if err != nil || len(res.Diags) > 0 {
		t.Fatalf("%v %v", err, res.Diags)
	}
	// The library's three WorkflowTemplates and its RBAC, plus a Workflow per entry.
	if res.Files != 2 || res.Entries != 2 || res.Objects < 5 {
		t.Errorf("%+v", res)
	}
	if want := "ok: 2 files, 2 entries, "; !strings.HasPrefix(res.Summary(), want) || !strings.HasSuffix(res.Summary(), " manifests valid") {
		t.Errorf("summary %q", res.Summary())
	}
}

// TestRunFindings: what is wrong in a config, at any stage (reading, decoding, Argo's
// validation of what it renders), comes back as diagnostics, not as an error; what stops
// vet from checking at all is the error.
func TestRunFindings(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"syntax":  {map[string]string{"a.yaml": "applications: [\n"}, "cfg/a.yaml:1:15: syntax error"},
		"decoder": {map[string]string{"a.yaml": "applications:\n  web: {source: {repoURL: 'ftp://x', path: p}, destination: {namespace: web}}\n"}, `cfg/a.yaml:2:27: applications.web.source.repoURL: invalid repository URL "ftp://x"`},
		"argo": {map[string]string{"a.yaml": "workflowTemplates:\n  t: {spec: {entrypoint: nope, templates: [{name: main, suspend: {}}]}}\n"},
			"cfg/a.yaml:2:26: workflowTemplates.t.spec.entrypoint: Argo rejects the template"},
	} {
		res, err := Run(context.Background(), input(c.files), Options{})
		if err != nil {
			t.Errorf("%s: error %v, want diagnostics", name, err)
			continue
		}
		if len(res.Diags) == 0 || !strings.Contains(res.Diags.Error(), c.want) {
			t.Errorf("%s: diagnostics %v, want %q", name, res.Diags, c.want)
		}
		// The summary says which checks a problem kept from running: none once the
		// config decodes (Argo's verdict is there).
		wantSummary := plural.N(len(res.Diags), "error")
		switch name {
		case "syntax":
			wantSummary += "; Argo's validation did not run: the files must read first"
		case "decoder":
			wantSummary += "; Argo's validation did not run: the config must decode first"
		}
		if res.Summary() != wantSummary {
			t.Errorf("%s: summary %q, want %q", name, res.Summary(), wantSummary)
		}
	}
	if _, err := Run(context.Background(), config.Input{FS: fstest.MapFS{}, Paths: []string{"missing"}}, Options{}); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, input(map[string]string{"a.yaml": good}), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestSchemaOnlyWhenAsked: the schema check runs with Schema (--schema) only. It agrees
// with the Go decoder on every config (config.TestSchemaAgrees), so what shows that it
// ran is what it leaves in the cache: the verdicts of the entries it found valid.
func TestSchemaOnlyWhenAsked(t *testing.T) {
	files := func(dir string) map[string]bool {
		out := map[string]bool{}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				out[d.Name()] = true
			}
			return nil
		})
		return out
	}
	run := func(schema bool) map[string]bool {
		dir := t.TempDir()
		res, err := Run(context.Background(), input(map[string]string{"a.yaml": good}), Options{Schema: schema, Cache: diskcache.New(dir, []byte("test"))})
		if err != nil || len(res.Diags) > 0 {
			t.Fatalf("%v %v", err, res.Diags)
		}
		return files(dir)
	}
	skipped, checked := run(false), run(true)
	extra := 0
	for f := range checked {
		if !skipped[f] {
			extra++
		}
	}
	for f := range skipped {
		if !checked[f] {
			t.Errorf("a result only the run without the schema check stored: %s", f)
		}
	}
	if extra == 0 {
		t.Errorf("the schema check left nothing in the cache (%d results either way): did it run?", len(checked))
	}
}

// TestEveryStageInOneRun: a policy complaint (an unpinned image) does not stop Argo's
// validation: the template's undefined step is reported in the same run, by vet and by
// render alike.
func TestEveryStageInOneRun(t *testing.T) {
	const tmpl = `workflowTemplates:
  smoke:
    spec:
      entrypoint: main
      templates:
      - name: main
        steps: [[{name: x, template: nothere}]]
      - name: check
        container: {image: "busybox:latest", command: [sh, -c, "echo hi"]}
`
	want := []string{`image "busybox:latest" uses the mutable tag latest`, `template name 'nothere' undefined`}
	res, err := Run(context.Background(), input(map[string]string{"t.yaml": tmpl}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, rerr := frontend.Render(context.Background(), input(map[string]string{"t.yaml": tmpl}), nil, render.Options{})
	for _, w := range want {
		if !strings.Contains(res.Diags.Error(), w) {
			t.Errorf("vet: %q missing from\n%v", w, res.Diags)
		}
		if rerr == nil || !strings.Contains(rerr.Error(), w) {
			t.Errorf("render: %q missing from\n%v", w, rerr)
		}
	}
}
