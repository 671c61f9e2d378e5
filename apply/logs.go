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
func (c *Client) Logs(ctx context.Context, namespace, workflow string, opts LogOptions, w io.Writer) error {
	if _, err := c.Status(ctx, namespace, workflow); err != nil {
		return err
	}
	if opts.Follow {
		streamCtx, stop := context.WithCancel(ctx)
		defer stop()
		wfDone := make(chan struct{})
		go func() {
			_, _ = c.Watch(streamCtx, namespace, []string{workflow}, WatchOptions{Out: io.Discard})
			close(wfDone)
		}()
		return c.FollowLogs(ctx, namespace, []string{workflow}, opts, w, wfDone)
	}
	l := &logStreamer{cs: c.cs, namespace: namespace, opts: opts, w: w, started: map[string]bool{}}
	pods, err := c.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "workflows.argoproj.io/workflow=" + workflow})
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

// FollowLogs streams the step logs of the given workflows' pods as each pod starts, over
// one pod watch, until stop is closed (the caller knows when the workflows are done).
// With more than one workflow, lines are prefixed "workflow/step: ".
func (c *Client) FollowLogs(ctx context.Context, namespace string, workflows []string, opts LogOptions, w io.Writer, stop <-chan struct{}) error {
	l := &logStreamer{cs: c.cs, namespace: namespace, opts: opts, w: w, started: map[string]bool{}, withWorkflow: len(workflows) > 1}
	selector := metav1.ListOptions{LabelSelector: fmt.Sprintf("workflows.argoproj.io/workflow in (%s)", strings.Join(workflows, ","))}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	for {
		pods, err := c.cs.CoreV1().Pods(namespace).List(ctx, selector)
		if err != nil {
			return fmt.Errorf("logs: list pods: %w", err)
		}
		for i := range pods.Items {
			l.start(streamCtx, &pods.Items[i])
		}
		selector.ResourceVersion = pods.ResourceVersion
		pw, err := c.cs.CoreV1().Pods(namespace).Watch(ctx, selector)
		if err != nil {
			return fmt.Errorf("logs: watch pods: %w", err)
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
			case <-stop:
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
				stopStreams()
				l.wg.Wait()
				return ctx.Err()
			}
		}
		pw.Stop()
	}
}

type logStreamer struct {
	cs           kubernetes.Interface
	namespace    string
	opts         LogOptions
	w            io.Writer
	withWorkflow bool       // prefix lines with the workflow's name too
	mu           sync.Mutex // guards started, errs and writes (lines must not interleave)
	started      map[string]bool
	errs         []error
	wg           sync.WaitGroup
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
	full := stepName(p)
	step := ShortStep(full)
	if l.opts.Step != "" && full != l.opts.Step && step != l.opts.Step {
		return
	}
	prefix := step
	if l.withWorkflow {
		prefix = p.Labels["workflows.argoproj.io/workflow"] + "/" + step
	}
	rc, err := l.cs.CoreV1().Pods(l.namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "main", Follow: l.opts.Follow}).Stream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.mu.Lock()
			l.errs = append(l.errs, fmt.Errorf("logs of step %s: %w", prefix, err))
			l.mu.Unlock()
		}
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	for sc.Scan() {
		l.mu.Lock()
		fmt.Fprintf(l.w, "%s: %s\n", prefix, sc.Text())
		l.mu.Unlock()
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		l.mu.Lock()
		l.errs = append(l.errs, fmt.Errorf("logs of step %s: %w", prefix, err))
		l.mu.Unlock()
	}
}

// stepName is the display name of the node a pod runs, from Argo's node-name
// annotation ("wf.steps[1].deploy" -> "deploy").
func stepName(p *corev1.Pod) string {
	n := p.Annotations["workflows.argoproj.io/node-name"]
	// The node name is the path of steps from the workflow, dot-separated; a loop's item
	// in parentheses may hold dots of its own (values-dev.yaml), so only a dot outside
	// parentheses separates steps.
	depth := 0
	for i := len(n) - 1; i >= 0; i-- {
		switch n[i] {
		case ')':
			depth++
		case '(':
			depth--
		case '.':
			if depth == 0 {
				n = n[i+1:]
				i = 0
			}
		}
	}
	if n == "" {
		return p.Name
	}
	return n
}
