package render

import (
	"crypto/sha256"
	"errors"
	"strconv"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/par"
)

// Incremental render: the files of an application, applicationSet or infra entry are a
// function of that entry's data, the file it is written in (its name reaches the
// output), the rest of the config outside the three entry sections (appflow settings,
// user templates, pipelines…) and the flags. So they are kept in the result cache under
// a hash of exactly those, and an entry whose key is found is neither built, validated
// nor encoded again. The cache key also covers the binary (diskcache), hence the library
// and the schemas. Whatever could make an entry's files depend on more is not cached:
// patches (they may select any object) and, with --expand, ApplicationSets whose preview
// reads a local checkout.

// entryKeys returns the key hash of each cacheable entry, by entry path.
func entryKeys(cfg *config.Config, opts Options) map[string][sha256.Size]byte {
	root := cfg.Tree.Root
	if len(cfg.Patches) > 0 || root == nil {
		return nil
	}
	global := []byte("expand=" + strconv.FormatBool(opts.Expand) + "\n")
	for _, f := range root.Fields {
		if !config.IsEntrySection(f.Key) {
			global = f.Value.AppendCanonical(appendKey(global, f.Key))
		}
	}
	globalSum := sha256.Sum256(global)
	entries := map[string]*config.Node{} // by path
	for _, sec := range root.Fields {
		if config.IsEntrySection(sec.Key) && sec.Value.Kind == config.Map {
			for _, f := range sec.Value.Fields {
				entries[sec.Key+"."+f.Key] = f.Value
			}
		}
	}
	rel := map[string]string{} // display path -> Rel (Tree.RelPath searches the files)
	for _, f := range cfg.Tree.Files {
		rel[f.Display] = f.Rel
	}
	type entry struct{ path, file string }
	var todo []entry
	for _, a := range cfg.Applications {
		todo = append(todo, entry{"applications." + a.Name, a.Pos.File})
	}
	for _, a := range cfg.ApplicationSets {
		if opts.Expand && a.Git != nil && a.Git.Checkout != "" {
			continue
		}
		todo = append(todo, entry{"applicationSets." + a.Name, a.Pos.File})
	}
	for _, in := range cfg.Infra {
		todo = append(todo, entry{"infra." + in.Name, in.Pos.File})
	}
	// Each entry's key is its own canonical form hashed: on every core.
	sums := make([]*[sha256.Size]byte, len(todo))
	par.Each(len(todo), func(i int) {
		n := entries[todo[i].path]
		if n == nil {
			return // not where the decoder found it: leave it uncached
		}
		r, ok := rel[todo[i].file]
		if !ok {
			r = todo[i].file // as Tree.RelPath
		}
		sum := keyHash([][]byte{globalSum[:], []byte(todo[i].path), []byte(r), n.AppendCanonical(nil)})
		sums[i] = &sum
	})
	keys := make(map[string][sha256.Size]byte, len(todo))
	for i, e := range todo {
		if sums[i] != nil {
			keys[e.path] = *sums[i]
		}
	}
	return keys
}

func appendKey(b []byte, k string) []byte {
	return append(append(strconv.AppendInt(b, int64(len(k)), 10), ':'), k...)
}

// The entries' files are kept as one bundle per render location (the config paths and
// flags), holding exactly the entries of the last render there, each under the hash of
// its key: one read and one write per render instead of one per entry (10,000 cache
// files made a first render with the cache twice as slow as one without), and the
// cache does not grow with every edit. A record is used only when its hash equals the
// entry's key hash, so the location is a hint, never a source of wrong output.

// bundleKind names the bundles in the result cache.
const bundleKind = "render-entries/v2"

func keyHash(key [][]byte) [sha256.Size]byte {
	h := sha256.New()
	for _, part := range key {
		h.Write(appendKey(nil, string(part)))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// reuse returns the files of the entries whose key hash is in the bundle.
func reuse(bundle diskcache.Records, hashes map[string][sha256.Size]byte) map[string][]encoded {
	found := map[string][]encoded{}
	for p, h := range hashes {
		rec, ok := bundle[h]
		if !ok {
			continue
		}
		encs, err := decodeEntryFiles(rec, p)
		if err != nil {
			continue // unreadable: render it again
		}
		found[p] = encs
	}
	return found
}

// remember stores the bundle of this render: every cacheable entry's files, as found in
// the old bundle or newly rendered.
func remember(cache *diskcache.Cache, location []byte, hashes map[string][sha256.Size]byte, old diskcache.Records, reused map[string][]encoded, encs []encoded) {
	byEntry := map[string][]encoded{}
	for _, e := range encs {
		if _, ok := hashes[e.Entry]; ok {
			byEntry[e.Entry] = append(byEntry[e.Entry], e)
		}
	}
	records := make(diskcache.Records, len(hashes))
	for p, h := range hashes {
		if _, ok := reused[p]; ok {
			records[h] = old[h]
		} else {
			records[h] = encodeEntryFiles(byEntry[p])
		}
	}
	cache.PutRecords(bundleKind, records, location)
}

// withoutEntries is cfg without the entries in skip (a shallow copy: the rest is shared).
func withoutEntries(cfg *config.Config, skip map[string][]encoded) *config.Config {
	if len(skip) == 0 {
		return cfg
	}
	c := *cfg
	c.Applications, c.ApplicationSets, c.Infra = nil, nil, nil
	for _, a := range cfg.Applications {
		if _, ok := skip["applications."+a.Name]; !ok {
			c.Applications = append(c.Applications, a)
		}
	}
	for _, a := range cfg.ApplicationSets {
		if _, ok := skip["applicationSets."+a.Name]; !ok {
			c.ApplicationSets = append(c.ApplicationSets, a)
		}
	}
	for _, in := range cfg.Infra {
		if _, ok := skip["infra."+in.Name]; !ok {
			c.Infra = append(c.Infra, in)
		}
	}
	return &c
}

// encodeEntryFiles is the stored form of an entry's files: for each, its path, ID, flags
// and bytes, length-prefixed.
func encodeEntryFiles(encs []encoded) []byte {
	var b []byte
	for _, e := range encs {
		flags := byte('0')
		if e.Workflow {
			flags |= 1
		}
		if e.Preview {
			flags |= 2
		}
		b = appendKey(appendKey(append(appendKey(b, e.Path), flags), e.ID), string(e.Data))
	}
	return b
}

var errBadEntry = errors.New("malformed entry cache record")

func decodeEntryFiles(b []byte, entry string) ([]encoded, error) {
	var out []encoded
	next := func() ([]byte, bool) {
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(b) || b[i] != ':' {
			return nil, false
		}
		n, err := strconv.Atoi(string(b[:i]))
		if err != nil || n > len(b)-i-1 {
			return nil, false
		}
		s := b[i+1 : i+1+n : i+1+n]
		b = b[i+1+n:]
		return s, true
	}
	for len(b) > 0 {
		p, ok := next()
		if !ok || len(b) == 0 {
			return nil, errBadEntry
		}
		flags := b[0]
		b = b[1:]
		id, ok1 := next()
		data, ok2 := next() // shares the bundle's memory, which nothing writes to
		if !ok1 || !ok2 || flags&^3 != '0' {
			return nil, errBadEntry
		}
		out = append(out, encoded{File: File{Path: string(p), Data: data}, ID: string(id), Entry: entry, Workflow: flags&1 != 0, Preview: flags&2 != 0})
	}
	return out, nil
}
