// Package vet is appflowc's offline pre-commit check: load and validate a config, render it
// in memory, and run Argo's own validation on every manifest. No cluster, no network.
package vet

import (
	"context"
	"errors"
	"fmt"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/plural"
	"github.com/appflowc/appflowc/render"
)

// Options configure a vet run.
type Options struct {
	// SkipSchema skips the second-line check against the CUE schema (--skip-schema).
	SkipSchema bool
	// Cache keeps the library's evaluation and Argo's verdicts across runs (nil: none).
	Cache *diskcache.Cache
	// ReadCluster (--cluster), when set, reads the templates that exist in the cluster
	// (the WorkflowTemplates of the config's workflow namespace and the
	// ClusterWorkflowTemplates) as declarations: references to them are then checked as
	// to declared ones. The config's own templates and declarations take precedence.
	// Its error is not a config problem: Run returns it.
	ReadCluster func(ctx context.Context, namespace string) ([]*config.ExternalTemplate, error)
}

// DefaultOptions returns the options of a plain `appflowc vet`: with the user's result
// cache (APPFLOWC_NO_CACHE turns it off).
func DefaultOptions() Options { return Options{Cache: diskcache.Open()} }

// Result is what a clean or failed vet found.
type Result struct {
	Files   int
	Entries int
	Objects int
	Diags   diag.List
	// NotRun names the checks that could not run, and why: Argo's validation needs
	// manifests, and manifests need a config that reads and decodes.
	NotRun string
}

// Summary is the one-line human summary.
func (r Result) Summary() string {
	if len(r.Diags) > 0 {
		if r.NotRun != "" {
			return plural.N(len(r.Diags), "error") + "; " + r.NotRun
		}
		return plural.N(len(r.Diags), "error")
	}
	return fmt.Sprintf("ok: %s, %s, %s valid", plural.N(r.Files, "file"), plural.N(r.Entries, "entry"), plural.N(r.Objects, "manifest"))
}

// What could not run, said in the summary (see the README's "How a config is checked").
const (
	notRunRead   = "the schema check and Argo's validation did not run: the files must read first"
	notRunDecode = "Argo's validation did not run: the config must decode first"
)

// Run vets a config. Config problems are returned in Result.Diags; the error is for
// everything else (unreadable paths, cancellation).
func Run(ctx context.Context, in config.Input, opts Options) (Result, error) {
	var res Result
	in.Cache = opts.Cache // files unchanged since the last run are not parsed again
	t, err := config.LoadTree(ctx, in)
	if err != nil {
		res.NotRun = notRunRead
		return res, asDiags(&res, err)
	}
	res.Files = len(t.Files)
	// A config with policy complaints only is compiled and validated too: every stage
	// reports in one run.
	cfg, policyDiags := config.DecodeAll(t)
	if cfg == nil {
		res.Diags, res.NotRun = policyDiags, notRunDecode
		return res, nil
	}
	if opts.ReadCluster != nil {
		live, err := opts.ReadCluster(ctx, cfg.Appflow.Namespace)
		if err != nil {
			return res, fmt.Errorf("vet --cluster: %w", err)
		}
		cfg.ExternalTemplates = withCluster(cfg, live)
	}
	res.Entries = len(cfg.Applications) + len(cfg.ApplicationSets) + len(cfg.Infra) + len(cfg.WorkflowTemplates) + len(cfg.Pipelines)
	// The schema check and the compile (with Argo's validation) are independent: they
	// run side by side, and the schema's verdict, if any, is reported as before.
	var schemaDiags diag.List
	done := make(chan struct{})
	go func() {
		defer close(done)
		if !opts.SkipSchema {
			schemaDiags = config.CheckSchemaCached(t, opts.Cache, in.Location())
		}
	}()
	objs, err := render.Compile(ctx, cfg, opts.Cache)
	<-done
	// The schema is the second line: where the decoder already refused the config (its
	// policy complaints), the schema's verdict on the same values says it less well.
	if len(schemaDiags) > 0 && len(policyDiags) == 0 {
		res.Diags = schemaDiags
		return res, nil
	}
	if err := render.WithPolicy(policyDiags, err); err != nil {
		return res, asDiags(&res, err)
	}
	res.Objects = len(objs)
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

func asDiags(res *Result, err error) error {
	var dl diag.List
	if errors.As(err, &dl) {
		res.Diags = dl
		return nil
	}
	return err
}
