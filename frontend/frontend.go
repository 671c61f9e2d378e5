// Package frontend is the one front half every command runs on a config: load (read and
// parse the files, evaluate CUE and Jsonnet, unify), decode (the Go decoder's rules and
// the policy), check (the CUE schema, second line), build (the objects, the library,
// patches) and validate (contracts and Argo's own validation). vet, render, apply, diff,
// graph, submit and the ui all call Run; each decides what to do with the result, none
// can skip or reorder a stage, so whatever vet rejects every other command refuses with
// the same diagnostics.
package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/render"
)

// Options configure a run.
type Options struct {
	// Cache is the result cache, set here only: the frontend hands it to each stage that
	// keeps results across runs (the reading of each file, the schema's verdicts per
	// entry, the library's evaluation, Argo's verdicts, with Output.Incremental the files
	// of unchanged entries). nil: none.
	Cache *diskcache.Cache
	// Schema also checks the tree against the published CUE schema (--schema): a second
	// line, off by default. The decoder enforces the same rules with better messages
	// (config.TestSchemaAgrees and TestDecoderImpliesSchema hold it to the schema), and
	// the check costs more than the rest of a run together (about 240 µs of CPU per
	// entry, where all else takes about 100).
	Schema bool
	// Output, when set, also makes the files render writes (with its --expand and
	// incremental reuse); nil compiles and validates only (vet).
	Output *render.Options
	// ReadCluster (vet --cluster), when set, reads the templates that exist in the
	// cluster (the WorkflowTemplates of the config's workflow namespace and the
	// ClusterWorkflowTemplates) as declarations: references to them are then checked as
	// to declared ones. The config's own templates and declarations take precedence.
	// Its error is not a config problem: Run returns it.
	ReadCluster func(ctx context.Context, namespace string) ([]*config.ExternalTemplate, error)
}

// Result is a config that passed every stage.
type Result struct {
	InputFiles int // files read
	Entries    int // entries of the config's sections
	// Config is the decoded config. Its Tree keeps the files but not the parsed tree
	// (Tree.Root is nil) unless the schema check ran.
	Config *config.Config
	// Objects are the objects compiled by this run: all of them, except with incremental
	// reuse, where reused entries' objects are absent (their files are in Files).
	Objects []render.Object
	// Files are the rendered files (Options.Output only).
	Files []render.File
	// Reused counts the entries whose files came from the cache.
	Reused int
}

// Problems is a config that did not pass: every stage's diagnostics, and the stages that
// could not run. It unwraps to its diag.List.
type Problems struct {
	Diags diag.List
	// NotRun names the checks that could not run, and why (see the README's "How a
	// config is checked"); empty when every check ran.
	NotRun string
}

// Error is every diagnostic, a line each, as diag.List says them.
func (p *Problems) Error() string { return p.Diags.Error() }
func (p *Problems) Unwrap() error { return p.Diags }

// Summary is one line: how many errors, and what did not run.
func (p *Problems) Summary() string {
	s := plural.N(len(p.Diags), "error")
	if p.NotRun != "" {
		s += "; " + p.NotRun
	}
	return s
}

// StoppedError is a run stopped for a reason outside the config (vet --cluster: the
// cluster unreachable or refusing), with the problems the stages before found.
type StoppedError struct {
	Err   error
	Known diag.List
}

func (e *StoppedError) Error() string { return e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// What could not run, by what stopped it; the schema check is named only when it was
// asked for (Options.Schema).
const (
	NotRunRead   = "Argo's validation did not run: the files must read first"
	NotRunDecode = "Argo's validation did not run: the config must decode first"

	notRunReadSchema   = "the schema check and Argo's validation did not run: the files must read first"
	notRunDecodeSchema = "the schema check and Argo's validation did not run: the config must decode first"
)

// Run takes a config through every stage. Problems in the config are returned as a
// *Problems error; anything else (an unreadable path, a cancellation) as it is.
func Run(ctx context.Context, in config.Input, opts Options) (*Result, error) {
	in.Cache = opts.Cache // files unchanged since the last run are not parsed again
	t, err := config.LoadTree(ctx, in)
	if err != nil {
		notRun := NotRunRead
		if opts.Schema {
			notRun = notRunReadSchema
		}
		return nil, problems(err, notRun)
	}
	// A config whose only problems are the policy's is compiled and validated too: every
	// stage reports in one run.
	cfg, policyDiags := config.DecodeAll(t)
	if cfg == nil {
		notRun := NotRunDecode
		if opts.Schema {
			notRun = notRunDecodeSchema
		}
		return nil, &Problems{Diags: policyDiags, NotRun: notRun}
	}
	if opts.ReadCluster != nil {
		live, err := opts.ReadCluster(ctx, cfg.Appflow.Namespace)
		if err != nil {
			// The later stages need what the cluster holds; what the decoder already
			// found stays said beside the reason they did not run.
			return nil, &StoppedError{Err: err, Known: policyDiags}
		}
		cfg.ExternalTemplates = withCluster(cfg, live)
	}
	res := &Result{InputFiles: len(t.Files), Config: cfg,
		Entries: len(cfg.Applications) + len(cfg.ApplicationSets) + len(cfg.Infra) + len(cfg.WorkflowTemplates) + len(cfg.Pipelines)}
	var plan *render.Plan
	todo := cfg
	if opts.Output != nil {
		plan = render.NewPlan(cfg, in, *opts.Output, opts.Cache)
		todo = plan.Todo
	}
	if !opts.Schema {
		// Decoded and planned, the config's tree is needed again only by the schema
		// check: without it, the tree (a third of a large render's heap) is let go.
		// Result.Config keeps the decoded config and its files.
		t.Root = nil
	}
	// The schema check (when asked for) and the compile are independent: they run side by
	// side.
	var schemaDiags diag.List
	done := make(chan struct{})
	go func() {
		defer close(done)
		if opts.Schema {
			schemaDiags = config.CheckSchemaCached(t, opts.Cache, in.Location())
		}
	}()
	objs, err := render.Compile(ctx, todo, opts.Cache)
	<-done
	var compileDiags diag.List
	if err != nil && !errors.As(err, &compileDiags) {
		return nil, err
	}
	if all := merge(policyDiags, schemaDiags, compileDiags); len(all) > 0 {
		return nil, &Problems{Diags: all}
	}
	res.Objects = objs
	if plan == nil {
		return res, nil
	}
	r, err := plan.Finish(objs)
	if err != nil {
		return nil, problems(err, "")
	}
	res.Objects, res.Files, res.Reused = r.Objects, r.Files, r.Reused
	return res, nil
}

// withCluster adds the templates read from the cluster to the config's declarations,
// but none that the config renders (workflowTemplates, the library) or declares itself:
// those are what the config means, whatever the cluster holds now.
func withCluster(cfg *config.Config, live []*config.ExternalTemplate) []*config.ExternalTemplate {
	known := map[string]bool{}
	for _, n := range config.LibraryTemplates {
		known["false/"+n] = true
	}
	for _, ut := range cfg.WorkflowTemplates {
		known[fmt.Sprint(ut.ClusterScope)+"/"+ut.Name] = true
	}
	for _, et := range cfg.ExternalTemplates {
		known[fmt.Sprint(et.ClusterScope)+"/"+et.Name] = true
	}
	out := cfg.ExternalTemplates
	for _, et := range live {
		if !known[fmt.Sprint(et.ClusterScope)+"/"+et.Name] {
			out = append(out, et)
		}
	}
	return out
}

// merge joins the stages' diagnostics. The schema restates the decoder's rules (the Go
// decoder says them better and runs first), so its verdict on a field the decoder
// already complained of is dropped; its verdict elsewhere (a rule the decoder misses)
// is kept beside everything else.
func merge(policy, schema, compile diag.List) diag.List {
	var out diag.List
	out = append(out, policy...)
	for _, s := range schema {
		if !coveredBy(s.Path, policy) {
			out = append(out, s)
		}
	}
	out = append(out, compile...)
	if len(out) == 0 {
		return nil
	}
	return dedupe(out).Sort()
}

// coveredBy reports whether a decoder diagnostic is at path, inside it or around it.
func coveredBy(path string, ds diag.List) bool {
	for _, d := range ds {
		if d.Path == path || strings.HasPrefix(path, d.Path+".") || strings.HasPrefix(d.Path, path+".") {
			return true
		}
	}
	return false
}

// dedupe drops a diagnostic said twice at one place (two stages that found the same).
func dedupe(ds diag.List) diag.List {
	seen := map[string]bool{}
	var out diag.List
	for _, d := range ds {
		key := d.Pos.String() + "\x00" + d.Path + "\x00" + d.Msg
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}

// problems wraps a stage's diag.List error as Problems; other errors are returned as
// they are.
func problems(err error, notRun string) error {
	var dl diag.List
	if errors.As(err, &dl) {
		return &Problems{Diags: dl, NotRun: notRun}
	}
	return err
}

// Render is Run for render: it also makes the files, as opts say, with the result
// cache (nil: none).
func Render(ctx context.Context, in config.Input, cache *diskcache.Cache, opts render.Options) (*Result, error) {
	return Run(ctx, in, Options{Cache: cache, Output: &opts})
}
