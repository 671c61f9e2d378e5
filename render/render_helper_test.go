package render

import (
	"context"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
)

// Render is, for this package's own tests, the part of frontend.Run that render owns
// (frontend imports render, so render's tests cannot call it): load, decode, the
// incremental plan, compile and finish, without the schema check.
func Render(ctx context.Context, in config.Input, opts Options) (*Result, error) {
	return renderCached(ctx, in, nil, opts)
}

// renderCached is Render with a result cache.
func renderCached(ctx context.Context, in config.Input, cache *diskcache.Cache, opts Options) (*Result, error) {
	in.Cache = cache
	t, err := config.LoadTree(ctx, in)
	if err != nil {
		return nil, err
	}
	cfg, policy := config.DecodeAll(t)
	if cfg == nil || len(policy) > 0 {
		return nil, policy
	}
	plan := NewPlan(cfg, in, opts, cache)
	objs, err := Compile(ctx, plan.Todo, cache)
	if err != nil {
		return nil, err
	}
	return plan.Finish(objs)
}
