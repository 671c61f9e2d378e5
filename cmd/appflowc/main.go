// Command appflowc compiles GitOps configs into Argo Workflows manifests.
package main

import (
	"os"
	"runtime/debug"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

// The collector's pacing (make bench, 2-core VM): at GOGC=200 a 10,000-entry render
// collects half as often as at Go's default (0.39 s instead of 0.44 s) and peaks
// under 200 MB; the soft limit keeps a 100,000-entry render's peak under 1 GB (about
// 890 MB) by collecting more often as the heap nears it, without the collector
// running all the time that a lower limit caused (a 224 MiB limit made that render
// 3x slower). GOGC and GOMEMLIMIT override them.
const (
	gcPercent       = 200
	softMemoryLimit = 800 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	os.Exit(cli.Main())
}
