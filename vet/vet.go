// Package vet is appflowc's offline pre-commit check: load and validate a config, render it
// in memory, and run Argo's own validation on every manifest. No cluster, no network.
package vet

import (
	"context"
	"errors"
	"fmt"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/plural"
)

// Options configure a vet run.
type Options struct {
	// Schema also checks against the published CUE schema (--schema; frontend.Options).
	Schema bool
	// Cache keeps the library's evaluation and Argo's verdicts across runs (nil: none).
	Cache *diskcache.Cache
	// ReadCluster (--cluster), when set, reads the templates that exist in the cluster
	// (the WorkflowTemplates of the config's workflow namespace and the
	// ClusterWorkflowTemplates) as declarations: references to them are then checked as
	// to declared ones. The config's own templates and declarations take precedence.
	// Its error is not a config problem: Run returns it.
	ReadCluster func(ctx context.Context, namespace string) ([]*config.ExternalTemplate, error)
}

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
		return (&frontend.Problems{Diags: r.Diags, NotRun: r.NotRun}).Summary()
	}
	return fmt.Sprintf("ok: %s, %s, %s valid", plural.N(r.Files, "file"), plural.N(r.Entries, "entry"), plural.N(r.Objects, "manifest"))
}

// Run vets a config: the front half every command runs (frontend.Run), without writing
// anything. Config problems are returned in Result.Diags; the error is for everything
// else (unreadable paths, cancellation).
func Run(ctx context.Context, in config.Input, opts Options) (Result, error) {
	res, err := frontend.Run(ctx, in, frontend.Options{Cache: opts.Cache, Schema: opts.Schema, ReadCluster: opts.ReadCluster})
	var p *frontend.Problems
	if errors.As(err, &p) {
		return Result{Diags: p.Diags, NotRun: p.NotRun}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Files: res.InputFiles, Entries: res.Entries, Objects: len(res.Objects)}, nil
}
