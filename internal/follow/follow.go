// Package follow lists and watches objects until the caller has seen enough, with one
// backoff policy for every re-watch and re-list appflowc makes.
package follow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"
)

// Backoff is the policy of every follower: the first retry after about half a second,
// each next one twice as late, with up to half again at random so that many clients
// that lost the same API server do not come back at once; the base stops growing at 20 s,
// so retries are never more than 30 s apart.
// client-go's reflector backs off alike (0.8 s doubling to 30 s); its loop cannot be
// driven by a test clock, which is why this package has its own.
func Backoff() wait.Backoff {
	return wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.5, Steps: math.MaxInt32, Cap: 20 * time.Second}
}

// PageSize is how many objects one list request asks for (kubectl's chunk size).
const PageSize = 500

// MaxPages bounds one paged list: an API server that hands out continue tokens forever
// does not keep a command listing forever.
const MaxPages = 10000

// Source lists and watches one kind of object (client-go's cache.ListWatch fits).
type Source interface {
	ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error)
	WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Handler is told what happens to the followed objects.
type Handler struct {
	// Event is called for each object added, changed or deleted, including those a
	// re-list finds gone or changed since the last watch. Returning true ends Run.
	Event func(typ watch.EventType, obj runtime.Object) (done bool, err error)
	// Listed, if set, is called after each complete list (the first, and each re-list).
	Listed func() (done bool, err error)
}

// Options tune Run; the zero value is appflowc's policy.
type Options struct {
	Backoff *wait.Backoff // nil: Backoff()
	Clock   clock.Clock   // nil: the real clock
	// WatchTimeout is the timeoutSeconds each watch asks for (0: 5 minutes).
	WatchTimeout time.Duration
	// HealthyAfter resets the backoff: a watch that stayed open this long was no
	// failure (0: one minute).
	HealthyAfter time.Duration
	// Retrying, if set, is told of each retry after an error and how long until it.
	Retrying func(err error, after time.Duration)
	// Watching, if set, is told when a watch proves to work: it delivered an event, or
	// it stayed open a while (ErrWatchEndsAtOnce is over).
	Watching func()
}

// Run lists the objects of src, then watches from the list's resource version, and calls
// h for each change until h says done, ctx ends or the API server refuses for good (no
// rights, no such resource). A watch that ends is watched again from the last version
// seen; one the server says is too old is listed again. Every re-watch and re-list waits
// for the next step of the backoff first, so a server whose watches end at once, or
// that answers with garbage, is asked a few times a minute, not hundreds of times a
// second.
func Run(ctx context.Context, src Source, h Handler, opts Options) error {
	b := Backoff()
	if opts.Backoff != nil {
		b = *opts.Backoff
	}
	initial := b
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	watchTimeout := opts.WatchTimeout
	if watchTimeout <= 0 {
		watchTimeout = 5 * time.Minute
	}
	healthy := opts.HealthyAfter
	if healthy <= 0 {
		healthy = time.Minute
	}
	pause := func(err error) error {
		d := b.Step()
		if err != nil && opts.Retrying != nil {
			opts.Retrying(err, d)
		}
		t := clk.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
			return nil
		}
	}
	known := map[string]runtime.Object{} // by namespace/name: what a re-list compares with
	rv := ""
	first := true
	for {
		if !first {
			if err := pause(nil); err != nil {
				return err
			}
		}
		first = false
		// List (again): in pages; what disappeared since is reported deleted.
		items, listRV, err := ListPages(ctx, src, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if permanent(err) {
				return err
			}
			if err := pause(err); err != nil {
				return err
			}
			first = true // the wait was done
			continue
		}
		seen := map[string]bool{}
		for _, o := range items {
			k := key(o)
			seen[k] = true
			typ := watch.Added
			if prev, ok := known[k]; ok {
				if version(prev) == version(o) {
					continue
				}
				typ = watch.Modified
			}
			known[k] = o
			if done, err := h.Event(typ, o); done || err != nil {
				return err
			}
		}
		for k, o := range known {
			if !seen[k] {
				delete(known, k)
				if done, err := h.Event(watch.Deleted, o); done || err != nil {
					return err
				}
			}
		}
		if h.Listed != nil {
			if done, err := h.Listed(); done || err != nil {
				return err
			}
		}
		rv = listRV
		short := 0 // watches in a row that ended at once with nothing in them
		// Watch, and watch again from the last version seen, until the server says the
		// version is too old (then list again).
		for {
			secs := int64(watchTimeout / time.Second)
			started := clk.Now()
			w, err := src.WatchWithContext(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true, TimeoutSeconds: &secs})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if permanent(err) {
					return err
				}
				if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
					break
				}
				if err := pause(err); err != nil {
					return err
				}
				continue
			}
			relist, done, events, err := drain(ctx, w, h, known, &rv, opts.Watching, clk.After(shortWatch))
			w.Stop()
			if done || err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if clk.Since(started) >= healthy {
				b = initial
			}
			// A watch that ends at once with nothing in it, again and again (a proxy that
			// cuts long requests), would never deliver a change: say so, and list instead.
			if relist == nil && events == 0 && clk.Since(started) < shortWatch {
				if short++; short >= shortWatches {
					short = 0
					if err := pause(ErrWatchEndsAtOnce); err != nil {
						return err
					}
					first = true // the wait was done
					break
				}
			} else {
				short = 0
			}
			if relist != nil {
				if apierrors.IsResourceExpired(relist) || apierrors.IsGone(relist) {
					break
				}
				if err := pause(relist); err != nil {
					return err
				}
				continue
			}
			if err := pause(nil); err != nil {
				return err
			}
		}
	}
}

// ErrWatchEndsAtOnce is what Retrying is told when the API server (or something between)
// ends watches as soon as they open: the objects are listed again instead.
var ErrWatchEndsAtOnce = errors.New("every watch ended as soon as it opened (a proxy's request timeout?); listing again")

// A watch counts as ended at once if it lasted less than shortWatch with no event in it;
// after shortWatches of those in a row, Run lists again.
const (
	shortWatch   = time.Second
	shortWatches = 3
)

// drain hands a watch's events to h until the watch ends, and counts them (bookmarks
// included); an error event is returned as relist (too old a version: list again;
// anything else: watch again after a pause).
// working, if set, is called once the watch proves to work: its first event, or still
// open when a while has passed (while).
func drain(ctx context.Context, w watch.Interface, h Handler, known map[string]runtime.Object, rv *string, working func(), while <-chan time.Time) (relist error, done bool, events int, err error) {
	for {
		select {
		case <-ctx.Done():
			return nil, false, events, ctx.Err()
		case <-while:
			if events == 0 && working != nil {
				working()
			}
			while = nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, false, events, nil
			}
			events++
			if ev.Type == watch.Error {
				return apierrors.FromObject(ev.Object), false, events, nil
			}
			if events == 1 && working != nil {
				working()
			}
			switch ev.Type {
			case watch.Bookmark:
				if v := version(ev.Object); v != "" {
					*rv = v
				}
				continue
			}
			if v := version(ev.Object); v != "" {
				*rv = v
			}
			k := key(ev.Object)
			if ev.Type == watch.Deleted {
				delete(known, k)
			} else {
				known[k] = ev.Object
			}
			if done, err := h.Event(ev.Type, ev.Object); done || err != nil {
				return nil, done, events, err
			}
		}
	}
}

// ListPages lists everything src has in pages of PageSize, following continue tokens,
// and returns the items with the list's resource version.
func ListPages(ctx context.Context, src Source, opts metav1.ListOptions) ([]runtime.Object, string, error) {
	var all []runtime.Object
	rv := ""
	err := EachPage(ctx, src.ListWithContext, opts, func(items []runtime.Object, listRV string) error {
		all = append(all, items...)
		rv = listRV
		return nil
	})
	return all, rv, err
}

// EachPage lists in pages of PageSize (opts.Limit if set), calling page for each as it
// comes, so that a long list is shown while it arrives and never held whole.
func EachPage[L runtime.Object](ctx context.Context, list func(context.Context, metav1.ListOptions) (L, error), opts metav1.ListOptions, page func(items []runtime.Object, rv string) error) error {
	if opts.Limit == 0 {
		opts.Limit = PageSize
	}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		if n == MaxPages {
			return fmt.Errorf("the API server kept handing out continue tokens after %d pages", MaxPages)
		}
		l, err := list(ctx, opts)
		if err != nil {
			return err
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		acc, err := meta.ListAccessor(l)
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if err := page(items, acc.GetResourceVersion()); err != nil {
			return err
		}
		next := acc.GetContinue()
		if next == "" {
			return nil
		}
		if seen[next] {
			return errors.New("the API server handed out the same continue token twice")
		}
		seen[next] = true
		opts.Continue = next
	}
}

// permanent errors end a follower: retrying cannot help.
func permanent(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsInvalid(err)
}

func key(o runtime.Object) string {
	a, err := meta.Accessor(o)
	if err != nil {
		return ""
	}
	return a.GetNamespace() + "/" + a.GetName()
}

func version(o runtime.Object) string {
	a, err := meta.Accessor(o)
	if err != nil {
		return ""
	}
	return a.GetResourceVersion()
}
