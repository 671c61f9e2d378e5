package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/testenv"
	"github.com/appflowc/appflowc/render"
)

// counter counts the requests a client makes, by kind.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	byOp map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := r.Method
	if r.URL.Query().Get("watch") == "true" {
		op = "WATCH"
	} else if r.Method == http.MethodGet && r.URL.Query().Has("labelSelector") {
		op = "LIST"
	}
	c.mu.Lock()
	c.byOp[op]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// applyBench submits n two-step Workflows with appflowc's apply client and follows them
// to completion on the local control plane, and reports the requests it took.
func applyBench(n int) int {
	return testenv.Main(func() int {
		dir, err := os.MkdirTemp("", "appflowc-bench-env-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		env, err := testenv.Start(ctx, dir, testenv.Options{})
		defer env.Stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		cnt := &counter{byOp: map[string]int{}}
		cfg := rest.CopyConfig(env.Config)
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { cnt.next = rt; return cnt })
		c, err := apply.NewClient(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		objs := make([]render.Object, n)
		for i := range objs {
			name := fmt.Sprintf("bench-%03d", i)
			objs[i] = render.Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Namespace: "argo", Name: name + "-", Obj: testenv.StepsWorkflow("argo", name, "0")}
		}
		start := time.Now()
		changes, err := c.Apply(ctx, objs, apply.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		var names []string
		for _, ch := range changes {
			names = append(names, ch.Name)
		}
		submitted := time.Since(start)
		outcomes, err := c.Watch(ctx, "argo", names, apply.WatchOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		ok := 0
		for _, o := range outcomes {
			if o.Phase == "Succeeded" {
				ok++
			}
		}
		total := 0
		for _, v := range cnt.byOp {
			total += v
		}
		fmt.Printf("apply + watch of %d Workflows on the local control plane: %d Succeeded, submitted in %s, all done after %s\n",
			n, ok, submitted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		fmt.Printf("requests: %d in total (%.2f per Workflow): %d POST, %d GET, %d LIST, %d WATCH connection(s)\n",
			total, float64(total)/float64(n), cnt.byOp["POST"], cnt.byOp["GET"], cnt.byOp["LIST"], cnt.byOp["WATCH"])
		if ok != n {
			return 1
		}
		return 0
	})
}
