package diskcache

import "testing"

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
