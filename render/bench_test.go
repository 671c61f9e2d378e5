package render_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/benchgen"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/outdir"
	"github.com/appflowc/appflowc/render"
)

// The hot paths of vet and render, per stage (make bench runs them; the whole-process
// figures come from bench/). Sizes: one app for per-app costs, 1,000 entries for
// throughput.

func benchFS(n int, format string) config.Input {
	fsys := fstest.MapFS{}
	for name, data := range benchgen.Files(n, format) {
		fsys["c/"+name] = &fstest.MapFile{Data: data}
	}
	return config.Input{FS: fsys, Paths: []string{"c"}}
}

func BenchmarkLoad1000YAML(b *testing.B) { benchLoad(b, "yaml") }
func BenchmarkLoad1000CUE(b *testing.B)  { benchLoad(b, "cue") }

func benchLoad(b *testing.B, format string) {
	in := benchFS(1000, format)
	b.ReportAllocs()
	for b.Loop() {
		t, err := config.LoadTree(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := config.Decode(t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSchemaOneApp is the CUE schema check (vet's second line) of one app.
func BenchmarkSchemaOneApp(b *testing.B) {
	t, err := config.LoadTree(context.Background(), benchFS(1, "yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := config.CheckSchema(t); len(d) > 0 {
			b.Fatal(d)
		}
	}
}

// BenchmarkRenderOneApp compiles one app (library, build, Argo validation) after load;
// Cached is the same with Argo's verdicts found in the result cache (a pre-commit vet of
// unchanged templates and shapes).
func BenchmarkRenderOneApp(b *testing.B) { benchCompile(b, nil) }
func BenchmarkRenderOneAppCached(b *testing.B) {
	benchCompile(b, diskcache.New(b.TempDir(), []byte("bench")))
}

func benchCompile(b *testing.B, cache *diskcache.Cache) {
	cfg, err := config.Load(context.Background(), benchFS(1, "yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Compile(context.Background(), cfg, cache); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode1000(b *testing.B) {
	res, err := frontend.Render(context.Background(), benchFS(1000, "yaml"), nil, render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Encode(res.Objects); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteDir1000(b *testing.B) {
	res, err := frontend.Render(context.Background(), benchFS(1000, "yaml"), nil, render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "out")
	b.ReportAllocs()
	for b.Loop() {
		if err := outdir.WriteDir(context.Background(), dir, res.Files); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDirFresh1000 writes a render into a directory that does not exist (as
// make bench's directory rows do); BenchmarkWriteDirFloor1000 writes the same bytes the
// simplest way, one goroutine and os.WriteFile per file into a fresh directory and one
// rename: the floor the first is held to.
func BenchmarkWriteDirFresh1000(b *testing.B) {
	files := benchFiles(b)
	benchFresh(b, func(dir string) error { return outdir.WriteDir(context.Background(), dir, files) })
}

func BenchmarkWriteDirFloor1000(b *testing.B) {
	files := benchFiles(b)
	benchFresh(b, func(dir string) error {
		tmp := dir + ".tmp"
		made := map[string]bool{}
		for _, f := range files {
			p := filepath.Join(tmp, filepath.FromSlash(f.Path))
			if d := filepath.Dir(p); !made[d] {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
				made[d] = true
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				return err
			}
		}
		return os.Rename(tmp, dir)
	})
}

func benchFiles(b *testing.B) []render.File {
	res, err := frontend.Render(context.Background(), benchFS(1000, "yaml"), nil, render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return res.Files
}

// benchFresh times write into a new directory each time; removing it is not timed.
func benchFresh(b *testing.B, write func(dir string) error) {
	base := b.TempDir()
	i := 0
	for b.Loop() {
		b.StopTimer()
		os.RemoveAll(filepath.Join(base, fmt.Sprint(i-1)))
		b.StartTimer()
		if err := write(filepath.Join(base, fmt.Sprint(i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRenderDir1000CUE is a whole render of 1,000 CUE entries into a directory,
// in-process (no process start), with the library and Argo's verdicts cached;
// BenchmarkRenderDir1000CUEOneFileChanged is the same after one file changed, with the
// entry cache and the previous output to reuse: their ratio is what incremental render
// saves, apart from process start.
func BenchmarkRenderDir1000CUE(b *testing.B) { benchRenderDir(b, 1000, false) }
func BenchmarkRenderDir1000CUEOneFileChanged(b *testing.B) {
	benchRenderDir(b, 1000, true)
}

// BenchmarkRenderDir10000CUEOneFileChanged is the incremental row of make bench at
// 10,000 entries, in-process.
func BenchmarkRenderDir10000CUEOneFileChanged(b *testing.B) {
	benchRenderDir(b, 10000, true)
}

func benchRenderDir(b *testing.B, n int, incremental bool) {
	src := b.TempDir()
	if err := benchgen.Write(src, n, "cue"); err != nil {
		b.Fatal(err)
	}
	changed := filepath.Join(src, "part-0005.cue")
	orig, err := os.ReadFile(changed)
	if err != nil {
		b.Fatal(err)
	}
	cache := diskcache.New(b.TempDir(), []byte("bench"))
	in := config.Input{FS: os.DirFS(src), Paths: []string{"."}}
	out := filepath.Join(b.TempDir(), "out")
	edits := 0
	run := func() {
		edits++
		data := strings.Replace(string(orig), `targetRevision: "1.`, fmt.Sprintf(`targetRevision: "%d.`, 100+edits), 1)
		if err := os.WriteFile(changed, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
		if !incremental {
			os.RemoveAll(out)
		}
		res, err := frontend.Render(context.Background(), in, cache, render.Options{Incremental: incremental, FilesOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		wcache := cache
		if !incremental {
			wcache = nil
		}
		if _, err := outdir.Update(context.Background(), out, res.Files, outdir.UpdateOptions{Cache: wcache}); err != nil {
			b.Fatal(err)
		}
	}
	run() // fills the caches
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

// BenchmarkRenderStream10000 is render -o - of 10,000 Applications in each input shape,
// in-process and without the result cache: the stream rows of make bench minus process
// start. Its CPU profile is the README's "where the time goes".
func BenchmarkRenderStream10000YAML(b *testing.B)        { benchStream(b, benchgen.AppsYAML) }
func BenchmarkRenderStream10000CUE(b *testing.B)         { benchStream(b, benchgen.AppsCUE) }
func BenchmarkRenderStream10000CUEDefaults(b *testing.B) { benchStream(b, benchgen.AppsCUEDefaults) }

func benchStream(b *testing.B, shape string) {
	fsys := fstest.MapFS{}
	for name, data := range benchgen.AppFiles(10000, shape) {
		fsys["c/"+name] = &fstest.MapFile{Data: data}
	}
	in := config.Input{FS: fsys, Paths: []string{"c"}}
	b.ReportAllocs()
	for b.Loop() {
		res, err := frontend.Render(context.Background(), in, nil, render.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := render.Encode(res.Objects); err != nil {
			b.Fatal(err)
		}
	}
}
