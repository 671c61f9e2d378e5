package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Client applies objects to one cluster, and reads and follows what runs there.
type Client struct {
	// dyn and cs make requests that end by themselves (get, list, apply), each bounded by
	// the request timeout from the first byte sent to the last received, retries included.
	dyn dynamic.Interface
	cs  kubernetes.Interface
	// watchDyn and watchCS make the requests that stay open (watches, followed logs):
	// their headers must come within the request timeout, their bodies may take as long
	// as the caller's context allows.
	watchDyn dynamic.Interface
	watchCS  kubernetes.Interface
	dc       *discovery.DiscoveryClient
	mapper   meta.RESTMapperWithContext
	opts     ClientOptions
}

// ClientOptions configure NewClientWithOptions. Each field names its flag.
type ClientOptions struct {
	// RequestTimeout bounds every request (--request-timeout): one that ends by itself
	// from start to end, retries included; a watch or a followed log until its response
	// headers. 0: no bound.
	RequestTimeout time.Duration
	// MaxResponseBytes bounds the body of a response that is not a stream (a get, a
	// list page, an apply's answer): a hostile server that ignores the page size cannot
	// make the client hold more. 0: no bound.
	MaxResponseBytes int64
}

// DefaultRequestTimeout is long enough for a server-side apply of a large object on a
// busy API server, short enough that a hung one is noticed at a prompt.
const DefaultRequestTimeout = 30 * time.Second

// DefaultMaxResponseBytes is far above a real answer (an object is at most about 1.5 MiB
// in etcd; list pages hold follow.PageSize objects, and Workflows with large statuses
// offload or compress them) and far below what would exhaust a CI runner.
const DefaultMaxResponseBytes = 256 << 20

// DefaultClientOptions are the options of NewClient.
func DefaultClientOptions() ClientOptions {
	return ClientOptions{RequestTimeout: DefaultRequestTimeout, MaxResponseBytes: DefaultMaxResponseBytes}
}

// NewClient builds a client from a rest.Config with DefaultClientOptions.
func NewClient(cfg *rest.Config) (*Client, error) {
	return NewClientWithOptions(cfg, DefaultClientOptions())
}

// NewClientWithOptions builds a client from a rest.Config. The API server is not trusted
// to behave: every request has a deadline (opts.RequestTimeout), redirects are refused
// (client-go would follow them with the credentials), and a Retry-After longer than the
// request timeout is not waited out.
func NewClientWithOptions(cfg *rest.Config, opts ClientOptions) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	// client-go's default rate limit (5 QPS) would make pre-flight's access reviews and
	// a large apply wait on the client rather than the server; kubectl uses 50.
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &guard{next: rt, timeout: opts.RequestTimeout, maxBody: opts.MaxResponseBytes}
	})
	// rest.Config.Timeout bounds a request with its retries, but also the body of a
	// watch or a log stream, which may rightly stay open for hours: two configurations.
	unary, stream := rest.CopyConfig(cfg), rest.CopyConfig(cfg)
	unary.Timeout, stream.Timeout = opts.RequestTimeout, 0
	c := &Client{opts: opts}
	var err error
	if c.dyn, err = dynamic.NewForConfig(unary); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if c.cs, err = kubernetes.NewForConfig(unary); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if c.watchDyn, err = dynamic.NewForConfig(stream); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if c.watchCS, err = kubernetes.NewForConfig(stream); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if c.dc, err = discovery.NewDiscoveryClientForConfig(unary); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapperWithContext(memory.NewMemCacheClientWithContext(c.dc))
	return c, nil
}

// RedirectError is a redirect the API server answered with; it is not followed.
type RedirectError struct{ Location string }

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the API server redirected to %s; appflowc does not follow redirects from the API server (the credentials would go along)", e.Location)
}

// HeaderTimeoutError is a watch or log stream whose response did not start in time.
type HeaderTimeoutError struct{ After time.Duration }

func (e *HeaderTimeoutError) Error() string {
	return fmt.Sprintf("the API server did not answer within the request timeout (%s)", e.After)
}

// Timeout reports true: errors.Is(err, context.DeadlineExceeded) and net.Error callers
// treat it as the timeout it is.
func (e *HeaderTimeoutError) Timeout() bool { return true }
func (e *HeaderTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

var errWatchTooLong = errors.New("the watch outlived the timeout it asked the API server for")

// guard is the transport under every client of a Client; see NewClientWithOptions.
type guard struct {
	next    http.RoundTripper
	timeout time.Duration
	maxBody int64
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response != nil { // the http.Client is following a redirect
		return nil, &RedirectError{Location: req.URL.Redacted()}
	}
	q := req.URL.Query()
	watch := q.Get("watch") == "true" || q.Get("watch") == "1"
	if !watch && !podLog(req.URL.Path) {
		resp, err := g.next.RoundTrip(req)
		if err == nil {
			g.retryAfter(resp)
			err = notServedResponse(req, resp)
		}
		if err != nil {
			return nil, err
		}
		if g.maxBody > 0 {
			resp.Body = &cappedBody{ReadCloser: resp.Body, left: g.maxBody, max: g.maxBody}
		}
		return resp, nil
	}
	// A stream (a watch, a log, followed or not: a log may be large): the response must start within the timeout; then it lasts as long as the
	// caller's context, or, for a watch, as long as the timeout it asked the server for
	// (a server that ignores timeoutSeconds does not keep it forever).
	ctx, cancel := context.WithCancelCause(req.Context())
	var late *time.Timer
	if g.timeout > 0 {
		late = time.AfterFunc(g.timeout, func() { cancel(&HeaderTimeoutError{After: g.timeout}) })
	}
	resp, err := g.next.RoundTrip(req.WithContext(ctx))
	if late != nil {
		late.Stop()
	}
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		var hte *HeaderTimeoutError
		if errors.As(cause, &hte) {
			return nil, hte
		}
		return nil, err
	}
	g.retryAfter(resp)
	if err := notServedResponse(req, resp); err != nil {
		cancel(nil)
		return nil, err
	}
	if s, _ := strconv.Atoi(q.Get("timeoutSeconds")); watch && s > 0 {
		stop := time.AfterFunc(time.Duration(s)*time.Second+max(g.timeout, time.Minute), func() { cancel(errWatchTooLong) })
		resp.Body = &closer{ReadCloser: resp.Body, close: func() { stop.Stop(); cancel(nil) }}
	} else {
		resp.Body = &closer{ReadCloser: resp.Body, close: func() { cancel(nil) }}
	}
	return resp, nil
}

// podLog reports whether path is a pod's log (/api/v1/namespaces/NS/pods/NAME/log), the
// one stream besides a watch. Any other path ending in /log is an object named "log" (a
// Workflow, a WorkflowTemplate), whose answer is bounded like every other.
func podLog(path string) bool {
	p := strings.Split(strings.Trim(path, "/"), "/")
	return len(p) == 7 && p[0] == "api" && p[2] == "namespaces" && p[4] == "pods" && p[6] == "log"
}

// notServedResponse tells a 404 for a path the API server does not serve at all (a CRD
// that is not installed: the API server answers "404 page not found" in plain text) from
// a 404 for an object that does not exist (a Status naming it). The former becomes a
// NotServedError, so that every command says which product to install instead of
// "the server could not find the requested resource". resp's body is kept otherwise.
func notServedResponse(req *http.Request, resp *http.Response) error {
	if resp.StatusCode != http.StatusNotFound {
		return nil
	}
	p := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(p) < 4 || p[0] != "apis" { // discovery paths and the core group: not a CRD
		return nil
	}
	group, version, rest := p[1], p[2], p[3:]
	if rest[0] == "namespaces" {
		if len(rest) < 3 {
			return nil
		}
		rest = rest[2:]
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil // client-go reports the short body
	}
	var st struct{ Kind string }
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		orig := resp.Body
		resp.Body = &closer{ReadCloser: io.NopCloser(io.MultiReader(bytes.NewReader(body), orig)), close: func() { orig.Close() }}
		return nil
	}
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "404 page not found" {
		// Not the API server's own words for an unserved path: something else answered
		// (a web server or a proxy in front of nothing), and its 404 says nothing of CRDs.
		return &NotAPIServerError{Host: req.URL.Host, ContentType: resp.Header.Get("Content-Type")}
	}
	return &NotServedError{Group: group, Version: version, Resource: rest[0]}
}

// NotAPIServerError is a 404 that is neither a Kubernetes Status nor the API server's
// plain "404 page not found": the kubeconfig points at something that is not an API
// server.
type NotAPIServerError struct{ Host, ContentType string }

func (e *NotAPIServerError) Error() string {
	ct := e.ContentType
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("%s answered 404 with %s: it is not a Kubernetes API server", e.Host, ct)
}

// retryAfter drops a Retry-After that asks for a longer wait than a request may take:
// client-go would sleep it out (Retry-After: 3600 is an hour) and then retry.
func (g *guard) retryAfter(resp *http.Response) {
	if g.timeout <= 0 {
		return
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && time.Duration(s)*time.Second > g.timeout {
		resp.Header.Del("Retry-After")
	}
}

// closer runs close after the body it wraps is closed.
// ResponseTooLargeError is a response body beyond ClientOptions.MaxResponseBytes.
type ResponseTooLargeError struct{ Max int64 }

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("the API server's answer exceeds %d MiB; appflowc reads no more (a server that ignores the page size, or a proxy in the way?)", e.Max>>20)
}

// cappedBody reads at most max bytes of a body, then fails with ResponseTooLargeError
// rather than cut the answer short silently.
type cappedBody struct {
	io.ReadCloser
	left, max int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max bytes from a longer one.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, &ResponseTooLargeError{Max: b.max}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

type closer struct {
	io.ReadCloser
	close func()
}

func (c *closer) Close() error {
	err := c.ReadCloser.Close()
	c.close()
	return err
}
