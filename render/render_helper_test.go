package render

import (
	"context"

	"github.com/appflowc/appflowc/config"
)

// Render is, for this package's own tests, the part of frontend.Run that render owns
// (frontend imports render, so render's tests cannot call it): load, decode, the
// incremental plan, compile and finish, without the schema check.
func Render(ctx context.Context, in config.Input, opts Options) (*Result, error) {
	if opts.Incremental {
		in.Cache = opts.Cache
	}
	t, err := config.LoadTree(ctx, in)
	if err != nil {
		return nil, err
	}
	cfg, policy := config.DecodeAll(t)
	if cfg == nil || len(policy) > 0 {
		return nil, policy
	}
	plan := NewPlan(cfg, in, opts)
	objs, err := Compile(ctx, plan.Todo, opts.Cache)
	if err != nil {
		return nil, err
	}
	return plan.Finish(objs)
}
