package render

import (
	"crypto/sha256"
	"errors"
	"runtime"
	"strconv"
	"sync"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// entryCacheKind names the entry cache's results; bump the version when the stored form
// or what a key covers changes.
const entryCacheKind = "render-entry/v1"

// Incremental render: the files of an application, applicationSet or infra entry are a
// function of that entry's data, the file it is written in (its name reaches the
// output), the rest of the config outside the three entry sections (appflow settings,
// user templates, pipelines…) and the flags. So they are kept in the result cache under
// a hash of exactly those, and an entry whose key is found is neither built, validated
// nor encoded again. The cache key also covers the binary (diskcache), hence the library
// and the schemas. Whatever could make an entry's files depend on more is not cached:
// patches (they may select any object) and, with --expand, ApplicationSets whose preview
// reads a local checkout.

// entryKeys returns the cache inputs of each cacheable entry, by entry path.
func entryKeys(cfg *config.Config, opts Options) map[string][][]byte {
	root := cfg.Tree.Root
	if len(cfg.Patches) > 0 || root == nil {
		return nil
	}
	global := []byte("expand=" + strconv.FormatBool(opts.Expand) + "\n")
	for _, f := range root.Fields {
		if !entrySection[f.Key] {
			global = f.Value.AppendCanonical(appendKey(global, f.Key))
		}
	}
	globalSum := sha256.Sum256(global)
	entries := map[string]*config.Node{} // by path: one pass (Get searches large maps linearly)
	for sec := range entrySection {
		if s := root.Get(sec); s != nil && s.Kind == config.Map {
			for _, f := range s.Fields {
				entries[sec+"."+f.Key] = f.Value
			}
		}
	}
	keys := map[string][][]byte{}
	add := func(section, name, file string) {
		n := entries[section+"."+name]
		if n == nil {
			return // not where the decoder found it: leave it uncached
		}
		path := section + "." + name
		keys[path] = [][]byte{globalSum[:], []byte(path), []byte(cfg.Tree.RelPath(file)), n.AppendCanonical(nil)}
	}
	for _, a := range cfg.Applications {
		add("applications", a.Name, a.Pos.File)
	}
	for _, a := range cfg.ApplicationSets {
		if opts.Expand && a.Git != nil && a.Git.Checkout != "" {
			continue
		}
		add("applicationSets", a.Name, a.Pos.File)
	}
	for _, in := range cfg.Infra {
		add("infra", in.Name, in.Pos.File)
	}
	return keys
}

var entrySection = map[string]bool{"applications": true, "applicationSets": true, "infra": true}

func appendKey(b []byte, k string) []byte {
	return append(append(strconv.AppendInt(b, int64(len(k)), 10), ':'), k...)
}

// reuse looks every key up (from several goroutines: each is a file read) and returns
// the files of the entries found.
func reuse(cache *diskcache.Cache, keys map[string][][]byte) map[string][]encoded {
	type job struct {
		path string
		key  [][]byte
	}
	work := make(chan job)
	var mu sync.Mutex
	found := map[string][]encoded{}
	var wg sync.WaitGroup
	for range max(4, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				data, ok := cache.Get(entryCacheKind, j.key...)
				if !ok {
					continue
				}
				encs, err := decodeEntryFiles(data, j.path)
				if err != nil {
					continue // unreadable: render it again
				}
				mu.Lock()
				found[j.path] = encs
				mu.Unlock()
			}
		}()
	}
	for p, k := range keys {
		work <- job{p, k}
	}
	close(work)
	wg.Wait()
	return found
}

// remember stores the files of each freshly rendered cacheable entry.
func remember(cache *diskcache.Cache, keys map[string][][]byte, reused map[string][]encoded, encs []encoded) {
	byEntry := map[string][]encoded{}
	for _, e := range encs {
		if _, ok := keys[e.Entry]; ok {
			byEntry[e.Entry] = append(byEntry[e.Entry], e)
		}
	}
	for p, k := range keys {
		if _, ok := reused[p]; !ok {
			cache.Put(entryCacheKind, encodeEntryFiles(byEntry[p]), k...)
		}
	}
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
	next := func() (string, bool) {
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(b) || b[i] != ':' {
			return "", false
		}
		n, err := strconv.Atoi(string(b[:i]))
		if err != nil || n > len(b)-i-1 {
			return "", false
		}
		s := string(b[i+1 : i+1+n])
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
		data, ok2 := next()
		if !ok1 || !ok2 || flags&^3 != '0' {
			return nil, errBadEntry
		}
		out = append(out, encoded{File: File{Path: p, Data: []byte(data)}, ID: id, Entry: entry, Workflow: flags&1 != 0, Preview: flags&2 != 0})
	}
	return out, nil
}
