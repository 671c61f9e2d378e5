package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/outdir"
	"github.com/appflowc/appflowc/render"
)

func newRenderCmd() *cobra.Command {
	opts := render.Options{Incremental: true, FilesOnly: true}
	var out string
	var check bool
	cmd := &cobra.Command{
		Use:   "render [PATH...] -o DIR",
		Short: "Compile a config into Argo Workflows manifests on disk",
		Long: `render
  1. loads and validates the config exactly as vet does (it never writes what vet rejects);
  2. renders the WorkflowTemplate library, its RBAC, and one Workflow per application,
     applicationSet and infra entry; with --expand, also the Applications each
     ApplicationSet will generate, under preview/;
  3. writes one object per file at <kind>/<namespace>/<name>.yaml plus kustomization.yaml,
     into a temporary directory beside DIR that replaces DIR only when all succeeded.
Renders are incremental: an entry whose data, file, flags and the rest of the config
(appflow settings, templates, pipelines) are unchanged since a render by this build is
taken from the result cache, and unchanged files are hard-linked from the previous DIR
(a config with patches is always rendered whole; APPFLOWC_NO_CACHE=1 turns caching off).
Output is byte-for-byte deterministic. With --check nothing is written: the render is
compared with DIR and a unified diff printed (exit 0 identical, 1 drift or config
errors, 2 usage or I/O error).
Removing previewed Applications fails unless --allow-deletions is given.`,
		Example: `  appflowc render examples/quickstart -o out
  appflowc render . -o deploy --expand
  appflowc render . -o deploy --expand --check   # in CI
  appflowc render examples/multi-env -o -         # one YAML stream on stdout`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateRender(args, out, check); err != nil {
				return withCode(ExitUsage, err)
			}
			in, err := configInput(cmd, args)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fo := frontendOptions(cmd.Context(), cmd)
			fo.Output = &opts
			prog := startProgress(cmd, cmd.ErrOrStderr(), "rendering")
			res, err := frontend.Run(cmd.Context(), in, fo)
			prog.Stop()
			if err != nil {
				// With --check too: a config that does not render fails the check like
				// drift does (1), as in every other command; stderr says which it was.
				return configErr(cmd.ErrOrStderr(), err)
			}
			w := cmd.OutOrStdout()
			if out == "-" {
				if err := writeStream(cmd, w, res.Files); err != nil {
					return withCode(ExitUsage, err)
				}
				return nil
			}
			what := "writing " + plural.N(len(res.Files), "file")
			if check {
				what = "comparing"
			}
			prog = startProgress(cmd, cmd.ErrOrStderr(), what)
			up, err := outdir.Update(cmd.Context(), out, res.Files, outdir.UpdateOptions{Check: check, Cache: fo.Cache,
				Guard: func(existing []string) error { return render.GuardDeletions(res.Files, existing, opts) }})
			prog.Stop()
			var deletion *render.DeletionError
			if errors.As(err, &deletion) {
				return withCode(ExitFailed, err) // a deletion is a change: drift that needs consent
			}
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if check {
				d := up.Drift
				if d.Empty() {
					fmt.Fprintf(w, "%s is up to date (%s)\n", out, plural.N(len(res.Files), "file"))
					return nil
				}
				fmt.Fprint(w, d.Diff)
				return withCode(ExitFailed, fmt.Errorf("render --check: %s is out of date: %d changed, %d added, %d removed (run appflowc render to update it)",
					out, len(d.Changed), len(d.Added), len(d.Removed)))
			}
			abs, _ := filepath.Abs(out)
			fmt.Fprintf(cmd.ErrOrStderr(), "rendered %s into %s%s\n", plural.N(len(res.Files), "file"), relOr(abs), reusedNote(res.Reused, up.Existed))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output directory, or - for a YAML stream on stdout (a format word such as yaml is refused unless the directory exists or is written ./yaml)")
	_ = cmd.MarkFlagDirname("output")
	cmd.Flags().BoolVar(&check, "check", false, "compare with the output directory instead of writing; exit 1 on drift")
	cmd.Flags().BoolVar(&opts.Expand, "expand", false, "also write the Applications each ApplicationSet generates (preview/)")
	cmd.Flags().BoolVar(&opts.AllowDeletions, "allow-deletions", false, "allow removing previewed Applications")
	addInputFlags(cmd)
	return cmd
}

// validateRender holds render's flag rules, checked before any work: -o is required, a
// directory (not a format word, not one holding the config, not a system directory),
// and --check compares with a directory.
func validateRender(args []string, out string, check bool) error {
	if out == "" {
		return errors.New("render: -o DIR is required (or -o - for stdout)")
	}
	if out == "-" {
		if check {
			return errors.New("render: --check compares with a directory; it cannot be used with -o -")
		}
		return nil
	}
	if err := notAFormat(out); err != nil {
		return err
	}
	if err := outdir.CheckOutputPath(out); err != nil {
		return err
	}
	return configOutside(args, out)
}

func relOr(abs string) string {
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	if r, err := filepath.Rel(wd, abs); err == nil {
		return r
	}
	return abs
}

// writeStream writes files as one YAML stream, highlighted on a terminal.
func writeStream(cmd *cobra.Command, w io.Writer, files []render.File) error {
	p := painter{on: colorful(cmd, w)}
	if !p.on {
		return render.WriteStream(w, files)
	}
	var b strings.Builder
	if err := render.WriteStream(&b, files); err != nil {
		return err
	}
	return p.writeYAML(w, b.String())
}

// reusedNote says how many entries came from the result cache (nothing when none did).
// Into a directory that held a render, they are unchanged since it; into a new one there
// was no last render there, only the cache of an earlier one (of any directory).
func reusedNote(n int, existed bool) string {
	switch {
	case n == 0:
		return ""
	case !existed:
		return " (" + plural.N(n, "entry") + " reused from the result cache of an earlier render)"
	}
	return " (" + plural.N(n, "entry") + " unchanged since the last render, reused)"
}

// outputFormats are words other commands take as -o; render's -o is a directory.
var outputFormats = []string{"yaml", "yml", "json", "table", "wide", "name", "text"}

// notAFormat refuses -o yaml and the like: someone who typed it expected a format and
// would get a directory named yaml, silently. An existing directory of that name, or
// the name written as a path (./yaml), is taken as meant.
func notAFormat(out string) error {
	if !slices.Contains(outputFormats, out) {
		return nil
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return nil
	}
	return fmt.Errorf("render: -o %s: render's -o is a directory, not a format; for one YAML stream on stdout give -o -, and for a directory named %s give -o ./%s", out, out, out)
}

// configOutside refuses an output directory that holds a config path: render replaces
// the directory whole, so the config would be deleted by its own render.
func configOutside(args []string, out string) error {
	if len(args) == 0 {
		args = []string{"."}
	}
	o, err := filepath.Abs(out)
	if err != nil {
		return nil
	}
	for _, a := range args {
		if p, err := filepath.Abs(a); err == nil && within(p, o) {
			return fmt.Errorf("the config %s is inside the output directory %s, which render replaces whole: choose an -o outside the config", a, out)
		}
	}
	return nil
}
