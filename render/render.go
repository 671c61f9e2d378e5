package render

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/plural"
)

// Options configure Render. Each field names its flag.
type Options struct {
	// Expand also writes the Applications each ApplicationSet will generate (--expand).
	Expand bool
	// AllowDeletions lets a render remove previewed Applications that are on disk (--allow-deletions).
	AllowDeletions bool
	// Cache keeps the library's evaluation and Argo's verdicts across runs (nil: none).
	Cache *diskcache.Cache
	// Incremental reuses, from Cache, the files of entries rendered before with the same
	// inputs (incremental.go); their objects are then not in Result.Objects.
	Incremental bool
}

// DefaultOptions returns the options of a plain `appflowc render`: with the user's result
// cache (APPFLOWC_NO_CACHE turns it off).
func DefaultOptions() Options { return Options{Cache: diskcache.Open()} }

// Result is a rendered config, in memory.
type Result struct {
	Config *config.Config
	// Objects are the objects compiled by this run: all of them, except with
	// Options.Incremental, where reused entries' objects are absent (their files are in Files).
	Objects []Object
	Files   []File
	// Reused counts the entries whose files came from the cache.
	Reused int
}

// Render loads, validates and compiles a config into files. Config problems (including
// Argo's verdict on the rendered manifests) come back as a diag.List error: render never
// produces output that vet would reject.
func Render(ctx context.Context, in config.Input, opts Options) (*Result, error) {
	if opts.Incremental {
		in.Cache = opts.Cache
	}
	t, err := config.LoadTree(ctx, in)
	if err != nil {
		return nil, err
	}
	cfg, policyDiags := config.DecodeAll(t)
	if cfg == nil {
		return nil, policyDiags
	}
	var keys map[string][sha256.Size]byte
	var reused map[string][]encoded
	var location []byte
	var bundle diskcache.Records
	if opts.Incremental && opts.Cache != nil {
		keys = entryKeys(cfg, opts)
		location = renderLocation(in, opts)
		bundle = opts.Cache.GetRecords(bundleKind, location)
		reused = reuse(bundle, keys)
	}
	todo := withoutEntries(cfg, reused)
	objs, err := Compile(ctx, todo, opts.Cache)
	if err = WithPolicy(policyDiags, err); err != nil {
		return nil, err
	}
	if opts.Expand {
		previews, err := Expand(todo)
		if err != nil {
			return nil, err
		}
		objs = append(objs, previews...)
	}
	encs, err := encodeObjects(objs)
	if err != nil {
		return nil, err
	}
	if keys != nil {
		remember(opts.Cache, location, keys, bundle, reused, encs)
		for _, p := range slices.Sorted(maps.Keys(reused)) { // a stable order for messages
			encs = append(encs, reused[p]...)
		}
	}
	files, err := assemble(encs)
	if err != nil {
		return nil, err
	}
	return &Result{Config: cfg, Objects: objs, Files: files, Reused: len(reused)}, nil
}

// WithPolicy joins the policy's complaints (config.DecodeAll) with what compiling the
// config found (err): the two stages report in one run. Anything but config problems
// (a cancellation, an I/O error) is returned as it is.
func WithPolicy(policy diag.List, err error) error {
	if len(policy) == 0 {
		return err
	}
	var dl diag.List
	if err != nil && !errors.As(err, &dl) {
		return err
	}
	seen := map[string]bool{}
	var out diag.List
	for _, d := range append(append(diag.List{}, policy...), dl...) {
		key := d.Pos.String() + "\x00" + d.Path + "\x00" + d.Msg
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out.Sort()
}

// renderLocation names where a render's bundle is kept: the config's location and the
// flags that shape entries' files (so that two checkouts or two configs do not keep
// replacing each other's bundle).
func renderLocation(in config.Input, opts Options) []byte {
	return append([]byte(fmt.Sprintf("expand=%t\x00", opts.Expand)), in.Location()...)
}

// Compile builds a config's objects, applies its patches and validates the result with
// Argo: the one pipeline that vet, render and apply share, so none can skip a step.
// Problems in the config come back as a diag.List error. cache may be nil.
func Compile(ctx context.Context, cfg *config.Config, cache *diskcache.Cache) ([]Object, error) {
	built, err := Build(ctx, cfg, cache)
	if err != nil {
		return nil, err
	}
	objs, err := ApplyPatches(built, cfg.Patches)
	if err != nil {
		return nil, err
	}
	ds := checkPatched(built, objs, cfg)
	ds = append(ds, Validate(objs, cfg.ExternalTemplates, cache)...)
	if len(ds) > 0 {
		return nil, ds.Sort()
	}
	return objs, nil
}

// DeletionError reports previewed Applications that a render would remove.
type DeletionError struct{ Paths []string }

func (e *DeletionError) Error() string {
	return fmt.Sprintf("this change removes %s: %s; Argo CD would delete them and, with prune, their resources "+
		"(rerun with --allow-deletions if that is intended)", plural.N(len(e.Paths), "generated Application"), strings.Join(e.Paths, ", "))
}

// GuardDeletions fails when files drop previewed Applications present in existing (the
// paths of the files on disk). Without --expand nothing is previewed, so nothing is guarded.
func GuardDeletions(files []File, existing []string, opts Options) error {
	if opts.AllowDeletions || !opts.Expand {
		return nil
	}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
	}
	var gone []string
	for _, p := range existing {
		if strings.HasPrefix(p, previewDir+"/application/") && !want[p] {
			gone = append(gone, p)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	sort.Strings(gone)
	return &DeletionError{Paths: gone}
}

// IsConfigError reports whether err is a problem in the user's config.
func IsConfigError(err error) bool {
	var dl diag.List
	return errors.As(err, &dl)
}
