package render_test

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/outdir"
	"github.com/appflowc/appflowc/render"
)

var update = flag.Bool("update", false, "rewrite testdata/golden (make golden)")

func examples(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("../examples")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	if len(out) < 5 {
		t.Fatalf("expected the bundled examples, found %v", out)
	}
	return out
}

func renderExample(t *testing.T, name string, paths []string) []render.File {
	t.Helper()
	if paths == nil {
		paths = []string{name}
	}
	res, err := frontend.Render(context.Background(), config.Input{FS: os.DirFS("../examples"), Paths: paths}, nil, render.Options{Expand: true})
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return res.Files
}

// TestGolden compares every example's render, byte for byte, with testdata/golden.
func TestGolden(t *testing.T) {
	for _, ex := range examples(t) {
		t.Run(ex, func(t *testing.T) {
			files := renderExample(t, ex, nil)
			dir := filepath.Join("..", "testdata", "golden", ex)
			if *update {
				if err := outdir.WriteDir(context.Background(), dir, files); err != nil {
					t.Fatal(err)
				}
				return
			}
			existing, err := outdir.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d := outdir.Compare(files, existing); !d.Empty() {
				t.Fatalf("render of examples/%s differs from %s (run make golden and read the diff):\n%s", ex, dir, d.Diff)
			}
		})
	}
}

// TestDeterministicAnyFileOrder renders testdata/everything (YAML and CUE files that
// together use every feature) with its files named in several orders: the bytes must not
// change. (Each example is one file: TestGolden holds those to their bytes.)
func TestDeterministicAnyFileOrder(t *testing.T) {
	ents, err := os.ReadDir("../testdata/everything")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range ents {
		if !e.IsDir() {
			paths = append(paths, path.Join("everything", e.Name()))
		}
	}
	if len(paths) < 3 {
		t.Fatalf("testdata/everything has %d files: the test needs several", len(paths))
	}
	render1 := func(paths []string) []render.File {
		res, err := frontend.Render(context.Background(), config.Input{FS: os.DirFS("../testdata"), Paths: paths}, nil, render.Options{Expand: true})
		if err != nil {
			t.Fatalf("render %v: %v", paths, err)
		}
		return res.Files
	}
	first := render1(paths)
	if len(first) < 10 {
		t.Fatalf("testdata/everything rendered %d files", len(first))
	}
	reversed := slices.Clone(paths)
	slices.Reverse(reversed)
	orders := [][]string{reversed}
	for i := range 2 {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		shuffled := slices.Clone(paths)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		orders = append(orders, shuffled)
	}
	for _, order := range orders {
		if d := outdir.Compare(render1(order), asMap(first)); !d.Empty() {
			t.Fatalf("order %v renders differently:\n%s", order, d.Diff)
		}
	}
}

func asMap(files []render.File) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Path] = f.Data
	}
	return m
}

// TestNoSecretValueRendered sets the environment variables the examples' Secrets read
// and requires that no rendered byte contains their values.
func TestNoSecretValueRendered(t *testing.T) {
	secrets := map[string]string{"PAYMENTS_DB_USER": "sentinel-user-8f3a", "PAYMENTS_DB_PASSWORD": "s3ntinel-Pa55-91c2"}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	for _, ex := range examples(t) {
		for _, f := range renderExample(t, ex, nil) {
			for _, v := range secrets {
				if bytes.Contains(f.Data, []byte(v)) {
					t.Errorf("%s/%s contains a secret value", ex, f.Path)
				}
			}
		}
	}
}

// TestGoldenBuildsWithKustomize proves `kubectl apply -k` works on render's output.
func TestGoldenBuildsWithKustomize(t *testing.T) {
	for _, ex := range examples(t) {
		dir, err := filepath.Abs(filepath.Join("..", "testdata", "golden", ex))
		if err != nil {
			t.Fatal(err)
		}
		m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Fatalf("%s: kustomize build: %v", ex, err)
		}
		if m.Size() < 8 {
			t.Fatalf("%s: kustomize built only %d objects", ex, m.Size())
		}
	}
}

func TestPatchErrorsArePositioned(t *testing.T) {
	fsys := fstest.MapFS{"c/a.yaml": {Data: []byte("patches:\n  - target: {kind: WorkflowTemplate}\n    patch: |\n      - op: replace\n        path: /spec/nope/deeper\n        value: 1\n")}}
	_, err := frontend.Render(context.Background(), config.Input{FS: fsys, Paths: []string{"c"}}, nil, render.Options{})
	if err == nil || !strings.Contains(err.Error(), "c/a.yaml:2:5: patches: kustomize cannot apply the patches") {
		t.Fatalf("got %v", err)
	}
}

// TestGoldenScaffoldStyle renders each CUE example written as appflowc init writes a
// config (importing the schema: schema.#Config & {...}) under the example's own file
// names: the bytes must be the example's golden ones, byte for byte. The values are the
// same, so nothing may differ, the source each rendered file names (its header and the
// appflowc.dev/source annotation) included: that is the user's file, never the schema's
// (the scaffold's files once rendered as "from <appflowc>/cue/schema.cue").
func TestGoldenScaffoldStyle(t *testing.T) {
	n := 0
	for _, ex := range examples(t) {
		ents, err := os.ReadDir(filepath.Join("..", "examples", ex))
		if err != nil {
			t.Fatal(err)
		}
		fsys := fstest.MapFS{}
		cueOnly := true
		for _, e := range ents {
			if filepath.Ext(e.Name()) != ".cue" {
				cueOnly = false
				continue
			}
			src, err := os.ReadFile(filepath.Join("..", "examples", ex, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(src, []byte("package ")) || bytes.Contains(src, []byte("import ")) {
				t.Fatalf("examples/%s/%s: the test wraps files without a package clause or imports", ex, e.Name())
			}
			var b strings.Builder
			b.WriteString("package config\n\nimport \"github.com/appflowc/appflowc/cue:schema\"\n\nschema.#Config & {\n")
			for _, l := range strings.SplitAfter(string(src), "\n") {
				if strings.TrimSpace(l) != "" {
					b.WriteString("\t")
				}
				b.WriteString(l)
			}
			b.WriteString("}\n")
			fsys[path.Join(ex, e.Name())] = &fstest.MapFile{Data: []byte(b.String())}
		}
		if !cueOnly || len(fsys) == 0 {
			continue
		}
		n++
		t.Run(ex, func(t *testing.T) {
			res, err := render.Render(context.Background(), config.Input{FS: fsys, Paths: []string{ex}}, render.Options{Expand: true})
			if err != nil {
				t.Fatalf("render the scaffold style of %s: %v", ex, err)
			}
			for _, f := range res.Files {
				if bytes.Contains(f.Data, []byte("<appflowc>")) {
					t.Errorf("%s names appflowc's own files", f.Path)
				}
			}
			existing, err := outdir.ReadDir(filepath.Join("..", "testdata", "golden", ex))
			if err != nil {
				t.Fatal(err)
			}
			if d := outdir.Compare(res.Files, existing); !d.Empty() {
				t.Fatalf("the scaffold style of examples/%s renders otherwise than the example:\n%s", ex, d.Diff)
			}
		})
	}
	if n < 3 {
		t.Fatalf("%d examples are CUE only: the test needs quickstart, multi-env and pipeline", n)
	}
}
