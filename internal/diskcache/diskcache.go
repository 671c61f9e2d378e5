// Package diskcache keeps results that are pure functions of their inputs across runs:
// the library evaluated for given settings, and Argo's verdict on a manifest. It makes a
// pre-commit `appflowc vet` skip the work whose inputs have not changed.
//
// A wrong hit would be a correctness bug, so every key covers all that the result
// depends on: the caller's inputs (exact bytes) and the identity of the running binary
// (its version and build settings, and the executable's size and modification time, so a
// rebuilt binary never reads results of another build). Failures to read or write are
// ignored: the cache only ever saves work.
//
// Results not used for two weeks are removed (at most one sweep a day, by the run that
// stores a result), so builds and configs of the past do not pile up: a hit refreshes a
// result's modification time.
package diskcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

const (
	keepUnused = 14 * 24 * time.Hour // a result unused this long is removed
	sweepEvery = 24 * time.Hour
	sweepMark  = ".swept" // its modification time is the last sweep's
)

// Cache is a directory of results; a nil *Cache caches nothing.
type Cache struct {
	dir string
	id  []byte
}

// Open returns the user's cache ($APPFLOWC_CACHE_DIR, else the OS user cache dir under
// appflowc/), or nil when APPFLOWC_NO_CACHE is set or no directory can be found.
func Open() *Cache {
	if os.Getenv("APPFLOWC_NO_CACHE") != "" {
		return nil
	}
	dir := os.Getenv("APPFLOWC_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "appflowc", "results")
	}
	return OpenDir(dir)
}

// OpenDir returns the cache in dir for this binary.
func OpenDir(dir string) *Cache { return New(dir, identity()) }

// New returns a cache in dir for a binary identified by id (tests pass their own).
func New(dir string, id []byte) *Cache { return &Cache{dir: dir, id: id} }

// identity names this build: module version and build settings (VCS revision, dirty
// flag, flags), plus the executable's size and modification time.
func identity() []byte {
	h := sha256.New()
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintln(h, bi.GoVersion, bi.Main.Path, bi.Main.Version, bi.Main.Sum)
		for _, s := range bi.Settings {
			fmt.Fprintln(h, s.Key, s.Value)
		}
	}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			fmt.Fprintln(h, exe, st.Size(), st.ModTime().UnixNano())
		}
	}
	return h.Sum(nil)
}

// key hashes the binary identity, the kind of result and its inputs.
func (c *Cache) key(kind string, inputs [][]byte) string {
	h := sha256.New()
	h.Write(c.id)
	fmt.Fprintf(h, "\x00%s", kind)
	for _, in := range inputs {
		fmt.Fprintf(h, "\x00%d\x00", len(in)) // length-prefixed: no two input lists collide
		h.Write(in)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Get returns the result stored for kind and inputs.
func (c *Cache) Get(kind string, inputs ...[]byte) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	k := c.key(kind, inputs)
	p := filepath.Join(c.dir, k[:2], k)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // used: keep it
	return data, true
}

// Put stores a result, atomically (a reader sees the whole file or none).
func (c *Cache) Put(kind string, value []byte, inputs ...[]byte) {
	if c == nil {
		return
	}
	k := c.key(kind, inputs)
	dir := filepath.Join(c.dir, k[:2])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(value)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, k)); err != nil {
		os.Remove(tmp.Name())
	}
	c.sweep(time.Now())
}

// sweep removes results unused for keepUnused (and temporary files left by a crash), at
// most once per sweepEvery.
func (c *Cache) sweep(now time.Time) {
	mark := filepath.Join(c.dir, sweepMark)
	if st, err := os.Stat(mark); err == nil && now.Sub(st.ModTime()) < sweepEvery {
		return
	}
	if f, err := os.Create(mark); err == nil {
		f.Close()
	}
	_ = os.Chtimes(mark, now, now)
	_ = filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == sweepMark {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		age := now.Sub(info.ModTime())
		if age > keepUnused || (strings.HasPrefix(d.Name(), ".tmp-") && age > time.Hour) {
			os.Remove(p)
		}
		return nil
	})
}

// Dir is where the cache keeps its files.
func (c *Cache) Dir() string { return c.dir }

// Records are the results of many inputs kept as one file (one read and one write per
// run where a file per result would cost one each): values by a 32-byte key that the
// caller derives from what each value depends on.
type Records map[[sha256.Size]byte][]byte

// GetRecords returns the records stored for kind and inputs; a damaged set reads as none.
func (c *Cache) GetRecords(kind string, inputs ...[]byte) Records {
	b, ok := c.Get(kind, inputs...)
	if !ok {
		return nil
	}
	out := Records{}
	for len(b) > 0 {
		if len(b) < sha256.Size+1 {
			return nil
		}
		k := [sha256.Size]byte(b[:sha256.Size])
		n, w := binary.Uvarint(b[sha256.Size:])
		b = b[sha256.Size+max(w, 0):]
		if w <= 0 || n > uint64(len(b)) {
			return nil
		}
		out[k] = b[:n:n]
		b = b[n:]
	}
	return out
}

// PutRecords stores records (sorted by key, so equal sets give equal bytes).
func (c *Cache) PutRecords(kind string, records Records, inputs ...[]byte) {
	if c == nil {
		return
	}
	keys := make([][sha256.Size]byte, 0, len(records))
	size := 0
	for k, v := range records {
		keys = append(keys, k)
		size += sha256.Size + binary.MaxVarintLen64 + len(v)
	}
	slices.SortFunc(keys, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	b := make([]byte, 0, size)
	for _, k := range keys {
		b = append(b, k[:]...)
		b = binary.AppendUvarint(b, uint64(len(records[k])))
		b = append(b, records[k]...)
	}
	c.Put(kind, b, inputs...)
}
