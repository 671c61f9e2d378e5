package config

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Limits bound what reading one config may cost: a config directory is untrusted input
// (appflowc runs in CI on pull requests), and a small file can ask for unbounded work. An
// exceeded limit is a diagnostic at the file that exceeded it, naming the limit and the
// flag that raises it. Zero fields take DefaultLimits' values.
type Limits struct {
	// MaxFileSize bounds each file read: config files, Jsonnet imports (--max-file-size).
	MaxFileSize int64
	// MaxTotalSize bounds all files read for one config together, and what Jsonnet
	// evaluation may produce (--max-total-size).
	MaxTotalSize int64
	// MaxDepth bounds how deeply values nest, in every format (--max-depth).
	MaxDepth int
	// EvalTimeout bounds each evaluation of CUE or Jsonnet (--max-eval-time).
	EvalTimeout time.Duration
	// EvalMemory bounds the memory of each evaluation of CUE or Jsonnet (--max-eval-memory).
	EvalMemory int64
}

// MaxDepthCeiling is as far as MaxDepth may be raised: the parsers appflowc runs in its
// own process (YAML, CUE's) recurse per level, and CUE's slows down sharply on long
// label chains ("a: b: c: …": 200,000 of them took ten minutes); a thousand levels is
// far beyond any real config and far below any trouble.
const MaxDepthCeiling = 1000

// DefaultLimits are generous for real configs and small enough that no input can exhaust
// a CI runner. The largest config make bench generates, 100,000 entries, is about 14 MB
// of YAML over 2,000 files (60,000 entries in one 8 MB file vet in 40 s and 850 MB: the
// cost of the entries, not of reading them); the deepest value in any example or test
// config nests 12 levels. Parsing YAML takes about 40 times the file's size in memory,
// so 64 MiB of input bounds reading to a few GB at worst; evaluation gets 2 GiB and a
// minute, a hundred times what the examples take.
func DefaultLimits() Limits {
	return Limits{
		MaxFileSize:  16 << 20,
		MaxTotalSize: 64 << 20,
		MaxDepth:     100,
		EvalTimeout:  60 * time.Second,
		EvalMemory:   2 << 30,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.EvalTimeout <= 0 {
		l.EvalTimeout = d.EvalTimeout
	}
	if l.EvalMemory <= 0 {
		l.EvalMemory = d.EvalMemory
	}
	return l
}

// readBudget counts the bytes read for one config against MaxTotalSize.
type readBudget struct {
	limit int64
	used  atomic.Int64
}

// take accounts n more bytes; false once the total passes the limit.
func (b *readBudget) take(n int) bool {
	if b == nil {
		return true
	}
	return b.used.Add(int64(n)) <= b.limit
}

// bytesText writes a size as people read it: 16 MiB, 1.5 GiB, 200 KiB.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
