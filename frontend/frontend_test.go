package frontend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/render"
)

func TestMergeKeepsTheSchemaWhereTheDecoderWasSilent(t *testing.T) {
	at := func(path, msg string) diag.Diagnostic {
		return diag.Diagnostic{Pos: diag.Pos{File: "c.yaml", Line: 1, Col: 1}, Path: path, Msg: msg}
	}
	policy := diag.List{at("infra.a.scripts.0.image", "unpinned")}
	schema := diag.List{
		at("infra.a.scripts.0.image", "does not match #PinnedImage"), // the policy said it better
		at("infra.a", "conflict around it"),                          // encloses the policy's field
		at("applications.web.project", "a rule the decoder misses"),
	}
	compile := diag.List{at("workflowTemplates.t", "template name 'x' undefined"), at("infra.a.scripts.0.image", "unpinned")}
	got := merge(policy, schema, compile)
	var msgs []string
	for _, d := range got {
		msgs = append(msgs, d.Msg)
	}
	want := "a rule the decoder misses|unpinned|template name 'x' undefined"
	if strings.Join(msgs, "|") != want {
		t.Errorf("merged: %q\nwant %q", strings.Join(msgs, "|"), want)
	}
	if merge(nil, nil, nil) != nil {
		t.Error("nothing merged is not nil")
	}
}

func TestRunSaysWhatDidNotRun(t *testing.T) {
	// With --schema the schema check is named among what did not run.
	in := config.Input{FS: fstest.MapFS{"c/a.yaml": {Data: []byte("applications: [\n")}}, Paths: []string{"c"}}
	var p *Problems
	if _, err := Run(context.Background(), in, Options{Schema: true}); !errors.As(err, &p) || p.NotRun != notRunReadSchema {
		t.Errorf("with Schema: %v", err)
	}
	for _, c := range []struct{ name, src, notRun string }{
		{"syntax", "applications: [\n", NotRunRead},
		{"decode", "applications:\n  web: {nope: 1}\n", NotRunDecode},
		{"policy and argo", "workflowTemplates:\n  smoke:\n    spec:\n      entrypoint: main\n      templates:\n      - name: main\n        steps: [[{name: x, template: nothere}]]\n      - name: check\n        container: {image: \"busybox:latest\", command: [sh, -c, \"echo hi\"]}\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := config.Input{FS: fstest.MapFS{"c/a.yaml": {Data: []byte(c.src)}}, Paths: []string{"c"}}
			for _, out := range []*render.Options{nil, {}} {
				_, err := Run(context.Background(), in, Options{Output: out})
				var p *Problems
				if !errors.As(err, &p) {
					t.Fatalf("Run: %v, want Problems", err)
				}
				if p.NotRun != c.notRun {
					t.Errorf("NotRun %q, want %q", p.NotRun, c.notRun)
				}
				var dl diag.List
				if !errors.As(err, &dl) || len(dl) == 0 {
					t.Errorf("Problems does not unwrap to its diagnostics: %v", err)
				}
				if c.notRun == "" && (!strings.Contains(p.Error(), "mutable tag") || !strings.Contains(p.Error(), "nothere")) {
					t.Errorf("the policy and Argo did not report in one run:\n%v", p)
				}
			}
		})
	}
}
