package outdir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdate: render's sequence on its directory. A directory with a file render does
// not write is refused (ForeignFilesError) and left as it is; the guard sees what is on
// disk and its refusal stops the update; Check compares and writes nothing; otherwise
// the files replace the directory.
func TestUpdate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	k := headerMark + "\n"
	v1 := files(KustomizationFile, k, "configmap/ns/a.yaml", "one\n")
	res, err := Update(ctx, dir, v1, UpdateOptions{})
	if err != nil || res.Existed {
		t.Fatalf("first write: %+v %v", res, err)
	}
	v2 := files(KustomizationFile, k, "configmap/ns/a.yaml", "two\n")
	res, err = Update(ctx, dir, v2, UpdateOptions{Check: true})
	if err != nil || !res.Existed || len(res.Drift.Changed) != 1 {
		t.Fatalf("check: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "configmap/ns/a.yaml")); string(b) != "one\n" {
		t.Fatalf("check wrote: %q", b)
	}
	refused := errors.New("no")
	var seen []string
	if _, err := Update(ctx, dir, v2, UpdateOptions{Guard: func(existing []string) error { seen = existing; return refused }}); err != refused || len(seen) != 2 {
		t.Fatalf("guard: %v, saw %v", err, seen)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	var foreign *ForeignFilesError
	if _, err := Update(ctx, dir, v2, UpdateOptions{}); !errors.As(err, &foreign) || len(foreign.Paths) != 1 || foreign.Paths[0] != "notes.txt" {
		t.Fatalf("foreign: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatalf("the foreign file is gone: %v", err)
	}
	os.Remove(filepath.Join(dir, "notes.txt"))
	if _, err := Update(ctx, dir, v2, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "configmap/ns/a.yaml")); string(b) != "two\n" {
		t.Fatalf("write: %q", b)
	}
}

// TestUpdateChecksTheDirectoryFirst: Update refuses an output directory that is a
// symbolic link, or one render did not write, before it walks it (CheckOutputPath's
// rule: "-o /" is a refusal, not a walk of the whole file system), in Check mode too.
// It walked first: a link was reported as a foreign file named ".".
func TestUpdateChecksTheDirectoryFirst(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, KustomizationFile), []byte(headerMark+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "out")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	v := files(KustomizationFile, headerMark+"\n")
	for _, check := range []bool{true, false} {
		_, err := Update(ctx, link, v, UpdateOptions{Check: check})
		if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
			t.Errorf("check=%v: a symbolic link: %v", check, err)
		}
	}
	// An unreadable subdirectory of a repository: the walk fails on it; the refusal
	// must come first.
	repo := filepath.Join(base, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "locked"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(repo, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(repo, "locked"), 0o755)
	guarded := false
	_, err := Update(ctx, repo, v, UpdateOptions{Check: true, Guard: func([]string) error { guarded = true; return nil }})
	if err == nil || !strings.Contains(err.Error(), "render did not write") || guarded {
		t.Errorf("a directory render did not write: %v (guard called: %v)", err, guarded)
	}
}
