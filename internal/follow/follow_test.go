package follow

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

var wfs = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}

func source(t *testing.T, s *fakeapi.Server) Source {
	t.Helper()
	ri := dynamic.NewForConfigOrDie(s.RESTConfig()).Resource(wfs).Namespace("argo")
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return ri.List(ctx, o) },
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return ri.Watch(ctx, o)
		},
	}
}

func wf(name string) map[string]any {
	return map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": map[string]any{"name": name, "namespace": "argo"}}
}

// waiting waits until the follower sleeps on the fake clock (a condition, not a time).
func waiting(t *testing.T, ctx context.Context, fc *clocktesting.FakeClock) {
	t.Helper()
	for !fc.HasWaiters() {
		select {
		case <-ctx.Done():
			t.Fatal("the follower never waited on its clock")
		case <-time.After(time.Millisecond):
		}
	}
}

// TestBackoffBetweenWatches counts requests against a server whose watches close at
// once: after each, no request until the backoff's delay has passed on the clock, the
// delays double up to the cap; after three such watches in a row the follower says so
// (Retrying) and lists again, since such watches never deliver a change.
func TestBackoffBetweenWatches(t *testing.T) {
	s := fakeapi.Start()
	t.Cleanup(s.Close)
	s.Put("workflows", wf("a"))
	s.Fail(fakeapi.Fault{Kind: fakeapi.CloseAtOnce, Verb: "watch"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(time.Now())
	b := wait.Backoff{Duration: time.Second, Factor: 2, Steps: 100, Cap: 4 * time.Second} // no jitter: exact delays
	gone := make(chan struct{})
	done := make(chan error, 1)
	told := make(chan error, 10)
	go func() {
		done <- Run(ctx, source(t, s), Handler{Event: func(typ watch.EventType, obj runtime.Object) (bool, error) {
			if typ == watch.Deleted {
				close(gone)
				return true, nil
			}
			return false, nil
		}}, Options{Backoff: &b, Clock: fc, Retrying: func(err error, _ time.Duration) { told <- err }})
	}()
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		if err := s.WaitRequests(ctx, "watch", "workflows", i+1); err != nil {
			t.Fatal(err)
		}
		waiting(t, ctx, fc)
		fc.Step(d - time.Millisecond)
		if n := len(s.Requests("watch", "workflows")); n != i+1 {
			t.Fatalf("watch %d came before its delay of %s", n, d)
		}
		fc.Step(time.Millisecond)
	}
	if err := s.WaitRequests(ctx, "watch", "workflows", 5); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests("list", "workflows")); n != 2 {
		t.Errorf("%d lists for 5 watches that closed at once, want 2 (the first, and one after 3 short watches)", n)
	}
	if len(told) != 1 || !errors.Is(<-told, ErrWatchEndsAtOnce) {
		t.Errorf("Retrying was told %d times, want once, of ErrWatchEndsAtOnce", len(told)+1)
	}
	// A watch that works again delivers the deletion.
	s.Heal()
	waiting(t, ctx, fc)
	fc.Step(4 * time.Second)
	if err := s.WaitRequests(ctx, "watch", "workflows", 6); err != nil {
		t.Fatal(err)
	}
	s.Delete("workflows", "argo", "a")
	<-gone
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestRelistFindsDeletions: a watch the server says is too old (410) is followed by a
// list, after the backoff; what the list no longer has is reported deleted.
func TestRelistFindsDeletions(t *testing.T) {
	s := fakeapi.Start()
	t.Cleanup(s.Close)
	s.Put("workflows", wf("a"))
	s.Put("workflows", wf("b"))
	s.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "watch", Code: 410, Message: "too old resource version", Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(time.Now())
	var deleted []string
	listed := 0
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, source(t, s), Handler{
			Event: func(typ watch.EventType, obj runtime.Object) (bool, error) {
				if typ == watch.Deleted {
					deleted = append(deleted, key(obj))
				}
				return false, nil
			},
			Listed: func() (bool, error) {
				listed++
				if listed == 1 {
					s.Delete("workflows", "argo", "b") // gone while nobody watches
				}
				return listed == 2, nil
			},
		}, Options{Clock: fc})
	}()
	if err := s.WaitRequests(ctx, "watch", "workflows", 1); err != nil {
		t.Fatal(err)
	}
	waiting(t, ctx, fc)
	fc.Step(time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(deleted) != 1 || deleted[0] != "argo/b" || len(s.Requests("list", "workflows")) != 2 {
		t.Errorf("deleted %v after %d lists", deleted, len(s.Requests("list", "workflows")))
	}
}

// TestPermanentRefusalEnds: no rights to list is not retried forever.
func TestPermanentRefusalEnds(t *testing.T) {
	s := fakeapi.Start()
	t.Cleanup(s.Close)
	s.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "list", Code: 403, Message: "forbidden"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, source(t, s), Handler{Event: func(watch.EventType, runtime.Object) (bool, error) { return false, nil }}, Options{})
	if err == nil || ctx.Err() != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestPolicy: the shared policy starts near half a second, grows, and never waits more
// than 30 s.
func TestPolicy(t *testing.T) {
	b := Backoff()
	first := b.Step()
	if first < 500*time.Millisecond || first > 750*time.Millisecond {
		t.Errorf("first delay %s", first)
	}
	for range 50 {
		if d := b.Step(); d > 30*time.Second || d < first {
			t.Errorf("delay %s", d)
		}
	}
}

// TestPagesAreBounded: a server repeating its continue token does not keep a list going.
func TestPagesAreBounded(t *testing.T) {
	calls := 0
	list := func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		calls++
		l := &metav1.List{}
		l.Continue = "again"
		return l, nil
	}
	err := EachPage(context.Background(), list, metav1.ListOptions{}, func([]runtime.Object, string) error { return nil })
	if err == nil || calls != 2 {
		t.Errorf("EachPage: %v after %d calls", err, calls)
	}
}
