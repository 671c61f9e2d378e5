package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/confine"
)

// The config directory is untrusted (appflowc runs in CI on pull requests): reading it is
// confined to one root and bounded. These flags say which root, and raise the bounds
// (docs/security.md).

// addInputFlags registers the flags of commands that read a config.
func addInputFlags(cmd *cobra.Command) {
	d := config.DefaultLimits()
	f := cmd.Flags()
	f.String("root", "", "directory that config files and Jsonnet imports may be read from (default: the config's directory)")
	f.Var(&byteSize{d.MaxFileSize}, "max-file-size", "largest config or imported file read")
	f.Var(&byteSize{d.MaxTotalSize}, "max-total-size", "largest total of files read for one config (and of Jsonnet output)")
	f.Int("max-depth", d.MaxDepth, "deepest nesting of values, in every format")
	f.Duration("max-eval-time", d.EvalTimeout, "longest CUE or Jsonnet evaluation")
	f.Var(&byteSize{d.EvalMemory}, "max-eval-memory", "most memory one CUE or Jsonnet evaluation may use")
	f.Bool("schema", false, "also check the config against the published CUE schema (a second line: the Go decoder enforces the same rules, and costs far less)")
}

// addSecretsFlag registers --secrets-dir on commands that build Secrets (apply, diff).
func addSecretsFlag(cmd *cobra.Command) {
	cmd.Flags().String("secrets-dir", "", "directory that infra secrets' fromFile paths are read from (default: the config root)")
}

// readFlagFile reads a file a flag names (submit's --configmap, --envs-file): where it is,
// is the operator's choice (links followed), but it must be a regular file — not a FIFO
// or a device that would block or stream forever (a link to /dev/zero) — of at most limit
// bytes.
func readFlagFile(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := confine.ReadFile(singleFile{f}, ".", limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	return data, nil
}

// singleFile is an fs.FS of one open file, to read it with confine.ReadFile's checks.
type singleFile struct{ f *os.File }

func (s singleFile) Open(string) (fs.File, error) { return nopClose{s.f}, nil }

type nopClose struct{ *os.File }

func (nopClose) Close() error { return nil }

// configInput maps the command-line paths of a config onto a file system confined to the
// config root: the --root directory, else the directory the paths are in (for several,
// the one of them that holds all the others). Nothing outside it can be read — not by a
// path, not by "..", not through a symbolic link — and only regular files are.
// Relative paths stay relative in messages (what editors and CI annotations expect).
func configInput(cmd *cobra.Command, args []string) (config.Input, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	root, _ := cmd.Flags().GetString("root")
	dirs := make([]string, len(args))
	for i, a := range args {
		dirs[i] = filepath.Clean(a)
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			dirs[i] = filepath.Dir(dirs[i])
		} else if err != nil {
			return config.Input{}, fmt.Errorf("read config %s: %w", a, unwrapPath(err))
		}
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	if root == "" {
		root = dirs[0]
		for _, d := range dirs[1:] {
			switch {
			case within(abs(d), abs(root)):
			case within(abs(root), abs(d)):
				root = d
			default:
				return config.Input{}, fmt.Errorf("the config paths are in different directories (%s, %s): pass --root DIR, a directory that holds them all", root, d)
			}
		}
	}
	root = filepath.Clean(root)
	paths := make([]string, len(args))
	for i, a := range args {
		rel, err := filepath.Rel(abs(root), abs(a))
		if err != nil || !within(abs(a), abs(root)) {
			return config.Input{}, fmt.Errorf("read config %s: outside --root %s", a, root)
		}
		paths[i] = filepath.ToSlash(rel)
	}
	fsys, err := confine.Open(root)
	if err != nil {
		return config.Input{}, fmt.Errorf("read config %s: %w", root, unwrapPath(err))
	}
	display := filepath.ToSlash(root) + "/"
	if root == "." {
		display = ""
	}
	lim, err := limitsOf(cmd)
	if err != nil {
		return config.Input{}, err
	}
	return config.Input{FS: fsys, Paths: paths, DisplayRoot: display, Limits: lim}, nil
}

// within reports whether path is dir or under it (both absolute and clean).
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// limitsOf reads the bound flags of cmd (defaults where it has none).
func limitsOf(cmd *cobra.Command) (config.Limits, error) {
	lim := config.DefaultLimits()
	f := cmd.Flags()
	if f.Lookup("max-depth") == nil {
		return lim, nil // a command without the flags: the defaults
	}
	size := func(name string, dst *int64) {
		if v, ok := f.Lookup(name).Value.(*byteSize); ok {
			*dst = v.n
		}
	}
	size("max-file-size", &lim.MaxFileSize)
	size("max-total-size", &lim.MaxTotalSize)
	size("max-eval-memory", &lim.EvalMemory)
	lim.MaxDepth, _ = f.GetInt("max-depth")
	lim.EvalTimeout, _ = f.GetDuration("max-eval-time")
	if lim.MaxDepth < 1 || lim.MaxDepth > config.MaxDepthCeiling || lim.EvalTimeout <= 0 {
		return lim, fmt.Errorf("--max-depth must be between 1 and %d, --max-eval-time positive", config.MaxDepthCeiling)
	}
	return lim, nil
}

// byteSize is a flag of bytes: 16MiB, 512KiB, 2GiB, 1G, or a plain number.
type byteSize struct{ n int64 }

var _ pflag.Value = (*byteSize)(nil)

func (b *byteSize) String() string {
	switch {
	case b.n >= 1<<30 && b.n%(1<<30) == 0:
		return strconv.FormatInt(b.n>>30, 10) + "GiB"
	case b.n >= 1<<20 && b.n%(1<<20) == 0:
		return strconv.FormatInt(b.n>>20, 10) + "MiB"
	case b.n >= 1<<10 && b.n%(1<<10) == 0:
		return strconv.FormatInt(b.n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(b.n, 10)
}

func (b *byteSize) Type() string { return "size" }

func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"Gi", 1 << 30}, {"G", 1e9}, {"MiB", 1 << 20}, {"Mi", 1 << 20}, {"M", 1e6}, {"KiB", 1 << 10}, {"Ki", 1 << 10}, {"K", 1e3}, {"k", 1e3}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSuffix(num, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size: use a positive number of bytes, or with a unit such as 16MiB, 512KiB, 2GiB", s)
	}
	b.n = n * mult
	return nil
}
