// Command bench measures appflowc against `cue export` of an equivalent CUE model (make
// bench): it generates configs of N entries (CUE and YAML), runs appflowc vet, appflowc
// render and cue export as child processes, and prints wall time, CPU time and peak RSS
// of each, the ratio cue export / appflowc render, and time per entry. With -apply it
// also starts the local control plane and counts the API requests and watch connections
// of submitting and following Workflows.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/appflowc/appflowc/internal/benchgen"
)

// cueVersion is the CUE the reference is built at: the one appflowc links (go.mod).
const cueVersion = "v0.17.1"

func main() {
	os.Exit(run())
}

func run() int {
	sizes := flag.String("sizes", "100,1000,10000", "comma-separated config sizes (entries)")
	runs := flag.Int("runs", 3, "runs per measurement (the median is reported)")
	bin := flag.String("appflowc", "bin/appflowc", "appflowc binary to measure")
	cue := flag.String("cue", "", "cue binary (default: built at "+cueVersion+" into the user cache)")
	workflows := flag.Int("apply", 0, "also submit and watch this many Workflows on the local control plane, counting requests (0: skip)")
	flag.Parse()
	if *workflows > 0 {
		return applyBench(*workflows)
	}
	ctx := context.Background()
	cueBin := *cue
	if cueBin == "" {
		var err error
		if cueBin, err = buildCUE(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	work, err := os.MkdirTemp("", "appflowc-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(work)

	// Whole runs, as cue export does them: appflowc's result cache stays out of the size
	// rows (the quickstart rows measure it).
	os.Setenv("APPFLOWC_NO_CACHE", "1")
	host, _ := os.Hostname()
	fmt.Printf("appflowc bench: %s, %d CPUs, %s/%s, %s; median of %d runs\n\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host, *runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tcommand\twall\tCPU\tpeak RSS\tper entry\t")
	type row struct {
		n                                   int
		render, stream, export, incremental result
	}
	var rows []row
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: bad size %q\n", s)
			return 2
		}
		cueDir := filepath.Join(work, fmt.Sprintf("cue-%d", n))
		yamlDir := filepath.Join(work, fmt.Sprintf("yaml-%d", n))
		if err := benchgen.Write(cueDir, n, "cue"); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if err := benchgen.Write(yamlDir, n, "yaml"); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		modelDir := filepath.Join(work, fmt.Sprintf("model-%d", n))
		if err := os.CopyFS(modelDir, os.DirFS(cueDir)); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(modelDir, "model.cue"), []byte(benchgen.ModelCUE), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		out := filepath.Join(work, "out")
		var r row
		r.n = n
		cmds := []struct {
			label string
			dst   *result
			dir   string
			argv  []string
		}{
			{"appflowc vet (CUE)", nil, "", []string{abs(*bin), "vet", cueDir}},
			{"appflowc render (CUE)", &r.render, "", []string{abs(*bin), "render", cueDir, "-o", out}},
			// One YAML stream on stdout: the same shape of output as cue export's one file.
			{"appflowc render -o - (CUE)", &r.stream, "", []string{abs(*bin), "render", cueDir, "-o", "-"}},
			{"appflowc render (YAML)", nil, "", []string{abs(*bin), "render", yamlDir, "-o", out}},
			// cue wants a relative package path, so it runs in the model's directory.
			{"cue export (reference)", &r.export, modelDir, []string{cueBin, "export", ".", "-e", "workflows", "--out", "yaml", "-o", filepath.Join(work, "export.yaml"), "-f"}},
		}
		for _, c := range cmds {
			// The previous run's output is removed, and the removal flushed, before each run:
			// otherwise the next render's file creation pays for that deletion's journal work.
			res, err := measure(ctx, c.dir, c.argv, *runs, func() { os.RemoveAll(out); syscall.Sync() })
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s (N=%d): %v\n", c.label, n, err)
				return 1
			}
			if c.dst != nil {
				*c.dst = res
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", n, c.label, secs(res.wall), secs(res.cpu), mb(res.rss), perEntry(res.wall, n))
		}
		// Incremental: renders sharing a result cache, with one file of the config changed
		// before each (one entry in it gets another chart version), into the output of
		// the previous render. The first, unmeasured run fills the cache.
		incCache := filepath.Join(work, fmt.Sprintf("inc-cache-%d", n))
		parts, _ := filepath.Glob(filepath.Join(cueDir, "part-*.cue"))
		if len(parts) == 0 {
			fmt.Fprintln(os.Stderr, "bench: no generated CUE files in", cueDir)
			return 1
		}
		changed := parts[len(parts)/2] // one file of the config, whatever its size
		orig, err := os.ReadFile(changed)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		os.Unsetenv("APPFLOWC_NO_CACHE")
		os.Setenv("APPFLOWC_CACHE_DIR", incCache)
		os.RemoveAll(out)
		edits := 0
		change := func() {
			edits++
			data := strings.Replace(string(orig), `targetRevision: "1.`, fmt.Sprintf(`targetRevision: "%d.`, 100+edits), 1)
			if err := os.WriteFile(changed, []byte(data), 0o644); err != nil {
				panic(err)
			}
		}
		argv := []string{abs(*bin), "render", cueDir, "-o", out}
		if _, err := measure(ctx, "", argv, 1, change); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		r.incremental, err = measure(ctx, "", argv, *runs, change)
		os.Unsetenv("APPFLOWC_CACHE_DIR")
		os.Setenv("APPFLOWC_NO_CACHE", "1")
		os.WriteFile(changed, orig, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		res := r.incremental
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", n, "appflowc render, 1 file changed (CUE)", secs(res.wall), secs(res.cpu), mb(res.rss), perEntry(res.wall, n))
		rows = append(rows, r)
	}
	// The pre-commit case: vet of the quickstart example, without and with the result
	// cache (warmed by one run).
	quick := filepath.Join(filepath.Dir(abs(*bin)), "..", "examples", "quickstart")
	cacheDir := filepath.Join(work, "cache")
	for _, c := range []struct {
		label string
		env   string
	}{{"appflowc vet quickstart, no cache", "APPFLOWC_NO_CACHE=1"}, {"appflowc vet quickstart, warm cache", "APPFLOWC_CACHE_DIR=" + cacheDir}} {
		os.Unsetenv("APPFLOWC_NO_CACHE")
		os.Setenv(strings.SplitN(c.env, "=", 2)[0], strings.SplitN(c.env, "=", 2)[1])
		if _, err := measure(ctx, "", []string{abs(*bin), "vet", quick}, 1, func() {}); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		res, err := measure(ctx, "", []string{abs(*bin), "vet", quick}, max(*runs, 5), func() {})
		os.Unsetenv(strings.SplitN(c.env, "=", 2)[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(tw, "1\t%s\t%s\t%s\t%s\t\t\n", c.label, secs(res.wall), secs(res.cpu), mb(res.rss))
	}
	tw.Flush()
	fmt.Println()
	for _, r := range rows {
		fmt.Printf("N=%d: cue export / appflowc render = %.1fx (wall), %.1fx (CPU), %.1fx (peak RSS); to one stream like cue export: %.1fx (wall)\n", r.n,
			r.export.wall.Seconds()/r.render.wall.Seconds(), r.export.cpu.Seconds()/r.render.cpu.Seconds(), float64(r.export.rss)/float64(r.render.rss),
			r.export.wall.Seconds()/r.stream.wall.Seconds())
		fmt.Printf("N=%d: incremental render after one file changed = %.0f%% of a full render (wall)\n", r.n, 100*r.incremental.wall.Seconds()/r.render.wall.Seconds())
	}
	if len(rows) > 1 {
		a, b := rows[0], rows[len(rows)-1]
		fmt.Printf("render time per entry: %s at N=%d, %s at N=%d\n", perEntry(a.render.wall, a.n), a.n, perEntry(b.render.wall, b.n), b.n)
	}
	return 0
}

type result struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

// measure runs argv runs times and returns the run with the median wall time.
func measure(ctx context.Context, dir string, argv []string, runs int, before func()) (result, error) {
	var all []result
	for i := 0; i < max(1, runs); i++ {
		before()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			return result{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, tail(stderr.String()))
		}
		ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		r := result{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
		if ru != nil {
			r.rss = ru.Maxrss * 1024 // kilobytes on Linux
		}
		all = append(all, r)
	}
	for i := range all { // insertion sort by wall; runs is small
		for j := i; j > 0 && all[j].wall < all[j-1].wall; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all[len(all)/2], nil
}

// buildCUE installs cuelang.org/go/cmd/cue at cueVersion into the user cache, once.
func buildCUE(ctx context.Context) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "appflowc", "bench", "cue-"+cueVersion)
	bin := filepath.Join(dir, "cue")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "bench: building cue %s into %s (once)\n", cueVersion, dir)
	cmd := exec.CommandContext(ctx, "go", "install", "cuelang.org/go/cmd/cue@"+cueVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build cue %s: %w", cueVersion, err)
	}
	return bin, nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
func mb(b int64) string           { return fmt.Sprintf("%d MB", b>>20) }
func perEntry(d time.Duration, n int) string {
	return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(n))
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
