// Package confine reads untrusted directory trees: an FS confined to one root directory
// (os.Root: no path, "..", or symbolic link may leave it), opening only regular files and
// directories (a FIFO, device or socket is refused before it is read, so none can block
// or stream forever), and a bounded reader for file contents.
package confine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// ErrOutside is wrapped by errors for paths that leave the root.
var ErrOutside = errors.New("outside the root")

// ErrNotRegular is wrapped by errors for files that are neither regular files nor
// directories.
var ErrNotRegular = errors.New("not a regular file")

// FS is a read-only fs.FS of one directory tree. It implements fs.StatFS and
// fs.ReadDirFS; ReadFile is bounded by Limit.
type FS struct {
	root *os.Root
	dir  string
}

// Open returns the tree under dir. dir itself may be reached through a symbolic link
// (the user named it); nothing under it may lead out.
func Open(dir string) (*FS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &FS{root: r, dir: dir}, nil
}

// Dir is the directory the FS was opened at, as given.
func (f *FS) Dir() string { return f.dir }

// Close releases the root's file descriptor.
func (f *FS) Close() error { return f.root.Close() }

// Open opens name (a slash path relative to the root) for reading. O_NONBLOCK keeps a
// FIFO from blocking the open; anything but a regular file or a directory is then
// refused.
func (f *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: invalid(name)}
	}
	file, err := f.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, translate("open", name, err)
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(st.Mode()))}
	}
	return file, nil
}

// Stat describes name, following symbolic links inside the root.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: invalid(name)}
	}
	st, err := f.root.Stat(name)
	if err != nil {
		return nil, translate("stat", name, err)
	}
	return st, nil
}

// ReadDir lists the directory name, sorted by file name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	d, ok := file.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	ents, err := d.ReadDir(-1)
	sortEntries(ents)
	return ents, err
}

// invalid explains why name is not a path inside the root.
func invalid(name string) error {
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("%w: absolute paths are not allowed", ErrOutside)
	}
	if name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("%w: the path climbs above it", ErrOutside)
	}
	return fs.ErrInvalid
}

// translate turns os.Root's escape errors into ErrOutside.
func translate(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes from parent") {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: the path or a symbolic link in it leads out", ErrOutside)}
	}
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "absolute") {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: an absolute symbolic link", ErrOutside)}
	}
	return err
}

// Kind names what a file that is not a regular file is, for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return m.String()
}

func sortEntries(ents []fs.DirEntry) {
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}

// ErrTooLarge is wrapped by ReadFile's error for a file over its limit.
var ErrTooLarge = errors.New("larger than the limit")

// ReadFile reads name from fsys, refusing anything but a regular file and any file
// larger than limit bytes (it reads at most limit+1 bytes, whatever the file claims).
func ReadFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(st.Mode()))}
	}
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, st.Size(), limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)}
	}
	return data, nil
}
