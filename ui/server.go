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
	"unicode/utf8"

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
	// writeTimeout bounds each write to a browser: one that stops reading loses its
	// stream instead of holding a goroutine and an API server log stream.
	writeTimeout = 10 * time.Second
	// MaxLogEvent bounds one log line as sent (escaped); the rest is cut and counted.
	MaxLogEvent = 16 << 10
	// stopGrace is how long Serve lets open requests finish after its context ends,
	// well inside the second the CLI gives a command after Ctrl-C.
	stopGrace = 300 * time.Millisecond
)

// Server serves the page, its event stream and step logs.
type Server struct {
	client *apply.Client
	opts   Options
	live   *live
	prefix string // "/<token>/"

	mu      sync.Mutex
	last    []byte                       // the newest snapshot, as sent
	shown   map[string]map[string]string // workflow → node name → phase, of the Pod steps it shows
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
	// Event streams and log streams end with ctx (BaseContext); give them a moment, then
	// close what is left (a browser's preconnection, a reader that stopped reading).
	shut, stop := context.WithTimeout(context.Background(), stopGrace)
	defer stop()
	if hs.Shutdown(shut) != nil {
		_ = hs.Close()
	}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishLocked()
}

// publishLocked makes the current state the newest snapshot and sends it if it changed.
func (s *Server) publishLocked() {
	snap := s.live.snapshot()
	b := encode(snap)
	if bytes.Equal(b, s.last) {
		return
	}
	s.last = b
	s.shown = map[string]map[string]string{}
	for _, e := range snap.Entries {
		for _, r := range e.Runs {
			nodes := map[string]string{}
			var walk func(*Step)
			walk = func(st *Step) {
				if st == nil {
					return
				}
				if st.Node != "" {
					nodes[st.Node] = st.Phase
				}
				for _, c := range st.Children {
					walk(c)
				}
			}
			walk(r.Steps)
			s.shown[r.Name] = nodes
		}
	}
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
	v := make(chan []byte, 1)
	s.mu.Lock()
	if len(s.viewers) >= MaxViewers {
		s.mu.Unlock()
		http.Error(w, "appflowc ui: too many open pages", http.StatusTooManyRequests)
		return
	}
	s.viewers[v] = true
	if s.last == nil {
		s.publishLocked()
	}
	first := s.last
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.viewers, v)
		s.mu.Unlock()
	}()
	rc := http.NewResponseController(w)
	send := func(f func()) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		f()
		return rc.Flush() == nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	if !send(func() { fmt.Fprint(w, "retry: 2000\n\n"); writeEvent(w, "snapshot", first) }) {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var ok bool
		select {
		case <-r.Context().Done():
			return
		case b := <-v:
			ok = send(func() { writeEvent(w, "snapshot", b) })
		case <-tick.C:
			ok = send(func() { fmt.Fprint(w, ": keep-alive\n\n") })
		}
		if !ok {
			return
		}
	}
}

// encode is a snapshot as sent. What the server built always encodes (times are made
// encodable where they are read); if it ever did not, the page says so instead of
// going stale.
func encode(s Snapshot) []byte {
	b, err := toJSON(s)
	if err != nil {
		b, _ = toJSON(Snapshot{Namespace: s.Namespace, ArgoCDNamespace: s.ArgoCDNamespace, FromConfig: s.FromConfig, Entries: []Entry{},
			Problems: []string{field("this state cannot be shown: "+err.Error(), maxMessage)}})
	}
	return b
}

// toJSON is v as one line of JSON for an event's data. The page reads it with JSON.parse,
// never as HTML, so <, > and & stay as they are (json.Marshal would make each six bytes).
func toJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeEvent writes one event; data is JSON, which holds no raw newline.
func writeEvent(w http.ResponseWriter, name string, data []byte) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
}

// logStream streams the log of one step the page shows (logs -f's code), as events of
// one escaped line each, each at most MaxLogEvent bytes.
func (s *Server) logStream(w http.ResponseWriter, r *http.Request) {
	wf, node := r.URL.Query().Get("workflow"), r.URL.Query().Get("node")
	s.mu.Lock()
	phase, shown := s.shown[wf][node]
	shown = shown && node != ""
	if shown && s.logs >= MaxLogStreams {
		s.mu.Unlock()
		http.Error(w, "appflowc ui: too many log streams open", http.StatusTooManyRequests)
		return
	}
	if shown {
		s.logs++
	}
	s.mu.Unlock()
	if !shown {
		http.Error(w, "appflowc ui: no such step on this page", http.StatusNotFound)
		return
	}
	defer func() {
		s.mu.Lock()
		s.logs--
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	lw := &lineEvents{w: w, rc: http.NewResponseController(w), gone: cancel}
	w.Header().Set("Content-Type", "text/event-stream")
	lw.send(func() { fmt.Fprint(w, "retry: 86400000\n\n") }) // a finished stream is not reopened by the browser
	// A step that has finished is read once (its pod may be gone: podGC); a running one
	// is followed until its pod's log ends.
	finished := phase != "" && phase != "Pending" && phase != "Running"
	err := s.client.Logs(ctx, s.opts.Namespace, wf, apply.LogOptions{Node: node, Follow: !finished}, lw)
	lw.flushLine()
	end := map[string]string{}
	switch {
	case err != nil && ctx.Err() == nil:
		end["error"] = field(err.Error(), maxMessage)
	case lw.lines == 0 && finished:
		end["note"] = "no log: the step printed nothing, or its pod is gone (Argo deletes the pods of succeeded steps: podGC)"
	}
	b, _ := toJSON(end)
	lw.send(func() { writeEvent(w, "end", b) })
}

// lineEvents turns what Logs writes (whole lines, already escaped) into one event each,
// and ends the stream (gone) when the browser stops taking them.
type lineEvents struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	gone    func()
	failed  bool
	partial []byte
	lines   int
}

func (l *lineEvents) send(f func()) {
	if l.failed {
		return
	}
	_ = l.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	f()
	if l.rc.Flush() != nil {
		l.failed = true
		l.gone()
	}
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
		l.line(l.partial[:i])
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > MaxLogEvent { // no newline in sight: what there is, as a line
		l.line(l.partial)
		l.partial = nil
	}
	if l.failed {
		return 0, errors.New("the page stopped reading")
	}
	return len(p), nil
}

// line sends one line, cut at MaxLogEvent bytes (the cut counted).
func (l *lineEvents) line(b []byte) {
	text := string(b)
	if len(text) > MaxLogEvent {
		cut := MaxLogEvent
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = fmt.Sprintf("%s… (%d bytes cut)", text[:cut], len(text)-cut)
	}
	data, _ := toJSON(text)
	l.lines++
	l.send(func() { writeEvent(l.w, "line", data) })
}

func (l *lineEvents) flushLine() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.line(l.partial)
		l.partial = nil
	}
}
