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
		at := func(p string) string { return relOr(filepath.Join(root, p)) }
		hooks = []shared{
			{at(".pre-commit-config.yaml"), initPreCommit(rel), "add this under its repos:\n" + initPreCommitRepo(rel)},
			{at(".github/workflows/appflowc.yaml"), initCI(rel), "add these steps to its job:\n" + initCISteps(rel)},
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
	write := func(full, content string, excl bool) error {
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %w", err))
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if excl {
			flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
		}
		f, err := os.OpenFile(full, flags, 0o644)
		if err == nil {
			_, err = f.WriteString(content)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("init: %w", errors.Unwrap(err)))
		}
		return nil
	}
	for _, p := range paths {
		full := filepath.Join(cfgDir, p)
		if err := write(full, files[p], false); err != nil {
			return err
		}
		if !strings.HasPrefix(p, vendor) {
			fmt.Fprintf(w, "created %s\n", full)
		}
	}
	fmt.Fprintf(w, "created %s (the schema, %s)\n", filepath.Join(cfgDir, vendor), plural.N(len(names), "file"))
	for _, h := range hooks {
		// The repository's own files: created when absent, never replaced (O_EXCL).
		err := write(h.path, h.content, true)
		switch {
		case err == nil:
			fmt.Fprintf(w, "created %s\n", h.path)
		case errors.Is(err, fs.ErrExist):
			if old, rerr := os.ReadFile(h.path); rerr == nil && string(old) == h.content {
				fmt.Fprintf(w, "kept %s (unchanged)\n", h.path)
			} else {
				fmt.Fprintf(w, "kept %s (it exists); %s", h.path, h.addInstead)
			}
		default:
			return err
		}
	}
	fmt.Fprintf(w, "\nnext:\n  appflowc vet %s\n  appflowc render %s -o %s\n  appflowc graph %s\n",
		cfgDir, cfgDir, filepath.Join(cfgDir, "rendered"), cfgDir)
	return nil
}
