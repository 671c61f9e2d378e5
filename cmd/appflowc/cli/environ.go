package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// environ is the environment one run reads (APPFLOWC_*, NO_COLOR, HOME, KUBECONFIG,
// secrets' fromEnv): the process's for Main, a given list for RunEnv, so that runs in
// one process (tests, side by side) neither share nor change each other's.
type environ func(key string) (string, bool)

type environKey struct{}

func withEnviron(ctx context.Context, e environ) context.Context {
	return context.WithValue(ctx, environKey{}, e)
}

// lookupEnv reads key from the run's environment (the process's when none was set).
func lookupEnv(ctx context.Context, key string) (string, bool) {
	if e, ok := ctx.Value(environKey{}).(environ); ok {
		return e(key)
	}
	return os.LookupEnv(key)
}

func getenv(ctx context.Context, key string) string {
	v, _ := lookupEnv(ctx, key)
	return v
}

// environList makes an environ of KEY=VALUE pairs (later ones win, as in exec.Cmd.Env).
func environList(kv []string) environ {
	m := make(map[string]string, len(kv))
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			m[k] = v
		}
	}
	return func(key string) (string, bool) { v, ok := m[key]; return v, ok }
}

// resultCache is the run's result cache ($APPFLOWC_CACHE_DIR, else the user cache dir
// under appflowc/results, derived from the run's HOME and XDG_CACHE_HOME; none with
// APPFLOWC_NO_CACHE).
func resultCache(ctx context.Context) *diskcache.Cache {
	if getenv(ctx, "APPFLOWC_NO_CACHE") != "" {
		return nil
	}
	dir := getenv(ctx, "APPFLOWC_CACHE_DIR")
	if dir == "" {
		base := getenv(ctx, "XDG_CACHE_HOME")
		if base == "" {
			home := getenv(ctx, "HOME")
			if home == "" {
				return nil
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "appflowc", "results")
	}
	return diskcache.OpenDir(dir)
}

// secretSource reads secret values from the run's environment and the file system.
func secretSource(ctx context.Context, baseDir string) apply.SecretSource {
	src := apply.OSSecretSource(baseDir)
	src.LookupEnv = func(k string) (string, bool) { return lookupEnv(ctx, k) }
	return src
}

// frontendOptions are the pipeline's options of this run: its result cache and the
// --schema every command that reads a config takes.
func frontendOptions(ctx context.Context, cmd *cobra.Command) frontend.Options {
	schema, _ := cmd.Flags().GetBool("schema")
	return frontend.Options{Cache: resultCache(ctx), Schema: schema}
}

// compileConfig runs a config through the front half every command shares (vet's
// checks, compile, Argo's validation) with frontendOptions; it writes nothing.
func compileConfig(ctx context.Context, cmd *cobra.Command, in config.Input) (*frontend.Result, error) {
	return frontend.Run(ctx, in, frontendOptions(ctx, cmd))
}
