package outdir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHostileCheckMemoryIsBounded: render --check reads every file of the output
// directory into memory at once (ReadDir: at most maxOutputFile each, no bound on the
// total), and Compare then copies every removed file into the diff. The directory is
// committed by the pull request: one 4 MiB blob of zeros at many paths is a few KB of
// git. 32 such files (128 MiB, sparse here) against a render of one file allocate ~1.6 GiB; at
// the CLI, 300 of them took 3.9 GB of RSS and 31 s, and printed 1.2 GB of NULs.
func TestHostileCheckMemoryIsBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	k := headerMark + "\n"
	if err := WriteDir(context.Background(), dir, files(KustomizationFile, k)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "configmap", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 32
	for i := range n {
		f, err := os.Create(filepath.Join(dir, "configmap", "x", fmt.Sprintf("f%d.yaml", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxOutputFile); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	res, err := Update(context.Background(), dir, files(KustomizationFile, k), UpdateOptions{Check: true})
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	alloc := m1.TotalAlloc - m0.TotalAlloc
	if alloc > 64<<20 {
		t.Errorf("--check of a tree of %d files of %d MiB: allocated %d MiB (diff of %d MiB, %d removed); "+
			"want what is read back and diffed bounded in total, not per file", n, maxOutputFile>>20, alloc>>20, len(res.Drift.Diff)>>20, len(res.Drift.Removed))
	}
}

// TestHostileOutputParentIsLink: CheckOutputPath refuses -o DIR when DIR is a symbolic
// link ("where a link points is not what a reviewer of -o out expects to change"), and
// so when a directory above it inside the checkout is one: with rendered -> /elsewhere
// committed in the repository, -o rendered/out would write, swap and remove
// /elsewhere/out. Relative and absolute spellings alike.
func TestHostileOutputParentIsLink(t *testing.T) {
	base := t.TempDir()
	elsewhere := filepath.Join(base, "elsewhere")
	repo := filepath.Join(base, "repo")
	for _, d := range []string{elsewhere, repo} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(elsewhere, filepath.Join(repo, "rendered")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	for _, out := range []string{filepath.Join("rendered", "out"), filepath.Join(repo, "rendered", "deeper", "out")} {
		err := WriteDir(context.Background(), out, files(KustomizationFile, headerMark+"\n", "a/x.yaml", "x\n"))
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("-o %s with rendered a link to %s: %v; want a refusal naming the link", out, elsewhere, err)
		}
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) > 0 {
		t.Errorf("something was written through the link: %v", ents)
	}
	// A real directory in the same place is fine.
	if err := os.Remove(filepath.Join(repo, "rendered")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), filepath.Join("rendered", "out"), files(KustomizationFile, headerMark+"\n", "a/x.yaml", "x\n")); err != nil {
		t.Errorf("-o rendered/out without a link: %v", err)
	}
}
