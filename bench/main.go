// Command bench measures appflowc against what a user would run instead (make bench).
// For each size N it generates the same N Applications in three input shapes (YAML,
// plain CUE data, CUE with pattern-constraint defaults) and as the plain CUE model a
// user would write instead of appflowc, and a mixed config (Applications,
// ApplicationSets, infra) with appflowc's reference model; it runs cue export of both
// models, appflowc render to a stream and to a directory and appflowc vet of each shape
// as child processes (wall time, CPU time, peak RSS), measures the disk floor (the same
// files written by one goroutine and renamed into place) and an incremental render, and
// prints the ratios. With -apply it starts the local control plane and counts the API
// requests and watch connections of submitting and following Workflows.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
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
	anchorMax := flag.Int("anchor-max", 10000, "run cue export only up to this many entries (it needs ~150 KB of memory per entry)")
	largeRuns := flag.Int("large-runs", 1, "runs per measurement above 10,000 entries (each run's output is kept until the end: ~0.4 GB per run at 100,000)")
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
	var sums []summary
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: bad size %q\n", s)
			return 2
		}
		r := *runs
		if n > 10000 {
			r = *largeRuns
		}
		sum, err := benchSize(ctx, tw, work, abs(*bin), cueBin, n, r, *anchorMax)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		sums = append(sums, sum)
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
	for _, s := range sums {
		s.print()
	}
	if len(sums) > 1 {
		for _, row := range []struct {
			label string
			get   func(summary) result
		}{{"render -o - (YAML)", func(s summary) result { return s.stream[0] }}, {"render -o DIR (YAML)", func(s summary) result { return s.dir[0] }}} {
			fmt.Printf("%s time per entry:", row.label)
			for _, s := range sums {
				fmt.Printf(" %s at N=%d (peak RSS %s);", perEntry(row.get(s).wall, s.n), s.n, mb(row.get(s).rss))
			}
			fmt.Println()
		}
	}
	return 0
}

// shapes are the applications-only inputs, in the order of the rows.
var shapes = []struct{ label, shape string }{
	{"YAML", benchgen.AppsYAML}, {"CUE data", benchgen.AppsCUE}, {"CUE with defaults", benchgen.AppsCUEDefaults},
}

// summary holds one size's figures for the ratio lines.
type summary struct {
	n                          int
	anchor, reference          result // cue export of the plain model, of the reference model (zero: skipped)
	stream, dir, vet           [3]result
	mixedDir, mixedIncremental result
	floor                      [3]time.Duration // per shape, paired with its render -o DIR runs
}

func (s summary) print() {
	ratio := func(a, b time.Duration) string {
		if a == 0 || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1fx", a.Seconds()/b.Seconds())
	}
	for i, sh := range shapes {
		fmt.Printf("N=%d %-17s cue export (plain model) / render -o - = %s; render -o DIR / disk floor = %s, (render -o DIR - render -o -) / disk floor = %s; vet / render -o DIR = %s\n",
			s.n, sh.label+":", ratio(s.anchor.wall, s.stream[i].wall), ratio(s.dir[i].wall, s.floor[i]),
			ratio(max(0, s.dir[i].wall-s.stream[i].wall), s.floor[i]), ratio(s.vet[i].wall, s.dir[i].wall))
	}
	fmt.Printf("N=%d mixed entries:     cue export (reference model) / render -o DIR = %s (wall), %s (peak RSS); incremental render after one file changed = %.0f%% of a full render\n",
		s.n, ratio(s.reference.wall, s.mixedDir.wall), rssRatio(s.reference.rss, s.mixedDir.rss), 100*s.mixedIncremental.wall.Seconds()/s.mixedDir.wall.Seconds())
}

func rssRatio(a, b int64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", float64(a)/float64(b))
}

// benchSize measures every row of one size.
func benchSize(ctx context.Context, tw *tabwriter.Writer, work, bin, cueBin string, n, runs, anchorMax int) (summary, error) {
	sum := summary{n: n}
	dir := func(name string) string { return filepath.Join(work, fmt.Sprintf("%s-%d", name, n)) }
	out := filepath.Join(work, "out")
	// Outputs are set aside, not deleted, until the bench ends: on ext4, creating files
	// soon after many were deleted (within ~30 s) skips the freed inodes one by one
	// (perf put 44% of render -o DIR's samples in recently_deleted), and how much
	// depends on the second: the same 10,000 files took 0.15 s or 1.3 s to write from
	// run to run. Set aside, every run meets an untouched disk, as a fresh checkout does.
	kept := 0
	clean := func() {
		if _, err := os.Lstat(out); err == nil {
			kept++
			if err := os.Rename(out, filepath.Join(work, fmt.Sprintf("kept-%d-%d", n, kept))); err != nil {
				os.RemoveAll(out)
			}
		}
		syscall.Sync()
	}
	row := func(label string, dst *result, wd string, argv []string, before func()) error {
		res, err := measure(ctx, wd, argv, runs, before)
		if err != nil {
			// A row that fails (a bound reached at a large N) is reported and the rest run.
			first, _, _ := strings.Cut(err.Error(), "\n")
			if rest := tail(err.Error()); rest != "" {
				first = rest[:min(len(rest), 300)]
			}
			fmt.Fprintf(tw, "%d\t%s\tfailed: %s\t\t\t\t\n", n, label, strings.ReplaceAll(first, "\n", " "))
			return nil
		}
		if dst != nil {
			*dst = res
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t\n", n, label, secs(res.wall), secs(res.cpu), mb(res.rss), perEntry(res.wall, n))
		return nil
	}
	defer tw.Flush()
	// The inputs: the same N Applications in three shapes and as the plain CUE model;
	// and the mixed config (Applications, ApplicationSets, infra) with its reference model.
	for _, sh := range shapes {
		if err := benchgen.WriteApps(dir("apps-"+sh.shape), n, sh.shape); err != nil {
			return sum, err
		}
	}
	plain := dir("plain")
	if err := benchgen.WriteApps(plain, n, benchgen.AppsCUE); err != nil {
		return sum, err
	}
	if err := os.WriteFile(filepath.Join(plain, "model.cue"), []byte(benchgen.PlainModelCUE), 0o644); err != nil {
		return sum, err
	}
	mixed, model := dir("mixed"), dir("model")
	if err := benchgen.Write(mixed, n, "cue"); err != nil {
		return sum, err
	}
	if err := os.CopyFS(model, os.DirFS(mixed)); err != nil {
		return sum, err
	}
	if err := os.WriteFile(filepath.Join(model, "model.cue"), []byte(benchgen.ModelCUE), 0o644); err != nil {
		return sum, err
	}
	export := filepath.Join(work, "export.yaml")
	if n <= anchorMax {
		// cue wants a relative package path, so it runs in the model's directory.
		if err := row("cue export, plain model (anchor)", &sum.anchor, plain, []string{cueBin, "export", ".", "-e", "workflows", "--out", "yaml", "-o", export, "-f"}, func() {}); err != nil {
			return sum, err
		}
		if err := row("cue export, reference model (mixed)", &sum.reference, model, []string{cueBin, "export", ".", "-e", "workflows", "--out", "yaml", "-o", export, "-f"}, func() {}); err != nil {
			return sum, err
		}
	} else {
		fmt.Fprintf(tw, "%d\tcue export rows skipped above N=%d (-anchor-max)\t\t\t\t\t\n", n, anchorMax)
	}
	for i, sh := range shapes {
		in := dir("apps-" + sh.shape)
		// One YAML stream on stdout: the same shape of output as cue export's one file.
		if err := row("appflowc render -o - ("+sh.label+")", &sum.stream[i], "", []string{bin, "render", in, "-o", "-"}, func() {}); err != nil {
			return sum, err
		}
		// A run of the disk floor is paired with each run, right before it: the same
		// files, the same disk.
		if _, err := measure(ctx, "", []string{bin, "render", in, "-o", out}, 1, clean); err != nil {
			return sum, err
		}
		var floors []time.Duration
		var floorErr error
		files := 0
		paired := func() {
			d, nf, err := floorRun(out, clean)
			if err != nil {
				floorErr = err
			}
			floors, files = append(floors, d), nf
			clean()
		}
		if err := row("appflowc render -o DIR ("+sh.label+")", &sum.dir[i], "", []string{bin, "render", in, "-o", out}, paired); err != nil {
			return sum, err
		}
		if floorErr != nil {
			fmt.Fprintf(tw, "%d\tdisk floor\tfailed: %v\t\t\t\t\n", n, floorErr)
		} else {
			slices.Sort(floors)
			sum.floor[i] = floors[len(floors)/2]
			fmt.Fprintf(tw, "%d\tdisk floor (%s): its %d files written by one goroutine + rename, in the same disk state\t%s\t\t\t%s\t\n", n, sh.label, files, secs(sum.floor[i]), perEntry(sum.floor[i], n))
		}
		if err := row("appflowc vet ("+sh.label+")", &sum.vet[i], "", []string{bin, "vet", in}, func() {}); err != nil {
			return sum, err
		}
	}
	if err := row("appflowc render -o DIR (mixed CUE)", &sum.mixedDir, "", []string{bin, "render", mixed, "-o", out}, clean); err != nil {
		return sum, err
	}
	// Incremental: renders sharing a result cache, with one file of the config changed
	// before each (one entry in it gets another chart version), into the output of
	// the previous render. The first, unmeasured run fills the cache.
	incCache := filepath.Join(work, fmt.Sprintf("inc-cache-%d", n))
	parts, _ := filepath.Glob(filepath.Join(mixed, "part-*.cue"))
	if len(parts) == 0 {
		return sum, fmt.Errorf("no generated CUE files in %s", mixed)
	}
	changed := parts[len(parts)/2] // one file of the config, whatever its size
	orig, err := os.ReadFile(changed)
	if err != nil {
		return sum, err
	}
	os.Unsetenv("APPFLOWC_NO_CACHE")
	os.Setenv("APPFLOWC_CACHE_DIR", incCache)
	defer func() {
		os.Unsetenv("APPFLOWC_CACHE_DIR")
		os.Setenv("APPFLOWC_NO_CACHE", "1")
		os.WriteFile(changed, orig, 0o644)
	}()
	clean()
	edits := 0
	change := func() {
		edits++
		data := strings.Replace(string(orig), `targetRevision: "1.`, fmt.Sprintf(`targetRevision: "%d.`, 100+edits), 1)
		if err := os.WriteFile(changed, []byte(data), 0o644); err != nil {
			panic(err)
		}
	}
	argv := []string{bin, "render", mixed, "-o", out}
	if _, err := measure(ctx, "", argv, 1, change); err != nil {
		return sum, err
	}
	return sum, row("appflowc render, 1 file changed (mixed CUE)", &sum.mixedIncremental, "", argv, change)
}

// floorRun is one run of the disk floor: the tree render left at out is read, set
// aside by clean (as before a render run), and written again by one goroutine,
// plain os.WriteFile per file into a fresh directory beside it, then renamed into
// place: what writing this tree costs at the least, in this process (no start-up, no
// evaluation), in the disk state the next render run meets.
func floorRun(out string, clean func()) (time.Duration, int, error) {
	type file struct {
		rel  string
		data []byte
	}
	var files []file
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		files = append(files, file{rel, data})
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("disk floor: %w", err)
	}
	clean()
	start := time.Now()
	tmp := out + ".tmp"
	made := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(tmp, f.rel)
		if d := filepath.Dir(p); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return 0, 0, err
			}
			made[d] = true
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return 0, 0, err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, 0, err
	}
	return time.Since(start), len(files), nil
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
		// A child's peak RSS starts at this process's (Linux carries the high-water mark
		// of the forked image across exec): return memory and reset the mark first.
		debug.FreeOSMemory()
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
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
