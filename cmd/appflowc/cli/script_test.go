package cli_test

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

var update = flag.Bool("update", false, "rewrite testscript expectations (make golden)")

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(homeTrap{m}, map[string]func() int{"appflowc": cli.Main}))
}

// homeTrap runs the tests (not the appflowc subprocesses of scripts, which get the
// environment testscript builds) with the process's home, cache and config pointed at an
// empty directory, and fails the run if anything lands there. Every in-process run must
// bring an environment of its own (cli.RunEnv) and every script a cache of its own
// (TestScripts' Setup): a run that falls back to the process's environment would
// otherwise read and write the user's real ~/.cache/appflowc and ~/.config/appflowc.
type homeTrap struct{ m *testing.M }

func (h homeTrap) Run() int {
	trap, err := os.MkdirTemp("", "appflowc-home-trap-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "home trap:", err)
		return 1
	}
	defer os.RemoveAll(trap)
	for _, k := range []string{"APPFLOWC_CACHE_DIR", "APPFLOWC_NO_CACHE", "APPFLOWC_CONFIG", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"} {
		os.Unsetenv(k)
	}
	cli.RealHome = os.Getenv("HOME") // for the go command only (TestArgoExamplesThroughTheCLI)
	os.Setenv("HOME", trap)
	code := h.m.Run()
	var landed []string
	_ = filepath.WalkDir(trap, func(p string, d fs.DirEntry, err error) error {
		if p != trap {
			landed = append(landed, p)
		}
		return nil
	})
	if len(landed) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: tests wrote %d files into the process's HOME instead of one of their own (use cli.RunEnv), first:\n%v\n",
			len(landed), landed[:min(len(landed), 5)])
		return 1
	}
	return code
}

// TestScripts runs the CLI scripts in testdata/script: each holds its inputs and the
// exact expected output, as cue-lang/cue tests its CLI.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		// testscript's HOME is /no-home, which a test run as root creates and every
		// script (of every checkout on the machine) would share: each script gets a home
		// and a result cache of its own in $WORK.
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
			env.Setenv("APPFLOWC_CACHE_DIR", filepath.Join(env.WorkDir, ".cache"))
			return nil
		},
	})
}
