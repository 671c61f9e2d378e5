package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

// TestDeepInputNeverCrashes feeds a million levels of nesting, in every format, to the
// real binary (a stack overflow kills a Go process outright, so only a separate process
// can show it does not happen): each must be a diagnostic at the file and exit 1 — with
// the default bound and with the bound raised as far as it goes — never a goroutine dump.
func TestDeepInputNeverCrashes(t *testing.T) {
	t.Parallel()
	const n = 1_000_000
	open, close := strings.Repeat("[", n), strings.Repeat("]", n)
	inputs := map[string]string{
		"flow.yaml":      "applications: " + open + close + "\n",
		"doc.json":       `{"applications": ` + open + close + "}\n",
		"brackets.cue":   "applications: " + open + close + "\n",
		"labels.cue":     strings.Repeat("a: ", n) + "1\napplications: {}\n",
		"deep.jsonnet":   "{ applications: " + open + close + " }\n",
		"parens.jsonnet": "{ applications: " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " }\n",
	}
	for name, src := range inputs {
		for _, depth := range []string{"", "1000"} {
			t.Run(name+"/max-depth="+depth, func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(t.TempDir(), "cfg")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				args := []string{"vet", dir}
				if depth != "" {
					args = append(args, "--max-depth", depth)
				}
				// Not a speed target: a guard so that a hang fails instead of stalling.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, "appflowc", args...)
				cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "APPFLOWC_NO_CACHE=1")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := cmd.ProcessState.ExitCode()
				if ctx.Err() != nil {
					t.Fatalf("still running after 2 minutes")
				}
				for _, crash := range []string{"goroutine ", "fatal error", "panic:", "stack overflow"} {
					if strings.Contains(stderr.String()+stdout.String(), crash) {
						t.Fatalf("crashed (%v):\n%.2000s", err, stderr.String())
					}
				}
				// Diagnostics go to stderr.
				if code != 1 || !strings.Contains(stderr.String(), filepath.Join(dir, name)+":") || !strings.Contains(stderr.String(), "nest") {
					t.Fatalf("exit %d, want 1 with a nesting diagnostic at the file:\n%.1000s\n%.1000s", code, stdout.String(), stderr.String())
				}
			})
		}
	}
}

// TestHostileFileNames renders every example with its config files renamed. A name that
// could forge output structure or terminal text — a newline and "---", a carriage return,
// an escape sequence, a bidi override, quotes, parentheses, spaces — is refused at the
// file (exit 1) and nothing is written; a name that is merely unusual renders, and each
// output file and the stream parse to exactly the objects the example renders under its
// own names, which appear only as data (the header line and the source annotation).
func TestHostileFileNames(t *testing.T) {
	t.Parallel()
	examples, _ := filepath.Glob("../../../examples/*")
	refused := []string{"x\n---\nkind: Evil\n#", "x\r# y", "x\x1b]0;pwned\x07", "x\u202egnp", "x\"y", "x'y", "x (y)", "x y", "-x"}
	allowed := []string{"données", "a+b@c=d,e", "_x", "9lives", "日本"}
	for i, ex := range examples {
		files, _ := filepath.Glob(filepath.Join(ex, "*"))
		want := renderObjects(t, ex, "")
		// A refused name is refused before anything is parsed: one example shows it; every
		// example renders under an allowed one (a different one each, all covered).
		names := []string{allowed[i%len(allowed)]}
		if i == 0 {
			names = append(refused, allowed...)
		}
		for _, name := range names {
			t.Run(filepath.Base(ex)+"/"+strconv.QuoteToASCII(name), func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(t.TempDir(), "cfg")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for i, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					base := filepath.Base(f)
					ext := filepath.Ext(base)
					if ext == ".libsonnet" { // imported by name: keep it
						os.WriteFile(filepath.Join(dir, base), data, 0o644)
						continue
					}
					if err := os.WriteFile(filepath.Join(dir, name+strconv.Itoa(i)+ext), data, 0o644); err != nil {
						t.Skipf("this file system refuses the name: %v", err)
					}
				}
				out := filepath.Join(t.TempDir(), "out")
				var o, e bytes.Buffer
				code := cli.RunEnv(context.Background(), []string{"render", dir, "-o", out}, ownEnv(t), &o, &e)
				if slices.Contains(refused, name) {
					if code != 1 || !strings.Contains(o.String()+e.String(), "has characters appflowc does not accept in config file names") {
						t.Fatalf("exit %d, want 1 naming the file:\n%s%s", code, o.String(), e.String())
					}
					if strings.ContainsAny(o.String()+e.String(), "\r\x1b\u202e") || strings.Contains(o.String()+e.String(), "\n---\n") {
						t.Fatalf("the refusal printed the name raw:\n%q", o.String()+e.String())
					}
					if _, err := os.Stat(out); err == nil {
						t.Fatal("a refused render wrote output")
					}
					return
				}
				if code != 0 {
					t.Fatalf("exit %d:\n%s%s", code, o.String(), e.String())
				}
				if got := renderObjects(t, dir, out); !equalObjects(got, want) {
					t.Fatalf("the objects differ from the example's:\n%v\nwant\n%v", keysOf(got), keysOf(want))
				}
				o.Reset()
				if code := cli.RunEnv(context.Background(), []string{"render", dir, "-o", "-"}, ownEnv(t), &o, &e); code != 0 {
					t.Fatalf("-o -: exit %d: %s", code, e.String())
				}
				if got := streamObjects(t, o.Bytes()); !equalObjects(got, want) {
					t.Fatalf("the stream's objects differ from the example's:\n%v\nwant\n%v", keysOf(got), keysOf(want))
				}
			})
		}
	}
}

// renderObjects renders dir into out (a new directory when out is "") and reads every
// file back: one YAML document each, keyed by kind/namespace/name, with the source
// annotation dropped (it names the file, which is the one thing allowed to differ).
func renderObjects(t *testing.T, dir, out string) map[string]string {
	t.Helper()
	if out == "" {
		out = filepath.Join(t.TempDir(), "out")
		var o, e bytes.Buffer
		if code := cli.RunEnv(context.Background(), []string{"render", dir, "-o", out}, ownEnv(t), &o, &e); code != 0 {
			t.Fatalf("render %s: exit %d: %s", dir, code, e.String())
		}
	}
	objs := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "kustomization.yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got := streamObjects(t, data)
		if len(got) != 1 {
			t.Fatalf("%s holds %d documents, want 1", p, len(got))
		}
		for k, v := range got {
			objs[k] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// streamObjects decodes a YAML stream into objects keyed by kind/namespace/name, each as
// canonical JSON without the source annotation.
func streamObjects(t *testing.T, data []byte) map[string]string {
	t.Helper()
	objs := map[string]string{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("not YAML: %v", err)
		}
		if m == nil || m["kind"] == "Kustomization" {
			continue
		}
		meta, _ := m["metadata"].(map[string]any)
		if ann, ok := meta["annotations"].(map[string]any); ok {
			delete(ann, "appflowc.dev/source")
		}
		name, _ := meta["name"].(string)
		if name == "" {
			name, _ = meta["generateName"].(string)
		}
		ns, _ := meta["namespace"].(string)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		objs[fmt.Sprint(m["kind"], "/", ns, "/", name)] = string(b)
	}
	return objs
}

func equalObjects(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func keysOf(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// ownEnv is an environment of the test's own for cli.RunEnv: a HOME and result cache.
func ownEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"HOME=" + home, "APPFLOWC_CACHE_DIR=" + filepath.Join(home, "cache")}
}
