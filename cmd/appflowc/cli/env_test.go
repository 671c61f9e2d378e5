package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// testEnv is the environment of an in-process run for t (RunEnv): a HOME and a result
// cache of t's own, then kv, and nothing of the process's, so no test reads or writes
// the user's real cache or config, and tests side by side share nothing.
func testEnv(t *testing.T, kv ...string) []string {
	t.Helper()
	home := t.TempDir()
	return append([]string{"HOME=" + home, "APPFLOWC_CACHE_DIR=" + filepath.Join(home, ".cache", "appflowc")}, kv...)
}

// runIn runs the CLI in-process in env, piped, and returns its exit code and streams.
func runIn(ctx context.Context, env []string, args ...string) (int, string, string) {
	var o, e bytes.Buffer
	code := RunEnv(ctx, args, env, &o, &e)
	return code, o.String(), e.String()
}
