package outdir

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/manifest"
)

// UpdateOptions shape Update.
type UpdateOptions struct {
	// Check compares instead of writing (render --check): the result's Drift says how
	// the directory differs from files.
	Check bool
	// Guard, when set, may refuse the update given the paths on disk (render's guard
	// against removing previewed Applications); its error is returned as it is.
	Guard func(existing []string) error
	// Cache keeps the stamps of the files written, so that the next update links the
	// unchanged ones (nil: none).
	Cache *diskcache.Cache
}

// UpdateResult is what Update found and did.
type UpdateResult struct {
	// Existed reports whether the directory held a render before.
	Existed bool
	// Drift is the comparison (Check only).
	Drift Drift
}

// ForeignFilesError is a directory holding files render does not write: replacing it
// would remove them.
type ForeignFilesError struct {
	Dir   string
	Paths []string
}

func (e *ForeignFilesError) Error() string {
	shown, more := e.Paths, ""
	if len(shown) > 5 {
		shown, more = shown[:5], fmt.Sprintf(" and %d more", len(shown)-5)
	}
	quoted := make([]string, len(shown))
	for i, f := range shown {
		quoted[i] = strconv.Quote(f)
	}
	return fmt.Sprintf("refusing to replace %s: it holds files render does not write, which the new render would remove: %s%s (move them out of %s)",
		e.Dir, strings.Join(quoted, ", "), more, e.Dir)
}

// Update is render's sequence on its output directory: refuse a symbolic link or a
// directory render did not write (CheckOutputPath), list what is there (refusing a
// directory with files render does not write), let Guard refuse, then compare (Check)
// or write files atomically, reusing the unchanged ones.
func Update(ctx context.Context, dir string, files []manifest.File, opts UpdateOptions) (UpdateResult, error) {
	var res UpdateResult
	// The directory itself first (not a symbolic link, written by render), before
	// anything walks it: "-o /" is a refusal, not a walk of the whole file system.
	if err := CheckOutputPath(filepath.Clean(dir)); err != nil {
		return res, err
	}
	existing, err := ListDir(dir) // only --check needs the old bytes; a write the names
	if err != nil {
		return res, err
	}
	res.Existed = len(existing) > 0
	if foreign := ForeignFiles(existing); len(foreign) > 0 {
		return res, &ForeignFilesError{Dir: dir, Paths: foreign}
	}
	if opts.Guard != nil {
		if err := opts.Guard(existing); err != nil {
			return res, err
		}
	}
	if opts.Check {
		old, err := readForCompare(dir, files)
		if err != nil {
			return res, err
		}
		res.Drift = Compare(files, old)
		return res, nil
	}
	return res, WriteDirReusing(ctx, dir, files, opts.Cache)
}
