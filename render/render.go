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

// Options configure a render (frontend.Run with Options.Output). Each field names its flag.
type Options struct {
	// Expand also writes the Applications each ApplicationSet will generate (--expand).
	Expand bool
	// AllowDeletions lets a render remove previewed Applications that are on disk (--allow-deletions).
	AllowDeletions bool
	// Incremental reuses, from the result cache (frontend.Options.Cache), the files of
	// entries rendered before with the same inputs (incremental.go); their objects are
	// then not in Result.Objects.
	Incremental bool
	// FilesOnly lets each object go once it is encoded, and Result.Objects is nil: a
	// large render's peak then holds its files and not also all of its objects (what
	// render -o needs; apply and the other commands keep the objects).
	FilesOnly bool
}

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

// Plan is a render's part before compiling: which entries' files the result cache holds
// (with Options.Incremental), so that only the rest is compiled. frontend.Run makes one
// for render and hands its Todo to the compile every command shares.
type Plan struct {
	opts     Options
	cache    *diskcache.Cache
	cfg      *config.Config
	keys     map[string][sha256.Size]byte
	reused   map[string][]encoded
	location []byte
	bundle   diskcache.Records
	// Todo is the config without the entries taken from the cache: what must be compiled.
	Todo *config.Config
}

// NewPlan looks up in cache (nil: none), with Options.Incremental, the entries of cfg
// rendered before with the same inputs.
func NewPlan(cfg *config.Config, in config.Input, opts Options, cache *diskcache.Cache) *Plan {
	p := &Plan{opts: opts, cache: cache, cfg: cfg, Todo: cfg}
	if opts.Incremental && cache != nil {
		p.keys = entryKeys(cfg, opts)
		p.location = renderLocation(in, opts)
		p.bundle = cache.GetRecords(bundleKind, p.location)
		p.reused = reuse(p.bundle, p.keys)
		p.Todo = withoutEntries(cfg, p.reused)
	}
	return p
}

// Finish turns the compiled objects of Todo into the render's files: the previews
// (--expand), the encoding, and the reused entries' files; it records this render's
// entries in the cache.
func (p *Plan) Finish(objs []Object) (*Result, error) {
	if p.opts.Expand {
		previews, err := Expand(p.Todo)
		if err != nil {
			return nil, err
		}
		objs = append(objs, previews...)
	}
	encs, err := encodeObjects(objs, p.opts.FilesOnly)
	if err != nil {
		return nil, err
	}
	if p.opts.FilesOnly {
		objs = nil
	}
	if p.keys != nil {
		remember(p.cache, p.location, p.keys, p.bundle, p.reused, encs)
		for _, k := range slices.Sorted(maps.Keys(p.reused)) { // a stable order for messages
			encs = append(encs, p.reused[k]...)
		}
	}
	files, err := assemble(encs)
	if err != nil {
		return nil, err
	}
	return &Result{Config: p.cfg, Objects: objs, Files: files, Reused: len(p.reused)}, nil
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
