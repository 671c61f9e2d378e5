package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/follow"
)

// managed selects what appflowc rendered or its library created.
const managed = apply.ManagedSelector

// live keeps the state current from one list+watch per kind and says when it changed.
type live struct {
	client  *apply.Client
	opts    Options
	mu      sync.Mutex
	st      *state
	trouble map[string]string // kind → what is wrong with its watch now
	// ending holds the kinds whose watches end as soon as they open: the lists that
	// stand in for them do not clear the trouble, a watch that works does.
	ending  map[string]bool
	changed chan struct{} // gets a value (buffer 1) after every change
}

func newLive(c *apply.Client, opts Options) *live {
	return &live{client: c, opts: opts, st: newState(), trouble: map[string]string{}, ending: map[string]bool{}, changed: make(chan struct{}, 1)}
}

func (l *live) notify() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// follower is one kind the page follows: where, and how an object becomes state.
type follower struct {
	label     string // for problems: "Workflows"
	gvr       schema.GroupVersionResource
	namespace string
	put       func(st *state, u *unstructured.Unstructured)
	del       func(st *state, name string)
}

func (l *live) followers() []follower {
	return []follower{
		{"Workflows", apply.WorkflowsGVR, l.opts.Namespace,
			func(st *state, u *unstructured.Unstructured) { st.runs[u.GetName()] = runOf(u) },
			func(st *state, n string) { delete(st.runs, n) }},
		{"CronWorkflows", apply.CronWorkflowsGVR, l.opts.Namespace,
			func(st *state, u *unstructured.Unstructured) { st.crons[u.GetName()] = cronOf(u) },
			func(st *state, n string) { delete(st.crons, n) }},
		{"Applications", apply.ApplicationsGVR, l.opts.ArgoCDNamespace,
			func(st *state, u *unstructured.Unstructured) { st.apps[u.GetName()] = appOf(u) },
			func(st *state, n string) { delete(st.apps, n) }},
		{"ApplicationSets", apply.ApplicationSetsGVR, l.opts.ArgoCDNamespace,
			func(st *state, u *unstructured.Unstructured) { st.appSets[u.GetName()] = appSetOf(u) },
			func(st *state, n string) { delete(st.appSets, n) }},
	}
}

// run follows every kind until ctx ends. A kind the cluster refuses for good (not
// served: Argo CD not installed; forbidden) is reported on the page and not retried;
// the others go on.
func (l *live) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range l.followers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.follow(ctx, f)
		}()
	}
	wg.Wait()
}

func (l *live) follow(ctx context.Context, f follower) {
	h := follow.Handler{
		Event: func(typ watch.EventType, obj runtime.Object) (bool, error) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return false, nil
			}
			l.mu.Lock()
			if typ == watch.Deleted {
				f.del(l.st, u.GetName())
			} else {
				f.put(l.st, u)
			}
			l.clearLocked(f.label)
			l.mu.Unlock()
			l.notify()
			return false, nil
		},
		Listed: func() (bool, error) {
			l.mu.Lock()
			l.clearLocked(f.label)
			l.mu.Unlock()
			l.notify()
			return false, nil
		},
	}
	err := follow.Run(ctx, l.client.Source(f.gvr, f.namespace, managed), h, follow.Options{
		Backoff: l.opts.Backoff,
		Retrying: func(err error, after time.Duration) {
			if errors.Is(err, follow.ErrWatchEndsAtOnce) {
				l.mu.Lock()
				l.ending[f.label] = true
				l.mu.Unlock()
			}
			l.setTrouble(f.label, fmt.Sprintf("%s in %s: retrying in %s: %v", f.label, f.namespace, after.Round(100*time.Millisecond), err))
		},
		Watching: func() {
			l.mu.Lock()
			delete(l.ending, f.label)
			l.clearLocked(f.label)
			l.mu.Unlock()
			l.notify()
		},
	})
	if err == nil || ctx.Err() != nil {
		return
	}
	switch {
	case apierrors.IsNotFound(err):
		l.setTrouble(f.label, fmt.Sprintf("%s: not served by this cluster (is %s installed?)", f.label, product(f)))
	case apierrors.IsForbidden(err):
		l.setTrouble(f.label, fmt.Sprintf("%s in %s: your kubeconfig may not list and watch them: %v", f.label, f.namespace, err))
	default:
		l.setTrouble(f.label, fmt.Sprintf("%s in %s: %v", f.label, f.namespace, err))
	}
}

// clearLocked forgets the trouble of a kind, unless its watches keep ending at once.
func (l *live) clearLocked(kind string) {
	if !l.ending[kind] {
		delete(l.trouble, kind)
	}
}

func product(f follower) string {
	if f.gvr.Resource == "applications" || f.gvr.Resource == "applicationsets" {
		return "Argo CD"
	}
	return "Argo Workflows"
}

func (l *live) setTrouble(kind, msg string) {
	l.mu.Lock()
	l.trouble[kind] = field(msg, maxMessage)
	l.mu.Unlock()
	l.notify()
}

// snapshot is the page's content now.
func (l *live) snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{Namespace: l.opts.Namespace, ArgoCDNamespace: l.opts.ArgoCDNamespace, FromConfig: l.opts.Entries != nil}
	s.Entries, s.HiddenEntries = l.st.snapshot(l.opts.Entries, l.opts.Entries != nil)
	for _, p := range l.trouble {
		s.Problems = append(s.Problems, p)
	}
	sort.Strings(s.Problems)
	return s
}
