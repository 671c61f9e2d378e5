package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/appflowc/appflowc/apply"
)

//go:embed static
var static embed.FS

// Options configure a Server.
type Options struct {
	Namespace       string // of the Workflows and CronWorkflows
	ArgoCDNamespace string // of the Applications and ApplicationSets
	// Entries are the config's; nil shows every entry appflowc's runs name.
	Entries []ConfigEntry
	// Token is the secret part of the page's address; "" draws a random one.
	Token string
	// Backoff overrides the watches' backoff (tests); nil: follow's.
	Backoff *wait.Backoff
}

// Limits on what browsers may hold open at once: a page that is reloaded in a loop, or
// many tabs, cost a bounded number of goroutines and API server streams.
const (
	MaxViewers     = 32
	MaxLogStreams  = 8
	keepAlive      = 15 * time.Second
	snapshotSettle = 150 * time.Millisecond // changes within this are sent as one
)

// Server serves the page, its event stream and step logs.
type Server struct {
	client *apply.Client
	opts   Options
	live   *live
	prefix string // "/<token>/"

	mu      sync.Mutex
	last    []byte // the newest snapshot, as sent
	viewers map[chan []byte]bool
	logs    int
}

// NewServer prepares a server; Serve starts it.
func NewServer(c *apply.Client, opts Options) (*Server, error) {
	if opts.Token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("ui: token: %w", err)
		}
		opts.Token = hex.EncodeToString(b)
	}
	return &Server{client: c, opts: opts, live: newLive(c, opts), prefix: "/" + opts.Token + "/", viewers: map[chan []byte]bool{}}, nil
}

// URL is the page's address on a listener.
func (s *Server) URL(ln net.Listener) string {
	return "http://" + ln.Addr().String() + s.prefix
}

// Serve follows the cluster and serves the page on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.live.run(ctx) }()
	go func() { defer wg.Done(); s.broadcast(ctx) }()
	hs := &http.Server{Handler: s.Handler(ln.Addr().String()), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	// Event streams and log streams end with ctx (BaseContext); give them a moment.
	shut, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	_ = hs.Shutdown(shut)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// broadcast sends each new snapshot to every viewer, once the changes have settled.
func (s *Server) broadcast(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.live.changed:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(snapshotSettle):
		}
		s.publish()
	}
}

func (s *Server) publish() {
	b, err := json.Marshal(s.live.snapshot())
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes.Equal(b, s.last) {
		return
	}
	s.last = b
	for v := range s.viewers {
		// Each viewer holds only the newest snapshot: a slow browser skips states, it
		// never makes the server queue them.
		select {
		case <-v:
		default:
		}
		v <- b
	}
}

// Handler serves the page under the token's path to requests addressed to addr (or to
// localhost at its port): a page on another site cannot read it, even through a DNS name
// rebound to 127.0.0.1, and another user of the machine needs the token.
func (s *Server) Handler(addr string) http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	fileServer := http.FileServerFS(files)
	mux.Handle("GET "+s.prefix+"{file...}", http.StripPrefix(strings.TrimSuffix(s.prefix, "/"), fileServer))
	mux.HandleFunc("GET "+s.prefix+"events", s.events)
	mux.HandleFunc("GET "+s.prefix+"logs", s.logStream)
	host, port, _ := net.SplitHostPort(addr)
	allowed := map[string]bool{addr: true, "localhost:" + port: true, "127.0.0.1:" + port: true, "[::1]:" + port: true}
	// Served beyond loopback (--address), the page is reached by names this process cannot
	// know; the token alone guards it there.
	anyHost := false
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		anyHost = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if !anyHost && !allowed[r.Host] {
			http.Error(w, "appflowc ui: this page answers only to the address it printed", http.StatusMisdirectedRequest)
			return
		}
		if !strings.HasPrefix(r.URL.Path, s.prefix) {
			http.NotFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// events is the page's Server-Sent Events stream: the current snapshot at once, then
// each new one.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	v := make(chan []byte, 1)
	s.mu.Lock()
	if len(s.viewers) >= MaxViewers {
		s.mu.Unlock()
		http.Error(w, "appflowc ui: too many open pages", http.StatusTooManyRequests)
		return
	}
	s.viewers[v] = true
	first := s.last
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.viewers, v)
		s.mu.Unlock()
	}()
	if first == nil {
		b, err := json.Marshal(s.live.snapshot())
		if err != nil {
			return
		}
		first = b
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "retry: 2000\n\n")
	writeEvent(w, "snapshot", first)
	fl.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case b := <-v:
			writeEvent(w, "snapshot", b)
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		fl.Flush()
	}
}

// writeEvent writes one event; data is JSON, which holds no raw newline.
func writeEvent(w http.ResponseWriter, name string, data []byte) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
}

// logStream streams one step's log (logs -f's code) as events of one escaped line each,
// for runs the page shows only.
func (s *Server) logStream(w http.ResponseWriter, r *http.Request) {
	wf, step := r.URL.Query().Get("workflow"), r.URL.Query().Get("step")
	s.live.mu.Lock()
	_, known := s.live.st.runs[wf]
	s.live.mu.Unlock()
	if !known || step == "" {
		http.Error(w, "appflowc ui: no such run on this page", http.StatusNotFound)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	if s.logs >= MaxLogStreams {
		s.mu.Unlock()
		http.Error(w, "appflowc ui: too many log streams open", http.StatusTooManyRequests)
		return
	}
	s.logs++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.logs--
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "retry: 86400000\n\n") // a finished stream is not reopened by the browser
	fl.Flush()
	lw := &lineEvents{w: w, fl: fl}
	err := s.client.Logs(r.Context(), s.opts.Namespace, wf, apply.LogOptions{Step: step, Follow: true}, lw)
	lw.flushLine()
	end := map[string]string{}
	if err != nil && r.Context().Err() == nil {
		end["error"] = field(err.Error(), maxMessage)
	}
	b, _ := json.Marshal(end)
	writeEvent(w, "end", b)
	fl.Flush()
}

// lineEvents turns what Logs writes (whole lines, already escaped) into one event each.
type lineEvents struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	fl      http.Flusher
	partial []byte
}

func (l *lineEvents) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		b, _ := json.Marshal(string(l.partial[:i]))
		writeEvent(l.w, "line", b)
		l.partial = l.partial[i+1:]
	}
	l.fl.Flush()
	return len(p), nil
}

func (l *lineEvents) flushLine() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		b, _ := json.Marshal(string(l.partial))
		writeEvent(l.w, "line", b)
		l.partial = nil
	}
}
