package config

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"sync"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// fileMemo keeps what reading each file gave, across runs, so that an incremental render
// re-reads only the files that changed: for YAML and JSON, the documents of a file; for
// CUE read as data, its package name, its labels and its tree. Reading such a file
// depends on nothing but its bytes and its name (the CUE data reader is per file; a file
// whose reading consulted the other files' labels is not kept), so the key is a hash of
// those, and the binary's identity (diskcache). All records of one config are kept in
// one cache entry per config location, replaced by each run: one read and one write.
type fileMemo struct {
	cache    *diskcache.Cache
	location []byte

	mu      sync.Mutex
	old     diskcache.Records // records found, by file key
	records diskcache.Records // this run's, written by save
	dirty   bool
}

// memoKind names the record sets in the result cache.
const memoKind = "config-files/v2"

func newFileMemo(cache *diskcache.Cache, location []byte) *fileMemo {
	old := cache.GetRecords(memoKind, location)
	if old == nil {
		old = diskcache.Records{}
	}
	return &fileMemo{cache: cache, location: location, old: old, records: diskcache.Records{}}
}

func fileKey(kind string, f File) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(f.Display))
	h.Write([]byte{0})
	h.Write(f.Data)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// get returns the record of f, and keeps it for the next run.
func (m *fileMemo) get(kind string, f File) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	k := fileKey(kind, f)
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.old[k]
	if ok {
		m.records[k] = rec
	}
	return rec, ok
}

func (m *fileMemo) put(kind string, f File, rec []byte) {
	if m == nil {
		return
	}
	k := fileKey(kind, f)
	m.mu.Lock()
	m.records[k] = rec
	m.dirty = true
	m.mu.Unlock()
}

// save writes this run's records (those of the files read now), when any is new or
// any old one is no longer used.
func (m *fileMemo) save() {
	if m == nil || (!m.dirty && len(m.records) == len(m.old)) {
		return
	}
	m.cache.PutRecords(memoKind, m.records, m.location)
}

// A record is a sequence of strings and nodes in a compact binary form; positions in the
// record's own file are stored without the file name.

type recordWriter struct {
	b    []byte
	file string
}

func (w *recordWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recordWriter) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }

func (w *recordWriter) pos(p diag.Pos) {
	switch {
	case p == diag.Pos{}:
		w.b = append(w.b, 0)
	case p.File == w.file:
		w.b = append(w.b, 1)
		w.uint(uint64(p.Line))
		w.uint(uint64(p.Col))
	default:
		w.b = append(w.b, 2)
		w.str(p.File)
		w.uint(uint64(p.Line))
		w.uint(uint64(p.Col))
	}
}

func (w *recordWriter) node(n *Node) {
	var flags byte
	if n.evaluated {
		flags = 1
	}
	w.b = append(w.b, byte(n.Kind), flags)
	w.pos(n.Pos)
	w.pos(n.brace)
	switch n.Kind {
	case Bool:
		if n.Bool {
			w.b = append(w.b, 1)
		} else {
			w.b = append(w.b, 0)
		}
	case Int:
		w.b = binary.AppendVarint(w.b, n.Int)
	case Float:
		w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(n.Float))
	case String:
		w.str(n.Str)
	case Map:
		w.uint(uint64(len(n.Fields)))
		for _, f := range n.Fields {
			w.str(f.Key)
			w.pos(f.KeyPos)
			w.node(f.Value)
		}
	case List:
		w.uint(uint64(len(n.Items)))
		for _, it := range n.Items {
			w.node(it)
		}
	}
}

var errBadRecord = errors.New("malformed file record")

type recordReader struct {
	b    []byte
	file string
	err  error
}

func (r *recordReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of elements to follow; each takes at least a byte, so a larger
// one is damage (and must not size an allocation).
func (r *recordReader) count() uint64 {
	c := r.uint()
	if c > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return c
}

func (r *recordReader) fail() {
	r.err, r.b = errBadRecord, nil
}

func (r *recordReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *recordReader) str() string {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *recordReader) pos() diag.Pos {
	switch r.byte() {
	case 0:
		return diag.Pos{}
	case 1:
		return diag.Pos{File: r.file, Line: int(r.uint()), Col: int(r.uint())}
	case 2:
		f := r.str()
		return diag.Pos{File: f, Line: int(r.uint()), Col: int(r.uint())}
	}
	r.fail()
	return diag.Pos{}
}

func (r *recordReader) node(depth int) *Node {
	if depth > 1000 || r.err != nil {
		r.fail()
		return &Node{}
	}
	n := &Node{Kind: Kind(r.byte())}
	n.evaluated = r.byte() == 1
	n.Pos, n.brace = r.pos(), r.pos()
	switch n.Kind {
	case Null:
	case Bool:
		n.Bool = r.byte() == 1
	case Int:
		v, k := binary.Varint(r.b)
		if k <= 0 {
			r.fail()
			break
		}
		n.Int, r.b = v, r.b[k:]
	case Float:
		if len(r.b) < 8 {
			r.fail()
			break
		}
		n.Float, r.b = math.Float64frombits(binary.BigEndian.Uint64(r.b)), r.b[8:]
	case String:
		n.Str = r.str()
	case Map:
		c := r.count()
		n.Fields = make([]*Field, 0, c)
		for range c {
			f := &Field{Key: r.str(), KeyPos: r.pos()}
			f.Value = r.node(depth + 1)
			n.Fields = append(n.Fields, f)
		}
	case List:
		c := r.count()
		n.Items = make([]*Node, 0, c)
		for range c {
			n.Items = append(n.Items, r.node(depth+1))
		}
	default:
		r.fail()
	}
	return n
}

// cueRecord is a CUE file read as data: its package name, labels and tree.
func cueRecord(file, pkg string, labels []string, n *Node) []byte {
	w := &recordWriter{file: file}
	w.str(pkg)
	w.uint(uint64(len(labels)))
	for _, l := range labels {
		w.str(l)
	}
	w.node(n)
	return w.b
}

func readCUERecord(rec []byte, file string) (pkg string, labels []string, n *Node, err error) {
	r := &recordReader{b: rec, file: file}
	pkg = r.str()
	for range r.count() {
		labels = append(labels, r.str())
	}
	n = r.node(0)
	if r.err != nil || len(r.b) != 0 {
		return "", nil, nil, errBadRecord
	}
	return pkg, labels, n, nil
}

// yamlRecord is a YAML or JSON file's documents.
func yamlRecord(file string, docs []*Node) []byte {
	w := &recordWriter{file: file}
	w.uint(uint64(len(docs)))
	for _, d := range docs {
		w.node(d)
	}
	return w.b
}

func readYAMLRecord(rec []byte, file string) ([]*Node, error) {
	r := &recordReader{b: rec, file: file}
	c := r.count()
	docs := make([]*Node, 0, c)
	for range c {
		docs = append(docs, r.node(0))
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errBadRecord
	}
	return docs, nil
}
