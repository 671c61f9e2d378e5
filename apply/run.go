package apply

import (
	"context"
	"fmt"

	"github.com/appflowc/appflowc/manifest"
)

// RunOptions shape Run: apply's sequence as `appflowc apply` and `submit` run it.
type RunOptions struct {
	Options
	// Preflight, when set, checks every right and prerequisite first (PreflightOptions)
	// and applies nothing when one is missing.
	Preflight *PreflightOptions
	// AuditDir is where the config is: the Git commit found there (and who applies) is
	// recorded on every object (not on a dry run; "": no Git lookup, who applies only).
	AuditDir string
}

// RunResult is what Run did.
type RunResult struct {
	// Problems are pre-flight's findings; when there are any, nothing was applied.
	Problems []Problem
	// Changes are the objects applied and the Workflows submitted, in order.
	Changes []Change
}

// Run is apply's sequence: pre-flight, then the audit annotations, then the server-side
// apply of objs and the submission of their Workflows. Following the submitted
// Workflows (--watch) is the caller's: Watch and Logs.
func (c *Client) Run(ctx context.Context, objs []manifest.Object, opts RunOptions) (RunResult, error) {
	var res RunResult
	if opts.Preflight != nil {
		probs, err := c.Preflight(ctx, objs, *opts.Preflight)
		if err != nil {
			return res, fmt.Errorf("pre-flight: %w", err)
		}
		if len(probs) > 0 {
			res.Problems = probs
			return res, nil
		}
	}
	o := opts.Options
	if !o.DryRun {
		o.Audit = c.AuditAnnotations(ctx, opts.AuditDir)
	}
	changes, err := c.Apply(ctx, objs, o)
	res.Changes = changes
	return res, err
}
