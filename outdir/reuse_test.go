package outdir

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/appflowc/appflowc/internal/diskcache"
)

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestWriteDirReusingLinksOnlyUnchangedFiles: a re-render keeps (hard-links) the files
// whose bytes did not change, writes the others, and writes anew a file someone changed
// on disk since, even with its size and modification time put back.
func TestWriteDirReusingLinksOnlyUnchangedFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	cache := diskcache.New(t.TempDir(), []byte("b"))
	k := headerMark + "\n"
	if err := WriteDirReusing(ctx, dir, files(KustomizationFile, k, "a/same.yaml", "one\n", "a/changed.yaml", "old\n", "a/edited.yaml", "mine\n"), cache); err != nil {
		t.Fatal(err)
	}
	same, changed := inode(t, filepath.Join(dir, "a/same.yaml")), inode(t, filepath.Join(dir, "a/changed.yaml"))
	// Someone edits a rendered file in place, same size, and puts its mtime back.
	edited := filepath.Join(dir, "a/edited.yaml")
	st, _ := os.Stat(edited)
	if err := os.WriteFile(edited, []byte("HAND\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(edited, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	// Only the ctime tells this edit apart, and where the kernel keeps coarse timestamps
	// (one clock tick; Linux before 6.13) the edit can share the render's tick: touch the
	// file until its ctime moves, so the test waits for that event instead of a guessed time.
	abs, _ := filepath.Abs(dir)
	rendered := loadStamps(cache, abs)[sha256.Sum256([]byte("a/edited.yaml"))]
	for cur, _ := stampOf(edited); cur.ctimeNs == rendered.ctimeNs; cur, _ = stampOf(edited) {
		if err := os.Chtimes(edited, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	want := files(KustomizationFile, k, "a/same.yaml", "one\n", "a/changed.yaml", "new\n", "a/edited.yaml", "mine\n")
	if err := WriteDirReusing(ctx, dir, want, cache); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		if string(got[f.Path]) != string(f.Data) {
			t.Errorf("%s = %q, want %q", f.Path, got[f.Path], f.Data)
		}
	}
	if inode(t, filepath.Join(dir, "a/same.yaml")) != same {
		t.Error("an unchanged file was written again instead of linked")
	}
	if inode(t, filepath.Join(dir, "a/changed.yaml")) == changed {
		t.Error("a changed file kept its old inode")
	}
	// The second write's record describes the tree as it left it: taken after the swap
	// and the old tree's removal (which changes a linked file's ctime). Compared stamp by
	// stamp rather than by waiting for clocks to move, so no timestamp granularity decides.
	rec := loadStamps(cache, abs)
	for _, f := range want {
		cur, ok := stampOf(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if r, found := rec[sha256.Sum256([]byte(f.Path))]; !ok || !found || r.id() != cur.id() || r.sum != sha256.Sum256(f.Data) {
			t.Errorf("%s: recorded %+v, on disk %+v", f.Path, r, cur)
		}
	}
	// So a third write links all of it: what the second wrote and what it linked.
	same2, changed2 := inode(t, filepath.Join(dir, "a/same.yaml")), inode(t, filepath.Join(dir, "a/changed.yaml"))
	if err := WriteDirReusing(ctx, dir, want, cache); err != nil {
		t.Fatal(err)
	}
	if inode(t, filepath.Join(dir, "a/changed.yaml")) != changed2 || inode(t, filepath.Join(dir, "a/same.yaml")) != same2 {
		t.Error("the files of the previous render were not reused")
	}
}

// TestWriteDirReusingLeavesOldTreeOnCancel: linking does not touch the old tree.
func TestWriteDirReusingLeavesOldTreeOnCancel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	cache := diskcache.New(t.TempDir(), []byte("b"))
	k := headerMark + "\n"
	if err := WriteDirReusing(context.Background(), dir, files(KustomizationFile, k, "a/x.yaml", "one\n", "a/y.yaml", "same\n"), cache); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteDirReusing(ctx, dir, files(KustomizationFile, k, "a/x.yaml", "two\n", "a/y.yaml", "same\n"), cache); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	got, _ := ReadDir(dir)
	if string(got["a/x.yaml"]) != "one\n" || string(got["a/y.yaml"]) != "same\n" || len(got) != 3 {
		t.Fatalf("old tree changed: %v", got)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Fatalf("temporary directories left beside the output: %v", ents)
	}
}

// TestWriteDirReusingConcurrent: renders racing into one directory never leave a record
// that makes a later render link the wrong bytes.
func TestWriteDirReusingConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	cache := diskcache.New(t.TempDir(), []byte("b"))
	k := headerMark + "\n"
	a := files(KustomizationFile, k, "x/1.yaml", "a\n", "x/2.yaml", "same\n")
	b := files(KustomizationFile, k, "x/1.yaml", "b\n", "x/2.yaml", "same\n")
	for range 30 {
		done := make(chan error, 2)
		for _, fs := range [][]File{a, b} {
			go func() { done <- WriteDirReusing(context.Background(), dir, fs, cache) }()
		}
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range [][]File{a, b} {
			if err := WriteDirReusing(context.Background(), dir, want, cache); err != nil {
				t.Fatal(err)
			}
			got, _ := ReadDir(dir)
			if string(got["x/1.yaml"]) != string(want[1].Data) {
				t.Fatalf("x/1.yaml = %q after writing %q", got["x/1.yaml"], want[1].Data)
			}
		}
	}
}
