package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/cue/argo"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/internal/safetext"
)

const initApp = `package config

// The schema is vendored in cue.mod/pkg by appflowc init: the cue tool and editors check
// and complete this file against it (cue vet ./...), and appflowc reads it built in.
// Write each file of the config as one schema.#Config & {...}: the cue tool checks the
// fields inside it (a misspelt field is "not allowed"), not fields beside it.
import "github.com/appflowc/appflowc/cue:schema"

schema.#Config & {
	// One Helm application; see appflowc explain applications for every field.
	applications: web: {
		source: {
			repoURL:        "https://charts.bitnami.com/bitnami"
			chart:          "nginx"
			targetRevision: "15.4.2"
		}
		destination: namespace: "web"
	}
}
`

const initModule = `module: "appflowc.local/config@v0"
language: version: "v0.17.0"
`

// initPreCommit is the pre-commit configuration for a config in dir (relative to the
// repository root, where pre-commit reads .pre-commit-config.yaml).
func initPreCommit(dir string) string {
	return `# pre-commit (https://pre-commit.com): appflowc vet before every commit.
repos:
` + initPreCommitRepo(dir)
}

// initPreCommitRepo is the repos: entry of the hook, alone: what to add to an existing
// .pre-commit-config.yaml.
func initPreCommitRepo(dir string) string {
	files := `\.(cue|ya?ml|json|jsonnet|libsonnet)$`
	if dir != "." {
		files = "^" + regexp.QuoteMeta(dir) + "/[^/]*" + files
	}
	return `- repo: local
  hooks:
  - id: appflowc-vet
    name: appflowc vet
    entry: appflowc vet ` + dir + `
    language: system
    pass_filenames: false
    files: ` + files + `
`
}

// initCISteps are the steps of the CI job for a config in dir (relative to the
// repository root, where GitHub reads .github/workflows).
func initCISteps(dir string) string {
	return `      - run: appflowc vet ` + dir + ` -o json
      - run: appflowc render ` + dir + ` -o ` + path.Join(dir, "rendered") + ` --check
`
}

func initCI(dir string) string {
	return `# Checks every pull request: the config is valid and rendered/ is what it renders.
name: appflowc
on: [pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with: {go-version: "1.26"}
      - run: go install github.com/appflowc/appflowc/cmd/appflowc@latest
` + initCISteps(dir)
}

// repoRoot is the root of the Git repository dir is in (the nearest directory above or
// at dir holding .git: a directory, or a file in a worktree), or "" outside one. The walk
// is lexical, on the absolute path, and bounded; symbolic links are not followed out.
func repoRoot(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for range 256 {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
	return ""
}

func newInitCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a config: an example app, the schema for the cue tool and editors, a pre-commit hook and a CI job",
		Long: `init writes into DIR (default: the current directory):
  app.cue                            one example Application, checked against the schema
  cue.mod/module.cue                 a CUE module, so the cue tool and editors work here
  cue.mod/pkg/github.com/appflowc/appflowc/cue/
                                     appflowc's schema, vendored (import ` + schema.ImportPath + `)
  .pre-commit-config.yaml            appflowc vet before every commit
  .github/workflows/appflowc.yaml    vet and render --check on every pull request
It never overwrites a file unless --force is given.
Inside a Git repository, .pre-commit-config.yaml and .github/workflows/appflowc.yaml go to
the repository's root instead (where pre-commit and GitHub read them), pointing at DIR;
they are never overwritten: when one exists, init prints what to add to it. At the root
of a repository the config goes to DIR/deploy, so that vet reads the config and not the
repository's other YAML and JSON files.`,
		Example: `  appflowc init deploy && appflowc vet deploy && appflowc render deploy -o deploy/rendered && appflowc graph deploy`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runInit(cmd.OutOrStdout(), dir, force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}

// runInit writes the scaffold for init DIR (see its Long help) and says what it did and
// what to run next.
func runInit(w io.Writer, dir string, force bool) error {
	cfgDir, root := dir, repoRoot(dir)
	if root != "" {
		if abs, err := filepath.Abs(dir); err == nil && abs == root {
			// The root holds the repository's other YAML and JSON (CI, charts, editors'
			// settings), which vet would read as config.
			cfgDir = filepath.Join(dir, "deploy")
		}
	}
	files := map[string]string{
		"app.cue":            initApp,
		"cue.mod/module.cue": initModule,
	}
	vendor := "cue.mod/pkg/github.com/appflowc/appflowc/cue"
	names, err := fs.Glob(schema.Files(), "*.cue")
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := fs.ReadFile(schema.Files(), n)
		if err != nil {
			return err
		}
		files[path.Join(vendor, n)] = string(data)
	}
	// The schema's usertemplate.cue imports Argo's generated types.
	files[path.Join(vendor, "argo", argo.FileName)] = string(argo.Source())
	names = append(names, path.Join("argo", argo.FileName))

	// The hook and the CI job: in the config directory outside a repository; at the
	// repository's root inside one, with the config's path relative to the root.
	type shared struct{ path, content, addInstead string }
	var hooks []shared
	if root == "" {
		files[".pre-commit-config.yaml"] = initPreCommit(".")
		files[".github/workflows/appflowc.yaml"] = initCI(".")
	} else {
		abs, err := filepath.Abs(cfgDir)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %w", err))
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %w", err))
		}
		rel = filepath.ToSlash(rel)
		if !plainPath.MatchString(rel) {
			// The path goes into YAML and into shell commands (the hook's entry, CI's run:):
			// a space, a quote, "$(...)" or " #" would change what they do.
			return withCode(ExitUsage, fmt.Errorf("init: the config directory %s has characters that the CI and pre-commit files would have to quote; name it with letters, digits, '.', '_', '-' and '/'", safetext.Field(rel, 128)))
		}
		hooks = []shared{
			{".pre-commit-config.yaml", initPreCommit(rel), "add this under its repos:\n" + initPreCommitRepo(rel)},
			{".github/workflows/appflowc.yaml", initCI(rel), "add these steps to its job:\n" + initCISteps(rel)},
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !force {
		var exist []string
		for _, p := range paths {
			if _, err := os.Lstat(filepath.Join(cfgDir, p)); err == nil {
				exist = append(exist, p)
			}
		}
		if len(exist) > 0 {
			return withCode(ExitUsage, fmt.Errorf("init: %s already has %s; nothing was written (--force overwrites)", cfgDir, strings.Join(exist, ", ")))
		}
	}
	// Files are written through os.Root: a symbolic link planted in the repository
	// (.github, cue.mod, app.cue) cannot lead a write outside the directory it is in.
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return withCode(ExitUsage, fmt.Errorf("init: %w", err))
	}
	cfgRoot, err := os.OpenRoot(cfgDir)
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("init: %w", err))
	}
	defer cfgRoot.Close()
	for _, p := range paths {
		if err := writeIn(cfgRoot, p, files[p], false); err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %s: %w", filepath.Join(cfgDir, p), err))
		}
		if !strings.HasPrefix(p, vendor) {
			fmt.Fprintf(w, "created %s\n", filepath.Join(cfgDir, p))
		}
	}
	fmt.Fprintf(w, "created %s (the schema, %s)\n", filepath.Join(cfgDir, vendor), plural.N(len(names), "file"))
	if len(hooks) > 0 {
		repo, err := os.OpenRoot(root)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %w", err))
		}
		defer repo.Close()
		for _, h := range hooks {
			// The repository's own files: created when absent, never replaced.
			shown := relOr(filepath.Join(root, h.path))
			err := writeIn(repo, h.path, h.content, true)
			switch {
			case err == nil:
				fmt.Fprintf(w, "created %s\n", shown)
			case errors.Is(err, fs.ErrExist):
				if old, rerr := repo.ReadFile(h.path); rerr == nil && string(old) == h.content {
					fmt.Fprintf(w, "kept %s (unchanged)\n", shown)
				} else {
					fmt.Fprintf(w, "kept %s (it exists); %s", shown, h.addInstead)
				}
			default:
				return withCode(ExitUsage, fmt.Errorf("init: %s: %w", shown, err))
			}
		}
	}
	fmt.Fprintf(w, "\nnext:\n  appflowc vet %s\n  appflowc render %s -o %s\n  appflowc graph %s\n",
		cfgDir, cfgDir, filepath.Join(cfgDir, "rendered"), cfgDir)
	return nil
}

// plainPath is a config path the CI and pre-commit files can hold unquoted.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// writeIn writes name (slash-separated, below r) with content. excl: only if it does not
// exist (fs.ErrExist otherwise). Else it replaces name whole: written beside it and
// renamed over it, so that a symbolic link is replaced, not written through, and a
// failed write leaves the old file.
func writeIn(r *os.Root, name, content string, excl bool) error {
	if dir := path.Dir(name); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	target := name
	if !excl {
		target = name + ".appflowc-init"
		_ = r.Remove(target)
	}
	f, err := r.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !excl {
		err = r.Rename(target, name)
	}
	if err != nil && !excl {
		_ = r.Remove(target)
	}
	return err
}
