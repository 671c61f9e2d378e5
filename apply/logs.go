package apply

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/appflowc/appflowc/internal/follow"
	"github.com/appflowc/appflowc/internal/safetext"
)

// LogOptions configure Logs. Each field names its flag.
type LogOptions struct {
	Step string // --step: only this step (display name)
	// Node, if set, is the full name of the one node whose pod is wanted (Argo's
	// node-name annotation): one pod, however many steps share a display name.
	Node   string
	Follow bool // -f: stream until the workflow completes
	// Raw writes each log line as the pod wrote it (--raw); otherwise its control
	// characters are escaped (safetext.Line). The step prefix is escaped either way.
	Raw bool
	// Container is the container whose log is read (-c); "" is Argo's main container.
	Container string
	// TailLines, if set, reads only the last lines of each step's log (--tail), as the
	// kubelet counts them.
	TailLines *int64
	// Since, if positive, reads only lines written within it (--since).
	Since time.Duration
	// Timestamps asks the kubelet to put each line's RFC 3339 time first (--timestamps).
	Timestamps bool
	// Grep, if set, keeps only the lines it matches (--grep), matched on the line as the
	// pod wrote it, before escaping. It is Go's regexp (RE2): linear in the line, so a
	// pattern cannot make a log of any size take long.
	Grep *regexp.Regexp
}

// podLogOptions is what the kubelet is asked for: the filters it applies itself.
func (o LogOptions) podLogOptions() *corev1.PodLogOptions {
	plo := &corev1.PodLogOptions{Container: o.Container, Follow: o.Follow, TailLines: o.TailLines, Timestamps: o.Timestamps}
	if plo.Container == "" {
		plo.Container = "main"
	}
	if o.Since > 0 {
		// The API counts whole seconds; a part second rounds up so that nothing asked for is cut.
		s := int64((o.Since + time.Second - 1) / time.Second)
		plo.SinceSeconds = &s
	}
	return plo
}

// MaxLogLine is the longest log line written as one line; a longer one is written in
// pieces of this size, each after its step's prefix and "(cont.)" after the first, so
// that no line is dropped, memory stays bounded and streams do not wait on each other.
const MaxLogLine = 1 << 20

// Logs writes the main container's log of each step pod of a workflow, each line
// prefixed by the step's name. With Follow it streams each step as its pod starts, and
// stops when the workflow has finished, or with a *GoneError when it is deleted first:
// a follow on a pod never ends by itself while the container runs (and kwok always
// reports it running).
func (c *Client) Logs(ctx context.Context, namespace, workflow string, opts LogOptions, w io.Writer) error {
	if _, err := c.Status(ctx, namespace, workflow); err != nil {
		return err
	}
	if opts.Follow {
		watchCtx, stop := context.WithCancel(ctx)
		defer stop()
		wfDone := make(chan struct{})
		var werr error
		go func() {
			_, werr = c.Watch(watchCtx, namespace, []string{workflow}, WatchOptions{Out: io.Discard})
			close(wfDone)
		}()
		err := c.FollowLogs(ctx, namespace, []string{workflow}, opts, w, wfDone)
		stop()
		<-wfDone
		// The watch was stopped once the logs were done: its context.Canceled is no news.
		if werr != nil && ctx.Err() == nil && !errors.Is(werr, context.Canceled) {
			return errors.Join(werr, err)
		}
		return err
	}
	l := newStreamer(c, namespace, opts, w, false)
	var pods []corev1.Pod
	err := follow.EachPage(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		o.LabelSelector = "workflows.argoproj.io/workflow=" + workflow
		return c.cs.CoreV1().Pods(namespace).List(ctx, o)
	}, metav1.ListOptions{}, func(items []runtime.Object, _ string) error {
		for _, o := range items {
			if p, ok := o.(*corev1.Pod); ok {
				pods = append(pods, *p)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logs: list pods of %s: %w", workflow, err)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].CreationTimestamp.Before(&pods[j].CreationTimestamp) })
	if opts.Node != "" { // one node is one pod (the first made), or none
		i := slices.IndexFunc(pods, func(p corev1.Pod) bool { return p.Annotations[nodeNameAnnotation] == opts.Node })
		pods = pods[max(i, 0) : i+1]
	}
	for i := range pods {
		l.stream(ctx, &pods[i])
	}
	return errors.Join(l.errs...)
}

// FollowLogs streams the step logs of the given workflows' pods as each pod starts, over
// one pod list+watch (follow's, with its backoff), until stop is closed (the caller knows
// when the workflows are done). With more than one workflow, lines are prefixed
// "workflow/step: ".
func (c *Client) FollowLogs(ctx context.Context, namespace string, workflows []string, opts LogOptions, w io.Writer, stop <-chan struct{}) error {
	l := newStreamer(c, namespace, opts, w, len(workflows) > 1)
	selector := fmt.Sprintf("workflows.argoproj.io/workflow in (%s)", strings.Join(workflows, ","))
	src := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return c.cs.CoreV1().Pods(namespace).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return c.watchCS.CoreV1().Pods(namespace).Watch(ctx, o)
		},
	}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	followed := make(chan error, 1)
	listed := make(chan struct{})
	var once sync.Once
	go func() {
		followed <- follow.Run(followCtx, src, follow.Handler{
			Event: func(typ watch.EventType, obj runtime.Object) (bool, error) {
				if p, ok := obj.(*corev1.Pod); ok && typ != watch.Deleted {
					l.start(streamCtx, p)
				}
				return false, nil
			},
			Listed: func() (bool, error) { once.Do(func() { close(listed) }); return false, nil },
		}, follow.Options{})
	}()
	// The pods that exist are streamed even when the workflows have already finished.
	select {
	case <-listed:
	case err := <-followed:
		stopStreams()
		l.wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("logs: follow pods: %w", err)
	}
	select {
	case <-l.nodeDone: // the one pod of LogOptions.Node has ended: nothing more will come
		stopFollow()
		<-followed
		stopStreams()
		l.wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.Join(l.errs...)
	case <-stop:
		stopFollow()
		<-followed
		// Streams of finished containers end by themselves; give them a moment to
		// deliver their last lines before stopping the rest.
		finished := make(chan struct{})
		go func() { l.wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
		stopStreams()
		l.wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.Join(l.errs...)
	case err := <-followed:
		// The pod watch gave up (no rights, Ctrl-C): what is streaming stops too.
		stopStreams()
		l.wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.Join(append([]error{fmt.Errorf("logs: follow pods: %w", err)}, l.errs...)...)
	}
}

type logStreamer struct {
	c            *Client
	namespace    string
	opts         LogOptions
	w            io.Writer
	withWorkflow bool       // prefix lines with the workflow's name too
	mu           sync.Mutex // guards started, errs and writes (lines must not interleave)
	started      map[string]bool
	errs         []error
	wg           sync.WaitGroup
	// nodeDone is closed when the stream of LogOptions.Node's pod has ended (never
	// without Node).
	nodeDone chan struct{}
}

func newStreamer(c *Client, namespace string, opts LogOptions, w io.Writer, withWorkflow bool) *logStreamer {
	l := &logStreamer{c: c, namespace: namespace, opts: opts, w: w, withWorkflow: withWorkflow, started: map[string]bool{}}
	if opts.Node != "" {
		l.nodeDone = make(chan struct{})
	}
	return l
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
	// One node is one pod: a cluster that labels more pods with its name gets one stream.
	if l.opts.Node != "" && (p.Annotations[nodeNameAnnotation] != l.opts.Node || len(l.started) > 0) {
		return
	}
	l.started[p.Name] = true
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.stream(ctx, p)
		if l.opts.Node != "" {
			close(l.nodeDone) // started once at most with Node (above)
		}
	}()
}

func (l *logStreamer) fail(prefix string, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, fmt.Errorf("logs of step %s: %w", prefix, err))
	l.mu.Unlock()
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
	// The prefix comes from the pod (its labels, Argo's node-name annotation): always
	// escaped, whatever --raw says about the lines.
	prefix = safetext.Field(prefix, 128)
	rc, err := l.c.watchCS.CoreV1().Pods(l.namespace).GetLogs(p.Name, l.opts.podLogOptions()).Stream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(prefix, err)
		}
		return
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var line []byte
	cont := false // the next piece continues a line written before
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if err == bufio.ErrBufferFull && len(line) < MaxLogLine {
			continue
		}
		switch {
		case len(line) == 0:
		case cont && len(line) == 1 && line[0] == '\n':
			cont = false // the newline that ends a line already written in pieces
		default:
			l.write(prefix, line, cont)
			cont = err == bufio.ErrBufferFull
		}
		line = line[:0]
		switch {
		case err == nil, err == bufio.ErrBufferFull:
		case err == io.EOF:
			return
		default:
			if ctx.Err() == nil {
				l.fail(prefix, err)
			}
			return
		}
	}
}

// write writes one line (or piece of a line) after its prefix, whole: lines of
// different steps never interleave.
func (l *logStreamer) write(prefix string, line []byte, cont bool) {
	text := strings.TrimSuffix(string(line), "\n")
	if l.opts.Grep != nil && !l.opts.Grep.MatchString(text) {
		return
	}
	if !l.opts.Raw {
		text = safetext.Line(text)
	}
	if cont {
		prefix += " (cont.)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, prefix+": "+text+"\n")
}

// nodeNameAnnotation is where Argo puts the full name of the node a pod runs.
const nodeNameAnnotation = "workflows.argoproj.io/node-name"

// stepName is the display name of the node a pod runs, from Argo's node-name
// annotation ("wf.steps[1].deploy" -> "deploy").
func stepName(p *corev1.Pod) string {
	n := p.Annotations[nodeNameAnnotation]
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
