// Command gen regenerates cue/argo/argo.cue from the argo-workflows module this
// repository depends on (go generate ./cue/argo).
package main

import (
	"fmt"
	"os"

	"github.com/appflowc/appflowc/cue/argo"
)

func main() {
	schema, version, err := argo.ModuleSchema()
	if err == nil {
		var src []byte
		if src, err = argo.Generate(schema, version); err == nil {
			err = os.WriteFile(argo.FileName, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
