package diskcache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestKeysCoverEverything(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, []byte("build-1"))
	c.Put("kind", []byte("value"), []byte("ab"), []byte("c"))
	if v, ok := c.Get("kind", []byte("ab"), []byte("c")); !ok || string(v) != "value" {
		t.Fatalf("round trip: %q %v", v, ok)
	}
	for name, miss := range map[string]func() bool{
		"other build":        func() bool { _, ok := New(dir, []byte("build-2")).Get("kind", []byte("ab"), []byte("c")); return ok },
		"other kind":         func() bool { _, ok := c.Get("kind2", []byte("ab"), []byte("c")); return ok },
		"other split":        func() bool { _, ok := c.Get("kind", []byte("a"), []byte("bc")); return ok },
		"joined inputs":      func() bool { _, ok := c.Get("kind", []byte("abc")); return ok },
		"one byte different": func() bool { _, ok := c.Get("kind", []byte("ab"), []byte("d")); return ok },
	} {
		if miss() {
			t.Errorf("%s: hit", name)
		}
	}
	var none *Cache
	none.Put("kind", []byte("v"))
	if _, ok := none.Get("kind"); ok {
		t.Error("nil cache hit")
	}
}

func TestOpenHonoursNoCache(t *testing.T) {
	t.Setenv("APPFLOWC_NO_CACHE", "1")
	if Open() != nil {
		t.Fatal("APPFLOWC_NO_CACHE set, yet a cache was opened")
	}
	t.Setenv("APPFLOWC_NO_CACHE", "")
	t.Setenv("APPFLOWC_CACHE_DIR", t.TempDir())
	if Open() == nil {
		t.Fatal("no cache with APPFLOWC_CACHE_DIR set")
	}
}

// TestSweepRemovesUnusedResults: a result unused for two weeks goes at the next sweep; one
// read meanwhile stays; sweeps happen at most once a day.
func TestSweepRemovesUnusedResults(t *testing.T) {
	c := New(t.TempDir(), []byte("id"))
	c.Put("k", []byte("old"), []byte("a"))
	c.Put("k", []byte("used"), []byte("b"))
	path := func(in string) string {
		k := c.key("k", [][]byte{[]byte(in)})
		return filepath.Join(c.Dir(), k[:2], k)
	}
	month := time.Now().Add(-30 * 24 * time.Hour)
	for _, in := range []string{"a", "b"} {
		if err := os.Chtimes(path(in), month, month); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.Get("k", []byte("b")); !ok { // used: refreshed
		t.Fatal("miss")
	}
	// The Puts above swept already: a sweep within the day does nothing.
	c.sweep(time.Now())
	if _, err := os.Stat(path("a")); err != nil {
		t.Fatal("swept twice in one day")
	}
	c.sweep(time.Now().Add(25 * time.Hour))
	if _, err := os.Stat(path("a")); !os.IsNotExist(err) {
		t.Errorf("a result unused for a month survived the sweep: %v", err)
	}
	if data, ok := c.Get("k", []byte("b")); !ok || string(data) != "used" {
		t.Error("a result used since was swept")
	}
}

// TestRecordsRoundTrip: a set of records reads back as stored (empty values included);
// a damaged set reads as none.
func TestRecordsRoundTrip(t *testing.T) {
	c := New(t.TempDir(), []byte("id"))
	in := Records{{1}: []byte("one"), {2}: nil, {3}: []byte("three\x00")}
	c.PutRecords("r", in, []byte("loc"))
	out := c.GetRecords("r", []byte("loc"))
	if len(out) != 3 || string(out[[32]byte{1}]) != "one" || len(out[[32]byte{2}]) != 0 || string(out[[32]byte{3}]) != "three\x00" {
		t.Fatalf("read back %q", out)
	}
	if _, ok := out[[32]byte{2}]; !ok {
		t.Fatal("the empty record is missing")
	}
	data, _ := c.Get("r", []byte("loc"))
	c.Put("r", data[:len(data)-2], []byte("loc"))
	if out := c.GetRecords("r", []byte("loc")); out != nil {
		t.Fatalf("a truncated set read as %q", out)
	}
}
