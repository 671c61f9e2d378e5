package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// commandsThatReadAConfig are every command line that takes a config, CFG in it. Each
// runs the front half vet runs (frontend.Run), so each must refuse what vet refuses with
// the very same diagnostics, before anything else (a cluster, an output directory) is
// touched.
var commandsThatReadAConfig = [][]string{
	{"render", "CFG", "-o", "OUT"},
	{"render", "CFG", "-o", "-"},
	{"render", "CFG", "-o", "OUT", "--check"},
	{"render", "CFG", "-o", "OUT", "--expand"},
	{"graph", "CFG"},
	{"diff", "CFG"},
	{"apply", "CFG"},
	{"apply", "CFG", "--dry-run=client"},
	{"apply", "CFG", "--watch"},
	{"templates", "create", "CFG"},
	{"install", "CFG", "--print"},
	{"ui", "CFG"},
}

// TestEveryCommandSaysWhatVetSays runs every bad config of the vet testscripts through
// every command that reads a config, and wants vet's diagnostics, line for line, what
// vet says did not run, and exit 1.
func TestEveryCommandSaysWhatVetSays(t *testing.T) {
	scripts, err := filepath.Glob("testdata/script/vet_bad_*.txtar")
	if err != nil || len(scripts) < 30 {
		t.Fatalf("found %d bad-config scripts (%v)", len(scripts), err)
	}
	kc, _ := closedPortKubeconfig(t) // a cluster command must fail on the config first
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txtar")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ar, err := txtar.ParseFile(script)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range ar.Files {
				if !strings.HasPrefix(f.Name, "cfg/") {
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env := testEnv(t, "KUBECONFIG="+kc, "APPFLOWC_CONFIG="+filepath.Join(dir, "none.yaml"))
			cfg := filepath.Join(dir, "cfg")
			// With and without the CUE schema's second line: each command takes --schema.
			for _, extra := range [][]string{nil, {"--schema"}} {
				code, _, vetErr := runIn(context.Background(), env, append([]string{"vet", cfg}, extra...)...)
				if code != ExitFailed {
					t.Fatalf("vet %v: exit %d, want 1:\n%s", extra, code, vetErr)
				}
				wantDiags, wantNotRun := diagLines(vetErr)
				if len(wantDiags) == 0 {
					t.Fatalf("vet printed no diagnostics:\n%s", vetErr)
				}
				for i, args := range commandsThatReadAConfig {
					args = append(append([]string(nil), args...), extra...)
					for j, a := range args {
						switch a {
						case "CFG":
							args[j] = cfg
						case "OUT":
							args[j] = filepath.Join(dir, "out", strings.Repeat("x", i+1))
						}
					}
					code, stdout, stderr := runIn(context.Background(), env, args...)
					cmdline := strings.Join(append(append([]string(nil), commandsThatReadAConfig[i]...), extra...), " ")
					if code != ExitFailed {
						t.Errorf("%s: exit %d, want 1\n%s", cmdline, code, stderr)
						continue
					}
					if stdout != "" {
						t.Errorf("%s: wrote to stdout on a bad config:\n%s", cmdline, stdout)
					}
					got, notRun := diagLines(stderr)
					if strings.Join(got, "\n") != strings.Join(wantDiags, "\n") {
						t.Errorf("%s: diagnostics differ from vet's\nvet:\n%s\n%s:\n%s", cmdline, strings.Join(wantDiags, "\n"), cmdline, strings.Join(got, "\n"))
					}
					if notRun != wantNotRun {
						t.Errorf("%s: says %q did not run; vet says %q", cmdline, notRun, wantNotRun)
					}
					if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
						t.Errorf("%s: created an output directory for a bad config", cmdline)
					}
				}
			}
		})
	}
}

// diagLines splits a command's stderr into its diagnostics (every line but the closing
// "appflowc: ..." one) and what that line says did not run.
func diagLines(stderr string) (diags []string, notRun string) {
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(l, "appflowc: "); ok {
			if _, nr, ok := strings.Cut(rest, "; "); ok {
				notRun = nr
			}
			continue
		}
		diags = append(diags, l)
	}
	return diags, notRun
}

// TestSchemaFlagReachesTheCheck: --schema turns the CUE schema check on in every command
// that reads a config (and it is off without it). The check agrees with the decoder on
// every config, so what shows that it ran is what it leaves in the result cache: the
// verdicts of the entries it found valid.
func TestSchemaFlagReachesTheCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "a.yaml"), []byte("applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kc, _ := closedPortKubeconfig(t)
	count := func(cache string) int {
		n := 0
		_ = filepath.WalkDir(cache, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	// What this process keeps in memory (the library's evaluation) is written to a cache
	// directory by the first run only: one run first, so that every count below is alike.
	runIn(context.Background(), []string{"HOME=" + t.TempDir(), "APPFLOWC_CACHE_DIR=" + t.TempDir()}, "vet", cfg)
	for i, args := range [][]string{
		{"vet", "CFG"}, {"render", "CFG", "-o", "OUT"}, {"render", "CFG", "-o", "-"}, {"graph", "CFG"},
		{"apply", "CFG", "--dry-run=client"}, {"install", "CFG", "--print"},
	} {
		files := map[bool]int{}
		for _, schema := range []bool{false, true} {
			cache := filepath.Join(dir, "cache", strconv.Itoa(i), strconv.FormatBool(schema))
			a := append([]string(nil), args...)
			for j := range a {
				switch a[j] {
				case "CFG":
					a[j] = cfg
				case "OUT":
					a[j] = filepath.Join(dir, "out", strconv.Itoa(i)+strconv.FormatBool(schema))
				}
			}
			if schema {
				a = append(a, "--schema")
			}
			env := []string{"HOME=" + t.TempDir(), "APPFLOWC_CACHE_DIR=" + cache, "KUBECONFIG=" + kc, "APPFLOWC_CONFIG=" + filepath.Join(dir, "none.yaml")}
			if code, _, stderr := runIn(context.Background(), env, a...); code != ExitOK {
				t.Fatalf("%v: exit %d\n%s", a, code, stderr)
			}
			files[schema] = count(cache)
		}
		if files[true] <= files[false] {
			t.Errorf("%s: the result cache holds %d files with --schema and %d without: the schema check did not run (or ran without it)", strings.Join(args, " "), files[true], files[false])
		}
	}
}
