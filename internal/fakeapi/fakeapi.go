// Package fakeapi is a Kubernetes API server for tests that misbehaves on demand: it
// serves discovery, Argo's Workflows, CronWorkflows and WorkflowTemplates, pods and their
// logs from memory (list with limit/continue, watch, get, delete), and each request may be
// met by a fault instead: a hang, a trickle of one byte at a time, Retry-After: 3600, a
// garbage body, a watch that closes at once, a redirect, or an error whose message the
// test chooses. The real control plane (internal/testenv) cannot misbehave like that.
package fakeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
)

// FaultKind is how a matching request is met.
type FaultKind int

const (
	Hang        FaultKind = iota // accept, never answer
	Trickle                      // answer one byte per TrickleEvery
	RetryAfter                   // 429 with Retry-After: 3600
	Garbage                      // 200 with bytes that are no JSON (and hold escapes)
	CloseAtOnce                  // a watch that ends as soon as it starts
	Redirect                     // 302 to Fault.Location
	Error                        // Fault.Code with a Status whose message is Fault.Message
)

// Fault meets the requests it matches instead of the normal answer.
type Fault struct {
	Kind FaultKind
	// Verb matches discovery, version, list, watch, get, delete or log; "" any.
	Verb string
	// Resource matches workflows, pods, ...; "" any.
	Resource string
	// Query, if set, must be part of the request's raw query ("continue=1000").
	Query string
	// Path, if set, must be the request's path ("/apis/argoproj.io/v1alpha1").
	Path string
	// Times is how many requests it meets (0: all).
	Times    int
	Location string // Redirect
	Code     int    // Error
	Message  string // Error
}

// Request is one request the server received.
type Request struct {
	Verb, Resource, Path string
	Query                string
	Header               http.Header
	At                   time.Time
}

// Server is a running fake API server.
type Server struct {
	URL string
	// TrickleEvery is the pause between bytes of a Trickle fault.
	TrickleEvery time.Duration

	srv     *httptest.Server
	mu      sync.Mutex
	rv      int64
	objs    map[string]map[string]map[string]any // resource → namespace/name → object
	logs    map[string]string                    // namespace/pod → log
	events  []event
	faults  []*Fault
	hidden  map[string]bool // resources not served: no CRD (Hide)
	reqs    []Request
	changed chan struct{} // closed and replaced on every request and change
	done    chan struct{}
}

type event struct {
	typ      string
	resource string
	obj      map[string]any
	rv       int64
}

// Start starts a server; Close stops it (tests: t.Cleanup(s.Close)).
func Start() *Server {
	s := &Server{TrickleEvery: time.Second, objs: map[string]map[string]map[string]any{}, logs: map[string]string{},
		changed: make(chan struct{}), done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close ends every open request (hanging ones included) and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Token is the bearer token of the kubeconfig WriteKubeconfig writes.
const Token = "fake-token-5ecret"

// WriteKubeconfig writes a kubeconfig for the server (with Token) to path.
func (s *Server) WriteKubeconfig(path string) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
users: [{name: fake, user: {token: %q}}]
contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: argo}}]
current-context: fake
`, s.URL, Token)
	return os.WriteFile(path, []byte(kc), 0o600)
}

// RESTConfig is the client configuration the kubeconfig of WriteKubeconfig describes.
func (s *Server) RESTConfig() *rest.Config {
	return &rest.Config{Host: s.URL, BearerToken: Token}
}

// Fail adds a fault; the first matching fault with requests left meets a request.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Hide makes the server not serve resources (applications, workflows, ...), as a
// cluster without their CRDs: discovery leaves them out and their paths answer 404 in
// plain text, as kube-apiserver's not-found handler does.
func (s *Server) Hide(resources ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hidden == nil {
		s.hidden = map[string]bool{}
	}
	for _, r := range resources {
		s.hidden[r] = true
	}
}

// Heal removes every fault.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Requests returns the requests received so far matching verb and resource ("" any).
func (s *Server) Requests(verb, resource string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if (verb == "" || r.Verb == verb) && (resource == "" || r.Resource == resource) {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequests waits until n requests matching verb and resource have arrived.
func (s *Server) WaitRequests(ctx context.Context, verb, resource string, n int) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if len(s.Requests(verb, resource)) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d %s %s requests (have %d): %w", n, verb, resource, len(s.Requests(verb, resource)), ctx.Err())
		case <-ch:
		}
	}
}

// Put creates or replaces an object of resource (workflows, pods, ...); its namespace and
// name come from its metadata. Watches see ADDED or MODIFIED.
func (s *Server) Put(resource string, obj map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		obj["metadata"] = md
	}
	key := fmt.Sprint(md["namespace"], "/", md["name"])
	if s.objs[resource] == nil {
		s.objs[resource] = map[string]map[string]any{}
	}
	typ := "MODIFIED"
	if _, ok := s.objs[resource][key]; !ok {
		typ = "ADDED"
	}
	if _, ok := md["creationTimestamp"]; !ok {
		md["creationTimestamp"] = "2026-01-02T03:04:05Z"
	}
	s.rv++
	md["resourceVersion"] = strconv.FormatInt(s.rv, 10)
	obj = deepCopy(obj)
	s.objs[resource][key] = obj
	s.events = append(s.events, event{typ: typ, resource: resource, obj: obj, rv: s.rv})
	s.notifyLocked()
}

// Update changes an object in place (f gets a copy) and tells watches.
func (s *Server) Update(resource, namespace, name string, f func(obj map[string]any)) {
	s.mu.Lock()
	obj := deepCopy(s.objs[resource][namespace+"/"+name])
	s.mu.Unlock()
	if obj == nil {
		panic("fakeapi: no " + resource + " " + namespace + "/" + name)
	}
	f(obj)
	s.Put(resource, obj)
}

// Delete removes an object; watches see DELETED.
func (s *Server) Delete(resource, namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := namespace + "/" + name
	obj, ok := s.objs[resource][key]
	if !ok {
		return
	}
	delete(s.objs[resource], key)
	s.rv++
	obj = deepCopy(obj)
	obj["metadata"].(map[string]any)["resourceVersion"] = strconv.FormatInt(s.rv, 10)
	s.events = append(s.events, event{typ: "DELETED", resource: resource, obj: obj, rv: s.rv})
	s.notifyLocked()
}

// SetLog sets the log of a pod's container; a follow streams it, then waits.
func (s *Server) SetLog(namespace, pod, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs[namespace+"/"+pod] = text
}

func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// route is what a request asks for.
type route struct {
	verb, resource, namespace, name string
	log                             bool
}

var coreResources = map[string]bool{"pods": true, "namespaces": true, "serviceaccounts": true, "configmaps": true, "secrets": true}

func parse(r *http.Request) route {
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var rt route
	switch {
	case r.URL.Path == "/version":
		return route{verb: "version"}
	case r.URL.Path == "/api" || r.URL.Path == "/apis" || (len(p) == 2 && p[0] == "api") || (len(p) == 3 && p[0] == "apis"):
		return route{verb: "discovery"}
	case len(p) >= 2 && p[0] == "api":
		p = p[2:]
	case len(p) >= 3 && p[0] == "apis":
		p = p[3:]
	default:
		return route{verb: "other"}
	}
	if len(p) >= 2 && p[0] == "namespaces" && (len(p) > 2 || !coreResources["namespaces"]) {
		rt.namespace, p = p[1], p[2:]
	}
	if len(p) >= 1 {
		rt.resource = p[0]
	}
	if len(p) >= 2 {
		rt.name = p[1]
	}
	rt.log = len(p) == 3 && p[2] == "log"
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodDelete:
		rt.verb = "delete"
	case r.Method != http.MethodGet:
		rt.verb = strings.ToLower(r.Method)
	case rt.log:
		rt.verb = "log"
	case rt.name != "":
		rt.verb = "get"
	case q.Get("watch") == "true" || q.Get("watch") == "1":
		rt.verb = "watch"
	default:
		rt.verb = "list"
	}
	return rt
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rt := parse(r)
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Verb: rt.verb, Resource: rt.resource, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), At: time.Now()})
	var fault *Fault
	for _, f := range s.faults {
		if (f.Verb == "" || f.Verb == rt.verb) && (f.Resource == "" || f.Resource == rt.resource) && strings.Contains(r.URL.RawQuery, f.Query) && (f.Path == "" || f.Path == r.URL.Path) && f.Times >= 0 {
			fault = f
			if f.Times > 0 {
				if f.Times == 1 {
					f.Times = -1 // used up
				} else {
					f.Times--
				}
			}
			break
		}
	}
	hidden := s.hidden[rt.resource] && rt.verb != "discovery"
	s.notifyLocked()
	s.mu.Unlock()
	if hidden {
		http.NotFound(w, r) // "404 page not found", text/plain: no Status
		return
	}
	if fault != nil {
		if s.fault(w, r, *fault) {
			return
		}
		w = &trickler{ResponseWriter: w, every: s.TrickleEvery, ctx: r.Context(), done: s.done}
	}
	switch rt.verb {
	case "version":
		writeJSON(w, 200, map[string]any{"major": "1", "minor": "37", "gitVersion": "v1.37.2-fake"})
	case "discovery":
		s.discovery(w, r)
	case "list":
		s.list(w, r, rt)
	case "watch":
		s.watch(w, r, rt)
	case "get":
		s.get(w, rt)
	case "delete":
		s.delete(w, rt)
	case "log":
		s.log(w, r, rt)
	case "post":
		if rt.resource == "selfsubjectaccessreviews" { // pre-flight's questions: all allowed
			writeJSON(w, 201, map[string]any{"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "status": map[string]any{"allowed": true}})
			return
		}
		status(w, http.StatusMethodNotAllowed, "the fake API server does not "+rt.verb+" "+rt.resource)
	default:
		status(w, http.StatusMethodNotAllowed, "the fake API server does not "+rt.verb)
	}
}

// fault answers r as f says; false for Trickle, which slows the normal answer.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	case Trickle:
		return false
	case RetryAfter:
		w.Header().Set("Retry-After", "3600")
		status(w, http.StatusTooManyRequests, "too many requests, come back in an hour")
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte("\x00\xff{{{not json\x1b]0;garbage\x07\x1b[2J}}}\n{\"type\":"))
	case CloseAtOnce:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
	case Redirect:
		http.Redirect(w, r, f.Location, http.StatusFound)
	case Error:
		status(w, f.Code, f.Message)
	}
	return true
}

// trickler writes one byte at a time, a pause before each.
type trickler struct {
	http.ResponseWriter
	every time.Duration
	ctx   context.Context
	done  chan struct{}
}

func (t *trickler) Write(p []byte) (int, error) {
	for i := range p {
		select {
		case <-t.ctx.Done():
			return i, t.ctx.Err()
		case <-t.done:
			return i, http.ErrAbortHandler
		case <-time.After(t.every):
		}
		if _, err := t.ResponseWriter.Write(p[i : i+1]); err != nil {
			return i, err
		}
		t.Flush()
	}
	return len(p), nil
}

func (t *trickler) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

func status(w http.ResponseWriter, code int, msg string) {
	reason := map[int]string{401: "Unauthorized", 404: "NotFound", 429: "TooManyRequests", 403: "Forbidden", 500: "InternalError", 405: "MethodNotAllowed", 410: "Expired"}[code]
	writeJSON(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "message": msg, "reason": reason, "code": code})
}

type resourceInfo struct {
	group, version, kind string
	namespaced           bool
}

var resources = map[string]resourceInfo{
	"workflows":                {"argoproj.io", "v1alpha1", "Workflow", true},
	"cronworkflows":            {"argoproj.io", "v1alpha1", "CronWorkflow", true},
	"workflowtemplates":        {"argoproj.io", "v1alpha1", "WorkflowTemplate", true},
	"clusterworkflowtemplates": {"argoproj.io", "v1alpha1", "ClusterWorkflowTemplate", false},
	"applications":             {"argoproj.io", "v1alpha1", "Application", true},
	"applicationsets":          {"argoproj.io", "v1alpha1", "ApplicationSet", true},
	"pods":                     {"", "v1", "Pod", true},
	"namespaces":               {"", "v1", "Namespace", false},
	"serviceaccounts":          {"", "v1", "ServiceAccount", true},
	"configmaps":               {"", "v1", "ConfigMap", true},
	"secrets":                  {"", "v1", "Secret", true},
	"deployments":              {"apps", "v1", "Deployment", true},
	"clusterroles":             {"rbac.authorization.k8s.io", "v1", "ClusterRole", false},
	"clusterrolebindings":      {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", false},
	"roles":                    {"rbac.authorization.k8s.io", "v1", "Role", true},
	"rolebindings":             {"rbac.authorization.k8s.io", "v1", "RoleBinding", true},
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api":
		writeJSON(w, 200, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []any{map[string]any{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}}})
		return
	case "/apis":
		var groups []any
		for _, g := range []string{"argoproj.io/v1alpha1", "apps/v1", "rbac.authorization.k8s.io/v1"} {
			name, v, _ := strings.Cut(g, "/")
			gv := map[string]any{"groupVersion": g, "version": v}
			groups = append(groups, map[string]any{"name": name, "versions": []any{gv}, "preferredVersion": gv})
		}
		writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
		return
	}
	gv := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/apis/"), "/api/")
	var list []any
	names := make([]string, 0, len(resources))
	for n := range resources {
		names = append(names, n)
	}
	sort.Strings(names)
	s.mu.Lock()
	hidden := map[string]bool{}
	for r := range s.hidden {
		hidden[r] = true
	}
	s.mu.Unlock()
	known := false
	for _, n := range names {
		ri := resources[n]
		if strings.Trim(ri.group+"/"+ri.version, "/") != gv {
			continue
		}
		if known = true; hidden[n] {
			continue
		}
		list = append(list, map[string]any{"name": n, "singularName": strings.ToLower(ri.kind), "namespaced": ri.namespaced, "kind": ri.kind,
			"verbs": []string{"get", "list", "watch", "create", "delete", "patch", "update"}})
		if n == "pods" {
			list = append(list, map[string]any{"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": []string{"get"}})
		}
	}
	if !known {
		status(w, 404, "no such group version")
		return
	}
	writeJSON(w, 200, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list})
}

func listKind(resource string) (apiVersion, kind string) {
	ri := resources[resource]
	return strings.Trim(ri.group+"/"+ri.version, "/"), ri.kind + "List"
}

// matching returns the objects of rt's resource in its namespace matching the selector,
// sorted by namespace/name.
func (s *Server) matchingLocked(rt route, sel selectors) []map[string]any {
	var keys []string
	for k := range s.objs[rt.resource] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []map[string]any
	for _, k := range keys {
		o := s.objs[rt.resource][k]
		if matches(o, rt.namespace, sel) {
			out = append(out, o)
		}
	}
	return out
}

func matches(o map[string]any, namespace string, sel selectors) bool {
	md, _ := o["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if !sel.fields.Matches(fields.Set{"metadata.name": name, "metadata.namespace": fmt.Sprint(md["namespace"])}) {
		return false
	}
	if ns, _ := md["namespace"].(string); namespace != "" && ns != namespace {
		return false
	}
	set := labels.Set{}
	if l, ok := md["labels"].(map[string]any); ok {
		for k, v := range l {
			set[k], _ = v.(string)
		}
	}
	return sel.labels.Matches(set)
}

type selectors struct {
	labels labels.Selector
	fields fields.Selector
}

func selector(w http.ResponseWriter, r *http.Request) (selectors, bool) {
	ls, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		status(w, 400, err.Error())
		return selectors{}, false
	}
	fs, err := fields.ParseSelector(r.URL.Query().Get("fieldSelector"))
	if err != nil {
		status(w, 400, err.Error())
		return selectors{}, false
	}
	return selectors{ls, fs}, true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, rt route) {
	sel, ok := selector(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	items := s.matchingLocked(rt, sel)
	rv := s.rv
	s.mu.Unlock()
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("continue"))
	start = min(max(start, 0), len(items))
	end := len(items)
	next := ""
	if limit, _ := strconv.Atoi(q.Get("limit")); limit > 0 && start+limit < len(items) {
		end, next = start+limit, strconv.Itoa(start+limit)
	}
	apiVersion, kind := listKind(rt.resource)
	page := items[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10), "continue": next}, "items": page})
}

func (s *Server) get(w http.ResponseWriter, rt route) {
	if o := s.lookup(w, rt); o != nil {
		writeJSON(w, 200, o)
	}
}

func (s *Server) delete(w http.ResponseWriter, rt route) {
	if o := s.lookup(w, rt); o != nil {
		s.Delete(rt.resource, rt.namespace, rt.name)
		writeJSON(w, 200, o)
	}
}

// lookup returns the object rt names, or answers 404 and returns nil.
func (s *Server) lookup(w http.ResponseWriter, rt route) map[string]any {
	s.mu.Lock()
	o := s.objs[rt.resource][rt.namespace+"/"+rt.name]
	s.mu.Unlock()
	if o == nil {
		status(w, 404, fmt.Sprintf("%s %q not found", rt.resource, rt.name))
	}
	return o
}

// watch sends the events after the request's resourceVersion, then new ones as they
// happen, until the client goes, the server closes or timeoutSeconds pass.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, rt route) {
	sel, ok := selector(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	from, _ := strconv.ParseInt(q.Get("resourceVersion"), 10, 64)
	ctx := r.Context()
	if t, _ := strconv.Atoi(q.Get("timeoutSeconds")); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	s.mu.Lock()
	if from == 0 { // from now: the current objects as ADDED first
		for _, o := range s.matchingLocked(rt, sel) {
			s.mu.Unlock()
			b, _ := json.Marshal(map[string]any{"type": "ADDED", "object": o})
			w.Write(append(b, '\n'))
			s.mu.Lock()
		}
		from = s.rv
	}
	next := 0
	for {
		for ; next < len(s.events); next++ {
			e := s.events[next]
			if e.rv <= from || e.resource != rt.resource || !matches(e.obj, rt.namespace, sel) {
				continue
			}
			s.mu.Unlock()
			b, _ := json.Marshal(map[string]any{"type": e.typ, "object": e.obj})
			if _, err := w.Write(append(b, '\n')); err != nil {
				return
			}
			flush()
			s.mu.Lock()
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-ch:
		}
		s.mu.Lock()
	}
}

// log writes a pod's log; with follow=true it then waits, as a running container's does.
func (s *Server) log(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	text, ok := s.logs[rt.namespace+"/"+rt.name]
	s.mu.Unlock()
	if !ok {
		status(w, 404, fmt.Sprintf("pods %q not found", rt.name))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(200)
	w.Write([]byte(text))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if r.URL.Query().Get("follow") == "true" {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	}
}
