package outdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func files(kv ...string) []File {
	var out []File
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, File{Path: kv[i], Data: []byte(kv[i+1])})
	}
	return out
}

func TestWriteDirReplacesAndRemovesStale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	k := headerMark + "\n"
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, k, "a/x.yaml", "one\n", "b/stale.yaml", "old\n")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, k, "a/x.yaml", "two\n")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["a/x.yaml"]) != "two\n" {
		t.Fatalf("got %v", got)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Fatalf("temporary directories left beside the output: %v", ents)
	}
}

func TestWriteDirLeavesOldTreeOnCancel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	k := headerMark + "\n"
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, k, "a/x.yaml", "one\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := WriteDir(ctx, dir, files(KustomizationFile, k, "a/x.yaml", "two\n"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	got, _ := ReadDir(dir)
	if string(got["a/x.yaml"]) != "one\n" {
		t.Fatalf("old tree changed: %v", got)
	}
}

func TestWriteDirLeavesOldTreeOnWriteError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	k := headerMark + "\n"
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, k, "a/x.yaml", "one\n")); err != nil {
		t.Fatal(err)
	}
	// A file and a directory of the same name cannot both be written.
	err := WriteDir(context.Background(), dir, files(KustomizationFile, k, "a", "file\n", "a/x.yaml", "two\n"))
	if err == nil {
		t.Fatal("expected a write error")
	}
	got, _ := ReadDir(dir)
	if string(got["a/x.yaml"]) != "one\n" || len(got) != 2 {
		t.Fatalf("old tree changed: %v", got)
	}
}

func TestWriteDirRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteDir(context.Background(), dir, files(KustomizationFile, headerMark+"\n"))
	if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Fatalf("want refusal, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		t.Fatal("foreign file was touched")
	}
}

func TestCompareAndUnifiedDiff(t *testing.T) {
	existing := map[string][]byte{"a.yaml": []byte("x: 1\ny: 2\nz: 3\n"), "gone.yaml": []byte("g\n")}
	d := Compare(files("a.yaml", "x: 1\ny: 20\nz: 3\n", "new.yaml", "n\n"), existing)
	if strings.Join(d.Changed, ",") != "a.yaml" || strings.Join(d.Added, ",") != "new.yaml" || strings.Join(d.Removed, ",") != "gone.yaml" {
		t.Fatalf("drift %+v", d)
	}
	want := "--- a/a.yaml\n+++ b/a.yaml\n@@ -1,3 +1,3 @@\n x: 1\n-y: 2\n+y: 20\n z: 3\n"
	if !strings.Contains(d.Diff, want) {
		t.Fatalf("diff:\n%s\nwant it to contain:\n%s", d.Diff, want)
	}
	if Compare(files("a.yaml", "x: 1\ny: 2\nz: 3\n"), map[string][]byte{"a.yaml": []byte("x: 1\ny: 2\nz: 3\n")}).Empty() != true {
		t.Fatal("identical trees drift")
	}
}

// TestStaleTempsRemoved: a render removes the temporary trees that killed renders left
// beside its output — those whose owner file names a process that is gone — and nothing
// it cannot prove is such a leftover: one whose owner still runs, one without an owner
// file, a symbolic link named like one.
func TestStaleTempsRemoved(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	mk := func(name, owner string) string {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(p+ownerSuffix, []byte(owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	// A process that has exited: its PID is free (or another process's, whose start time differs).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := mk(".out.tmp-dead", fmt.Sprintf("appflowc-render pid=%d start=1 boot=x\n", cmd.Process.Pid))
	live := mk(".out.tmp-live", selfIdentity())
	orphan := mk(".out.tmp-noowner", "")
	victim := t.TempDir()
	if err := os.Symlink(victim, filepath.Join(parent, ".out.tmp-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, ".out.tmp-link"+ownerSuffix), []byte("appflowc-render pid=1 start=1 boot=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, headerMark+"\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dead render's temporary tree was kept: %v", err)
	}
	if _, err := os.Stat(dead + ownerSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dead render's owner file was kept: %v", err)
	}
	for _, p := range []string{live, orphan, victim} {
		if _, err := os.Stat(filepath.Join(p)); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(parent, ".out.tmp-link")); err != nil {
		t.Errorf("the link was removed: %v", err)
	}
}

// TestRemoveTreeFollowsNoLink: removing an old output tree whose kind or namespace
// directory was replaced by a link to elsewhere removes the link, not what it points
// to.
func TestRemoveTreeFollowsNoLink(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(filepath.Join(outside, "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(outside, "ns", "keep.yaml")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(base, "old")
	if err := os.MkdirAll(filepath.Join(root, "workflow", "argo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "workflow", "argo", "a.yaml"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "configmap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "ns"), filepath.Join(root, "workflow", "linked")); err != nil {
		t.Fatal(err)
	}
	if err := removeTree(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("the old tree is still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file outside the tree went with it: %v", err)
	}
}
