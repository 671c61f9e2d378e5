package outdir

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appflowc/appflowc/internal/confine"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/par"
	"github.com/appflowc/appflowc/internal/udiff"
	"github.com/appflowc/appflowc/manifest"
)

// An output directory is read back (render --check, apply DIR, incremental reuse), and it
// is as untrusted as the config: it is committed, so a pull request can put anything in
// it. So it is read without following symbolic links (one planted there must not show
// its target — a CI token — in a diff) and without opening anything but regular files,
// each at most maxOutputFile bytes (the API server stores objects of at most 1.5 MiB).
const maxOutputFile = 4 << 20

// ReadDir reads an output directory written by render into files keyed by slash path.
// A missing directory reads as empty. An entry that is not a regular file, or is larger
// than render ever writes, is not read: it appears with a one-line placeholder saying
// what it is ("<a symbolic link: not read>"), which differs from anything rendered, so
// that --check reports it as drift.
func ReadDir(dir string) (map[string][]byte, error) {
	return readForCompare(dir, nil)
}

// maxShownRemoved is the most of a file that --check reads to show it removed; past it
// the diff says how large the file was.
const maxShownRemoved = 64 << 10

// maxShownRemovedTotal bounds what is read of all the files the render does not have.
const maxShownRemovedTotal = 16 << 20

// readForCompare is ReadDir for a comparison with files (nil: read everything, each
// file at most maxOutputFile): the output directory may be hostile (a pull request can
// commit one large blob at many paths), so what is read is bounded by the render
// itself. A file the render does not have is read up to maxShownRemoved; one it has, up
// to twice the new file's size plus maxShownRemoved: past those the file stands as a
// line saying its size, which differs from anything rendered.
func readForCompare(dir string, files []manifest.File) (map[string][]byte, error) {
	var limit map[string]int64
	if files != nil {
		limit = make(map[string]int64, len(files))
		for _, f := range files {
			limit[f.Path] = 2*int64(len(f.Data)) + maxShownRemoved
		}
	}
	out := map[string][]byte{}
	removedLeft := int64(maxShownRemovedTotal)
	err := walkFiles(dir, func(p, rel string, d fs.DirEntry) error {
		if limit != nil {
			max, ok := limit[rel]
			if !ok {
				max = min(maxShownRemoved, removedLeft)
			}
			info, err := d.Info()
			if err == nil && info.Mode().IsRegular() && !ok {
				removedLeft -= min(info.Size(), max)
			}
			if err == nil && info.Mode().IsRegular() && info.Size() > max {
				out[rel] = []byte(fmt.Sprintf("<a file of %d bytes: not shown>\n", info.Size()))
				return nil
			}
		}
		data, err := readOutputFile(p, d)
		var odd *oddFile
		if errors.As(err, &odd) {
			out[rel] = []byte("<" + odd.what + ": not read>\n")
			return nil
		}
		if err != nil {
			return err
		}
		out[rel] = data
		return nil
	})
	return out, err
}

// oddFile is an entry of an output directory that is not read: what it is.
type oddFile struct{ what string }

func (o *oddFile) Error() string { return o.what }

// readOutputFile reads a regular file of an output directory, refusing to follow a
// symbolic link (O_NOFOLLOW) or to block on a FIFO (O_NONBLOCK), and anything larger than
// maxOutputFile.
func readOutputFile(p string, d fs.DirEntry) ([]byte, error) {
	if d != nil && !d.Type().IsRegular() {
		return nil, &oddFile{confine.Kind(d.Type())}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ELOOP) {
		return nil, &oddFile{"a symbolic link"}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &oddFile{confine.Kind(st.Mode())}
	}
	if st.Size() > maxOutputFile {
		return nil, &oddFile{fmt.Sprintf("a file of %d bytes, larger than render writes", st.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxOutputFile+1))
	if err == nil && len(data) > maxOutputFile {
		return nil, &oddFile{"a file larger than render writes"}
	}
	return data, err
}

// ListDir returns the slash paths of the files in an output directory, sorted; a missing
// directory lists as empty.
func ListDir(dir string) ([]string, error) {
	var out []string
	err := walkFiles(dir, func(_, rel string, _ fs.DirEntry) error {
		out = append(out, rel)
		return nil
	})
	return out, err
}

// walkFiles calls fn with the path and slash path relative to dir of every entry under
// dir that is not a directory (WalkDir does not follow symbolic links to directories:
// they are entries too).
func walkFiles(dir string, fn func(p, rel string, d fs.DirEntry) error) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return fn(p, filepath.ToSlash(rel), d)
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	return nil
}

// checkOwned refuses to replace a directory that holds files but no kustomization.yaml
// written by appflowc: `-o .` must never wipe a repository.
func checkOwned(dir string) error {
	// The listing and kustomization.yaml are enough (a re-render of 10,000 objects would
	// otherwise read them all).
	switch ents, err := os.ReadDir(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(ents) == 0:
		return nil
	}
	if k, err := readOutputFile(filepath.Join(dir, manifest.KustomizationFile), nil); err != nil || !bytes.HasPrefix(k, []byte(manifest.HeaderMark)) {
		return fmt.Errorf("refusing to replace %s: it holds files that appflowc render did not write (choose an empty or new -o directory)", dir)
	}
	return nil
}

// ForeignFiles returns those of existing (the slash paths of an output directory's files)
// that render never writes: the swap replaces the whole directory, so a file kept there
// by hand (a config, notes) would go without a word. Names only, nothing is read.
func ForeignFiles(existing []string) []string {
	var foreign []string
	for _, rel := range existing {
		if !renderedPath().MatchString(rel) {
			foreign = append(foreign, rel)
		}
	}
	return foreign
}

// renderedPath matches the paths render writes: kustomization.yaml and
// [preview/]<kind>/<namespace or _cluster>/<name>.yaml (FilePath).
var renderedPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(kustomization\.yaml|(preview/)?[a-z0-9]+/[A-Za-z0-9_][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*\.yaml)$`)
})

// WriteDir replaces dir with exactly files. It writes a sibling temporary directory and
// swaps it in only when every file is written, so a failure or Ctrl-C leaves dir as it
// was; stale files from an earlier render disappear with the old tree.
func WriteDir(ctx context.Context, dir string, files []manifest.File) error {
	return WriteDirReusing(ctx, dir, files, nil)
}

// WriteDirReusing is WriteDir that remembers, in cache, what it wrote (each file's
// content hash and stat identity), so that the next write of dir hard-links the files
// whose bytes did not change into the new tree instead of writing them again: creating
// a file costs ~0.12 ms on this project's disk, a link ~0.01 ms. A file is linked only
// when its recorded hash equals the new bytes' and it still has the recorded inode, size,
// modification and change times (ctime cannot be set back by hand), so a file edited
// since is written anew. The swap stays atomic: the old tree is never modified.
func WriteDirReusing(ctx context.Context, dir string, files []manifest.File, cache *diskcache.Cache) (err error) {
	dir = filepath.Clean(dir)
	if err := CheckOutputPath(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	abs, _ := filepath.Abs(dir)
	var prev map[[sha256.Size]byte]stamp // by the hash of each path
	if cache != nil && abs != "" {
		// Two renders into one directory at once could each record the other's files as
		// its own: the write, the swap and the record happen under a lock on the parent.
		// Without the lock (another render holds it for long, or flock is refused) the
		// old record is not trusted and no new one is made: all files are written.
		if unlock, err := lockDir(ctx, parent, 30*time.Second); err == nil {
			defer unlock()
			prev = loadStamps(cache, abs)
		} else {
			cache = nil
		}
	}
	var sums map[string][sha256.Size]byte // content hashes: to compare with prev, and to record
	if cache != nil {
		hashes := make([][sha256.Size]byte, len(files))
		par.Each(len(files), func(i int) { hashes[i] = sha256.Sum256(files[i].Data) })
		sums = make(map[string][sha256.Size]byte, len(files))
		for i, f := range files {
			sums[f.Path] = hashes[i]
		}
	}
	removeStaleTemps(parent, filepath.Base(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	// A render killed before its cleanup leaves tmp behind; the owner file lets a later
	// render prove it is a leftover (its process is gone) and remove it.
	owner := tmp + ownerSuffix
	_ = os.WriteFile(owner, []byte(selfIdentity()), 0o600)
	defer func() {
		// On success tmp holds the old tree (or nothing); on failure, the partial new one.
		if rmErr := removeTree(tmp); rmErr != nil && err == nil {
			err = fmt.Errorf("write %s: remove temporary %s: %w", dir, tmp, rmErr)
		}
		os.Remove(owner)
		if err == nil && cache != nil && abs != "" {
			saveStamps(cache, abs, dir, files, sums)
		}
	}()
	link := func(f manifest.File) bool {
		st, ok := prev[sha256.Sum256([]byte(f.Path))]
		if !ok || st.sum != sums[f.Path] {
			return false
		}
		old := filepath.Join(dir, filepath.FromSlash(f.Path))
		if cur, ok := stampOf(old); !ok || cur.id() != st.id() {
			return false
		}
		return os.Link(old, filepath.Join(tmp, filepath.FromSlash(f.Path))) == nil
	}
	if len(prev) == 0 {
		link = nil
	}
	if err := writeFiles(ctx, tmp, files, link); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return swap(tmp, dir)
}

// CheckOutputPath refuses an output directory that is a symbolic link: the atomic swap
// would replace the link, not what it points to, and where a link points is not what a
// reviewer of "-o out" expects to change. Name the directory itself. It also refuses a
// directory render did not write (checkOwned), before anything walks it: "-o /" must be
// a refusal, not a walk of the whole file system ending in a permission error.
func CheckOutputPath(dir string) error {
	st, err := os.Lstat(dir)
	if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(dir)
		return fmt.Errorf("output directory %s is a symbolic link (to %q): give the directory itself", dir, target)
	}
	if err := checkParentLinks(dir); err != nil {
		return err
	}
	return checkOwned(dir)
}

// checkParentLinks refuses an output directory reached through a symbolic link inside
// the working directory (the checkout, whose links a pull request may commit: with
// rendered -> /elsewhere, -o rendered/out would replace /elsewhere/out). The machine's
// own links above the working directory (/tmp on some systems) are not the config's.
func checkParentLinks(dir string) error {
	cwd, err := os.Getwd()
	if err != nil {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	rel, err := filepath.Rel(cwd, filepath.Dir(abs))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil // the working directory itself, or outside it
	}
	p := cwd
	for _, c := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, c)
		st, err := os.Lstat(p)
		if err != nil {
			return nil // not there yet: render makes it
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			return fmt.Errorf("output directory %s is reached through the symbolic link %s (to %q): give a path without links", dir, p, target)
		}
	}
	return nil
}

// ownerSuffix names the file beside a temporary output tree that says whose it is.
const ownerSuffix = ".owner"

// selfIdentity names this process in a way that outlives neither it nor the boot: its
// PID, the kernel's start time of it, and the boot ID.
func selfIdentity() string {
	return processIdentity(os.Getpid())
}

func processIdentity(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// Field 22, starttime, counted after the command name's closing parenthesis.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	if len(fields) < 20 {
		return ""
	}
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return fmt.Sprintf("appflowc-render pid=%d start=%s boot=%s\n", pid, fields[19], strings.TrimSpace(string(boot)))
}

// removeStaleTemps removes the temporary trees beside dir that earlier renders left when
// they were killed: those whose owner file (a regular file, read without following
// links) names a process that no longer runs. Anything it cannot prove is a leftover of
// its own — no owner file, an owner still running, a symbolic link — stays.
func removeStaleTemps(parent, base string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ownerSuffix) || !e.Type().IsRegular() {
			continue
		}
		owner := filepath.Join(parent, name)
		data, err := readOutputFile(owner, e)
		if err != nil || len(data) > 256 {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(string(data), "appflowc-render pid=%d ", &pid); err != nil || pid <= 0 {
			continue
		}
		if processIdentity(pid) == string(data) {
			continue // still rendering
		}
		tmp := strings.TrimSuffix(owner, ownerSuffix)
		if st, err := os.Lstat(tmp); err == nil && st.IsDir() {
			if os.RemoveAll(tmp) != nil {
				continue
			}
		}
		os.Remove(owner)
	}
}

// writeFiles creates the directories, then writes files from several goroutines: file
// creation is syscall-bound (about 0.2 ms each here), so it overlaps well even on 2 cores.
// A file for which link (may be nil) returns true is already in place.
func writeFiles(ctx context.Context, root string, files []manifest.File, link func(manifest.File) bool) error {
	// Files are written a directory at a time, directories on every core: creates and
	// links in one directory serialise on its lock (8 writers in one were measurably
	// slower than 1 here), those in different directories do not.
	var dirs []string
	byDir := map[string][]manifest.File{}
	for _, f := range files {
		d := filepath.Dir(filepath.Join(root, filepath.FromSlash(f.Path)))
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], f)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	errs := make([]error, len(dirs))
	par.Each(len(dirs), func(i int) { errs[i] = writeDirFiles(ctx, dirs[i], byDir[dirs[i]], link) })
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// writeDirFiles writes files, all in the directory dir, each created relative to the
// directory's descriptor with raw system calls: no path walk from the root, and none
// of the poller set-up (fcntl) os.File does for every file.
func writeDirFiles(ctx context.Context, dir string, files []manifest.File, link func(manifest.File) bool) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	for i, f := range files {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if link != nil && link(f) {
			continue
		}
		base := path.Base(f.Path)
		if err := createAt(fd, base, f.Data); err != nil {
			return &os.PathError{Op: "write", Path: filepath.Join(dir, base), Err: err}
		}
	}
	return nil
}

// createAt creates name (which must not exist) in the directory dirfd and writes data.
func createAt(dirfd int, name string, data []byte) error {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	})
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n, err := retryEINTR(func() (int, error) { return unix.Write(fd, data) })
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			unix.Close(fd)
			return err
		}
		data = data[n:]
	}
	return unix.Close(fd)
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}

// removeTree is os.RemoveAll of a tree render wrote (<kind>/<namespace>/<file>), its
// directories emptied on every core. Entries are listed without following links;
// os.RemoveAll does the rest.
func removeTree(root string) error {
	var dirs []string
	kinds, err := os.ReadDir(root)
	if err != nil {
		return os.RemoveAll(root)
	}
	for _, k := range kinds {
		if !k.IsDir() {
			continue
		}
		kd := filepath.Join(root, k.Name())
		nss, _ := os.ReadDir(kd)
		for _, ns := range nss {
			if ns.IsDir() {
				dirs = append(dirs, filepath.Join(kd, ns.Name()))
			}
		}
	}
	par.Each(len(dirs), func(i int) { _ = os.RemoveAll(dirs[i]) })
	return os.RemoveAll(root)
}

// lockDir takes an exclusive flock on a directory until unlock is called, waiting at
// most wait (polling: a blocking flock cannot be cancelled).
func lockDir(ctx context.Context, dir string, wait time.Duration) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) || time.Now().After(deadline) || ctx.Err() != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stamp is what WriteDirReusing records of a file it wrote.
type stamp struct {
	ino, size        uint64
	mtimeNs, ctimeNs int64
	sum              [sha256.Size]byte
}

func (s stamp) id() [4]int64 { return [4]int64{int64(s.ino), int64(s.size), s.mtimeNs, s.ctimeNs} }

func stampOf(path string) (stamp, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return stamp{}, false
	}
	return stamp{ino: st.Ino, size: uint64(st.Size), mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano()}, true
}

// stampsKind names the records of written directories in the result cache.
const stampsKind = "render-dir/v2"

// saveStamps records the files now in dir (stat after the swap and the old tree's
// removal, which changes a linked file's ctime): by the hash of each path, its stat
// identity and content hash.
func saveStamps(cache *diskcache.Cache, abs, dir string, files []manifest.File, sums map[string][sha256.Size]byte) {
	vals := make([][]byte, len(files))
	var failed atomic.Bool
	par.Each(len(files), func(i int) {
		st, ok := stampOf(filepath.Join(dir, filepath.FromSlash(files[i].Path)))
		if !ok {
			failed.Store(true)
			return
		}
		var b []byte
		for _, v := range st.id() {
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		}
		sum := sums[files[i].Path]
		vals[i] = append(b, sum[:]...)
	})
	if failed.Load() {
		return // something changed dir meanwhile: better no record than a wrong one
	}
	recs := make(diskcache.Records, len(files))
	for i, f := range files {
		recs[sha256.Sum256([]byte(f.Path))] = vals[i]
	}
	cache.PutRecords(stampsKind, recs, []byte(abs))
}

// loadStamps returns the record of dir by the hash of each path.
func loadStamps(cache *diskcache.Cache, abs string) map[[sha256.Size]byte]stamp {
	out := map[[sha256.Size]byte]stamp{}
	for k, b := range cache.GetRecords(stampsKind, []byte(abs)) {
		if len(b) != 32+sha256.Size {
			return nil
		}
		st := stamp{ino: binary.BigEndian.Uint64(b), size: binary.BigEndian.Uint64(b[8:]),
			mtimeNs: int64(binary.BigEndian.Uint64(b[16:])), ctimeNs: int64(binary.BigEndian.Uint64(b[24:]))}
		copy(st.sum[:], b[32:])
		out[k] = st
	}
	return out
}

// swap moves tmp to dir. With an existing dir it exchanges the two atomically
// (renameat2 RENAME_EXCHANGE), so readers see the old tree or the new one, never a mix.
func swap(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		return os.Mkdir(tmp, 0o700) // keep the deferred cleanup's contract simple
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("write %s: swap in new tree: %w", dir, err)
	}
	// Filesystems without RENAME_EXCHANGE: two renames; the old tree survives as a
	// sibling if the second one fails.
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir)
		return fmt.Errorf("write %s: %w", dir, err)
	}
	return os.Rename(old, tmp)
}

// Drift is the difference between rendered files and a directory.
type Drift struct {
	Changed, Added, Removed []string // paths
	Diff                    string   // unified diff of all of them
}

// Empty reports whether nothing drifted.
func (d Drift) Empty() bool { return len(d.Changed)+len(d.Added)+len(d.Removed) == 0 }

// Compare diffs files (the new render) against what dir holds.
func Compare(files []manifest.File, existing map[string][]byte) Drift {
	var d Drift
	var b strings.Builder
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		old, ok := existing[f.Path]
		switch {
		case !ok:
			d.Added = append(d.Added, f.Path)
			b.WriteString(udiff.Unified("/dev/null", "b/"+f.Path, "", string(f.Data)))
		case !bytes.Equal(old, f.Data):
			d.Changed = append(d.Changed, f.Path)
			b.WriteString(udiff.Unified("a/"+f.Path, "b/"+f.Path, string(old), string(f.Data)))
		}
	}
	var removed []string
	for p := range existing {
		if !want[p] {
			removed = append(removed, p)
		}
	}
	sort.Strings(removed)
	for _, p := range removed {
		d.Removed = append(d.Removed, p)
		b.WriteString(udiff.Unified("a/"+p, "/dev/null", string(existing[p]), ""))
	}
	d.Diff = b.String()
	return d
}
