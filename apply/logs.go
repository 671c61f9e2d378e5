package apply

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// LogOptions configure Logs. Each field names its flag.
type LogOptions struct {
	Step   string // --step: only this step (display name)
	Follow bool   // -f: stream until the workflow completes
}

// Logs writes the main container's log of each step pod of a workflow, each line
// prefixed by the step's name. With Follow it streams each step as its pod starts, and
// stops when the workflow completes: a follow on a pod never ends by itself while the
// container runs (and kwok always reports it running).
func Logs(ctx context.Context, cfg *rest.Config, c *Client, namespace, workflow string, opts LogOptions, w io.Writer) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	if _, err := c.Status(ctx, namespace, workflow); err != nil {
		return err
	}
	l := &logStreamer{cs: cs, namespace: namespace, opts: opts, w: w, started: map[string]bool{}}
	selector := metav1.ListOptions{LabelSelector: "workflows.argoproj.io/workflow=" + workflow}
	if !opts.Follow {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, selector)
		if err != nil {
			return fmt.Errorf("logs: list pods of %s: %w", workflow, err)
		}
		items := pods.Items
		sort.Slice(items, func(i, j int) bool { return items[i].CreationTimestamp.Before(&items[j].CreationTimestamp) })
		for i := range items {
			l.stream(ctx, &items[i])
		}
		return errors.Join(l.errs...)
	}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	wfDone := make(chan struct{})
	go func() {
		_, _ = c.Watch(streamCtx, namespace, []string{workflow}, io.Discard)
		close(wfDone)
	}()
	for {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, selector)
		if err != nil {
			return fmt.Errorf("logs: list pods of %s: %w", workflow, err)
		}
		for i := range pods.Items {
			l.start(streamCtx, &pods.Items[i])
		}
		selector.ResourceVersion = pods.ResourceVersion
		pw, err := cs.CoreV1().Pods(namespace).Watch(ctx, selector)
		if err != nil {
			return fmt.Errorf("logs: watch pods of %s: %w", workflow, err)
		}
		done := false
		for !done {
			select {
			case ev, ok := <-pw.ResultChan():
				if !ok {
					done = true // the watch dropped: re-list and resume
					break
				}
				if p, isPod := ev.Object.(*corev1.Pod); isPod {
					l.start(streamCtx, p)
				}
			case <-wfDone:
				pw.Stop()
				// Streams of finished containers end by themselves; give them a moment
				// to deliver their last lines before stopping the rest.
				finished := make(chan struct{})
				go func() { l.wg.Wait(); close(finished) }()
				select {
				case <-finished:
				case <-time.After(2 * time.Second):
				}
				stopStreams()
				l.wg.Wait()
				return errors.Join(l.errs...)
			case <-ctx.Done():
				pw.Stop()
				return ctx.Err()
			}
		}
		pw.Stop()
	}
}

type logStreamer struct {
	cs        kubernetes.Interface
	namespace string
	opts      LogOptions
	w         io.Writer
	mu        sync.Mutex // guards started, errs and writes (lines must not interleave)
	started   map[string]bool
	errs      []error
	wg        sync.WaitGroup
}

// start streams a pod's log once it has a container to read, at most once per pod
// (stream applies the --step filter).
func (l *logStreamer) start(ctx context.Context, p *corev1.Pod) {
	if p.Status.Phase == corev1.PodPending {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started[p.Name] {
		return
	}
	l.started[p.Name] = true
	l.wg.Add(1)
	go func() { defer l.wg.Done(); l.stream(ctx, p) }()
}

func (l *logStreamer) stream(ctx context.Context, p *corev1.Pod) {
	step := stepName(p)
	if l.opts.Step != "" && step != l.opts.Step {
		return
	}
	rc, err := l.cs.CoreV1().Pods(l.namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "main", Follow: l.opts.Follow}).Stream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.mu.Lock()
			l.errs = append(l.errs, fmt.Errorf("logs of step %s: %w", step, err))
			l.mu.Unlock()
		}
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	for sc.Scan() {
		l.mu.Lock()
		fmt.Fprintf(l.w, "%s: %s\n", step, sc.Text())
		l.mu.Unlock()
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		l.mu.Lock()
		l.errs = append(l.errs, fmt.Errorf("logs of step %s: %w", step, err))
		l.mu.Unlock()
	}
}

// stepName is the display name of the node a pod runs, from Argo's node-name
// annotation ("wf.steps[1].deploy" -> "deploy").
func stepName(p *corev1.Pod) string {
	n := p.Annotations["workflows.argoproj.io/node-name"]
	if i := strings.LastIndex(n, "."); i >= 0 {
		n = n[i+1:]
	}
	if n == "" {
		return p.Name
	}
	return n
}
