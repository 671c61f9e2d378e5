package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

const initPreCommit = `# pre-commit (https://pre-commit.com): appflowc vet before every commit.
repos:
- repo: local
  hooks:
  - id: appflowc-vet
    name: appflowc vet
    entry: appflowc vet .
    language: system
    pass_filenames: false
    files: \.(cue|ya?ml|json|jsonnet|libsonnet)$
`

const initCI = `# Checks every pull request: the config is valid and rendered/ is what it renders.
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
      - run: appflowc vet . -o json
      - run: appflowc render . -o rendered --check
`

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
It never overwrites a file unless --force is given.`,
		Example: `  appflowc init deploy && appflowc vet deploy && appflowc render deploy -o deploy/rendered && appflowc graph deploy`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			files := map[string]string{
				"app.cue":                         initApp,
				"cue.mod/module.cue":              initModule,
				".pre-commit-config.yaml":         initPreCommit,
				".github/workflows/appflowc.yaml": initCI,
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
			paths := make([]string, 0, len(files))
			for p := range files {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			if !force {
				var exist []string
				for _, p := range paths {
					if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
						exist = append(exist, p)
					}
				}
				if len(exist) > 0 {
					return withCode(ExitUsage, fmt.Errorf("init: %s already has %s; nothing was written (--force overwrites)", dir, strings.Join(exist, ", ")))
				}
			}
			for _, p := range paths {
				full := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					return withCode(ExitUsage, fmt.Errorf("init: %w", err))
				}
				if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
					return withCode(ExitUsage, fmt.Errorf("init: %w", errors.Unwrap(err)))
				}
				if !strings.HasPrefix(p, vendor) {
					fmt.Fprintf(cmd.OutOrStdout(), "created %s\n", filepath.Join(dir, p))
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s (the schema, %s)\n\nnext:\n  appflowc vet %s\n  appflowc render %s -o %s\n  appflowc graph %s\n",
				filepath.Join(dir, vendor), plural.N(len(names), "file"), dir, dir, filepath.Join(dir, "rendered"), dir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}
