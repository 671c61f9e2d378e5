package cli_test

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

var update = flag.Bool("update", false, "rewrite testscript expectations (make golden)")

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{"appflowc": cli.Main}))
}

// TestScripts runs the CLI scripts in testdata/script: each holds its inputs and the
// exact expected output, as cue-lang/cue tests its CLI.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}
