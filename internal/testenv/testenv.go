// Package testenv starts a real local control plane for integration tests: etcd, the
// kube-apiserver with Argo's and Argo CD's CRDs, kwok as a fake node, kube-scheduler,
// kube-controller-manager, the real Argo workflow-controller and the real Argo CD
// repo-server (with helm), ApplicationSet and Application controllers, and a Helm chart
// repository of testdata/charts, all on loopback, built once by hack/testenv/build.sh.
// kwok runs no containers: an in-process simulator plays Argo's executor for resource
// steps (see executor.go); every other workflow step just completes with the exit code
// its pod asks for, and other pods (a synced Deployment's) run until deleted.
//
// One stack per network namespace (Argo's controller fixes its health port): test
// packages call Main from TestMain to get a private one.
package testenv

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

//go:embed kwok-config.yaml
var kwokConfig string

//go:embed argo-setup.yaml
var argoSetup string

// Env is a running control plane.
type Env struct {
	// Dir holds the data, PKI, logs and kubeconfig of this instance.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig.
	Kubeconfig string
	// Config is the admin rest.Config.
	Config *rest.Config
	// Bin is the directory of the cached binaries.
	Bin string
	// ChartRepo is the URL of the loopback Helm repository serving testdata/charts/demo
	// as versions 0.1.0 (appVersion 1.36.1) and 0.2.0 (appVersion 1.37.0).
	ChartRepo string

	apiPort  int
	procs    map[string]*proc
	order    []string
	args     map[string][]string
	extraEnv []string
	// stopExecutor ends the executor simulator.
	stopExecutor func()
	// cleanup runs after every process has stopped (in-process helpers).
	cleanup  []func()
	stopOnce sync.Once
}

// RepoRoot finds the repository root from the calling test's directory.
func RepoRoot() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "hack", "testenv", "build.sh")); err != nil {
		return "", fmt.Errorf("testenv: repository root not found from %s: %w", file, err)
	}
	return root, nil
}

// Binaries returns the directory of the control plane's binaries. It never builds them:
// make testenv does (make test runs it before the tests that need it), so that a cold
// build is visible, has no test timeout over it, and leaves nothing running.
func Binaries() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out, err := exec.Command("bash", filepath.Join(root, "hack", "testenv", "build.sh"), "--print").Output()
	if err != nil {
		return "", fmt.Errorf("testenv: locate the control plane (hack/testenv/build.sh --print): %w", err)
	}
	bin := strings.TrimSpace(string(out))
	if _, err := os.Stat(filepath.Join(filepath.Dir(bin), "complete")); err != nil {
		return "", fmt.Errorf("testenv: the local control plane is not built (nothing complete in %s): run `make testenv` first "+
			"(make test does it; the first build takes 15-20 minutes on 2 cores, see README \"Testing\")", filepath.Dir(bin))
	}
	return bin, nil
}

// freePort returns a port for a component to listen on. Ports come from below Linux's
// ephemeral range (32768 up), checked free one by one: a port taken with ":0" and freed
// for a process to bind later could meanwhile be handed to another ":0" listener of this
// process (miniredis, the chart repository) — kwok's server once lost its port that way.
func freePort() (int, error) {
	for range 2000 {
		p := int(nextPort.Add(1))
		if p >= 32768 {
			nextPort.Store(20000)
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, errors.New("testenv: no free port below 32768")
}

// nextPort is the last port freePort tried; stacks in one process (and on one host when
// namespaces are not available) start apart by PID.
var nextPort = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(int32(20000 + os.Getpid()%1000*12))
	return &n
}()

// Options chooses what Start runs.
type Options struct {
	// APIOnly starts only etcd and the kube-apiserver with Argo's and Argo CD's CRDs and
	// the argo namespace: enough to have the real API server judge objects (server-side
	// dry-run) in a few seconds.
	APIOnly bool
	// EtcdOnly starts etcd alone: a real component in a second, for tests of the
	// harness's process handling.
	EtcdOnly bool
}

// Start brings the stack up in a fresh directory under dir. Stop must be called, even
// when Start fails (it stops what did start).
func Start(ctx context.Context, dir string, opts Options) (*Env, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, Bin: bin, procs: map[string]*proc{}, args: map[string][]string{}}
	for _, d := range []string{"run", "logs", "etcd"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return e, err
		}
	}
	p, err := genPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return e, fmt.Errorf("testenv: pki: %w", err)
	}
	ports := map[string]int{}
	for _, n := range []string{"etcd", "peer", "api", "kwok", "sched", "kcm"} {
		if ports[n], err = freePort(); err != nil {
			return e, err
		}
	}
	e.apiPort = ports["api"]
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports["etcd"])
	if err := e.start(ctx, "etcd", filepath.Join(bin, "etcd-embed"), filepath.Join(dir, "etcd"), etcdURL, fmt.Sprintf("http://127.0.0.1:%d", ports["peer"])); err != nil {
		return e, err
	}
	if err := waitHTTP(ctx, etcdURL+"/health", nil, 30*time.Second, e.alive("etcd")); err != nil {
		return e, e.failed("etcd", err)
	}
	if opts.EtcdOnly {
		return e, nil
	}
	if err := e.start(ctx, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports["api"]),
		"--etcd-servers="+etcdURL,
		"--tls-cert-file="+p.path("apiserver.crt"), "--tls-private-key-file="+p.path("apiserver.key"),
		"--client-ca-file="+p.path("ca.crt"),
		"--service-account-key-file="+p.path("sa.pub"), "--service-account-signing-key-file="+p.path("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--api-audiences=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=RBAC", "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
		// No controller-manager creates SA tokens or removes the not-ready taint here.
		"--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
		"--kubelet-client-certificate="+p.path("admin.crt"), "--kubelet-client-key="+p.path("admin.key"),
		"--endpoint-reconciler-type=none"); err != nil {
		return e, err
	}
	e.Kubeconfig = filepath.Join(dir, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:%d", certificate-authority: %q}
users:
- name: admin
  user: {client-certificate: %q, client-key: %q}
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
`, ports["api"], p.path("ca.crt"), p.path("admin.crt"), p.path("admin.key"))
	if err := os.WriteFile(e.Kubeconfig, []byte(kc), 0o600); err != nil {
		return e, err
	}
	if e.Config, err = clientcmd.BuildConfigFromFlags("", e.Kubeconfig); err != nil {
		return e, err
	}
	// client-go's default 5 QPS would throttle the executor simulator (one pod patch
	// per step) far below what a cluster's executors do in parallel.
	e.Config.QPS, e.Config.Burst = 200, 400
	if err := e.waitAPI(ctx, 90*time.Second); err != nil {
		return e, e.failed("kube-apiserver", err)
	}
	if err := e.installAPIs(ctx); err != nil {
		return e, err
	}
	if opts.APIOnly {
		return e, nil
	}
	if err := os.WriteFile(filepath.Join(dir, "logs", "pod.log"), []byte("2026-01-01T00:00:00.000000000Z stdout F hello from a kwok pod\n"), 0o644); err != nil {
		return e, err
	}
	kcfg := strings.NewReplacer("{{DIR}}", dir, "{{KWOK_PORT}}", strconv.Itoa(ports["kwok"])).Replace(kwokConfig)
	if err := os.WriteFile(filepath.Join(dir, "kwok-config.yaml"), []byte(kcfg), 0o644); err != nil {
		return e, err
	}
	if err := e.start(ctx, "kwok", filepath.Join(bin, "kwok"), "--kubeconfig="+e.Kubeconfig, "--config="+filepath.Join(dir, "kwok-config.yaml")); err != nil {
		return e, err
	}
	if err := e.start(ctx, "kube-scheduler", filepath.Join(bin, "kube-scheduler"), "--kubeconfig="+e.Kubeconfig,
		"--authentication-kubeconfig="+e.Kubeconfig, "--authorization-kubeconfig="+e.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports["sched"])); err != nil {
		return e, err
	}
	// The controller-manager turns the Deployments Argo CD syncs into ReplicaSets and Pods
	// (kwok runs them), and collects garbage (cascade deletes of synced resources).
	if err := e.start(ctx, "kube-controller-manager", filepath.Join(bin, "kube-controller-manager"), "--kubeconfig="+e.Kubeconfig,
		"--authentication-kubeconfig="+e.Kubeconfig, "--authorization-kubeconfig="+e.Kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports["kcm"]),
		"--controllers=deployment-controller,replicaset-controller,namespace-controller,garbage-collector-controller,"+
			"serviceaccount-controller,serviceaccount-token-controller,endpointslice-controller,root-ca-certificate-publisher-controller",
		"--service-account-private-key-file="+p.path("sa.key"), "--root-ca-file="+p.path("ca.crt"),
		"--use-service-account-credentials=false", "--cluster-name=appflowc-testenv"); err != nil {
		return e, err
	}
	if err := e.startController(ctx); err != nil {
		return e, err
	}
	if err := e.startExecutor(); err != nil {
		return e, err
	}
	if err := e.startArgoCD(ctx); err != nil {
		return e, err
	}
	return e, nil
}

// installAPIs installs Argo's full CRDs (with their OpenAPI schemas) and Argo CD's, and the
// objects both expect (the argo and argocd namespaces, the controller ConfigMap, the kwok
// Node, Argo CD's settings and default AppProject).
func (e *Env) installAPIs(ctx context.Context) error {
	crds := filepath.Join(filepath.Dir(e.Bin), "argo-crds", "full")
	if err := e.kubectl(ctx, "apply", "--server-side", "-k", crds); err != nil {
		return fmt.Errorf("testenv: install Argo CRDs: %w", err)
	}
	cdcrds := filepath.Join(filepath.Dir(e.Bin), "argocd-crds")
	for _, n := range []string{"application", "applicationset", "appproject"} {
		if err := e.kubectl(ctx, "apply", "--server-side", "-f", filepath.Join(cdcrds, n+"-crd.yaml")); err != nil {
			return fmt.Errorf("testenv: install Argo CD CRDs: %w", err)
		}
	}
	if err := e.kubectl(ctx, "wait", "--for", "condition=established", "--timeout=60s", "crd/workflows.argoproj.io", "crd/workflowtemplates.argoproj.io",
		"crd/applications.argoproj.io", "crd/applicationsets.argoproj.io", "crd/appprojects.argoproj.io"); err != nil {
		return fmt.Errorf("testenv: CRDs not established: %w", err)
	}
	// The API server builds its OpenAPI document on first request, and with Argo's full
	// CRDs that takes a while: ask for it now, so that Argo CD's first comparisons (whose
	// cluster cache reads it, with a 32 s timeout) do not time out into ComparisonErrors on
	// a busy machine.
	dc, err := discovery.NewDiscoveryClientForConfig(e.Config)
	if err != nil {
		return err
	}
	if _, err := dc.OpenAPISchema(); err != nil {
		return fmt.Errorf("testenv: read the OpenAPI schema: %w", err)
	}
	for _, f := range []struct{ name, data string }{{"argo-setup.yaml", argoSetup}, {"argocd-setup.yaml", argocdSetup}} {
		path := filepath.Join(e.Dir, f.name)
		if err := os.WriteFile(path, []byte(f.data), 0o644); err != nil {
			return err
		}
		if err := e.kubectl(ctx, "apply", "-f", path); err != nil {
			return fmt.Errorf("testenv: apply %s: %w", f.name, err)
		}
	}
	return nil
}

// startExecutor runs the resource-step executor simulator (see executor) until Stop.
func (e *Env) startExecutor() error {
	clients, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(e.Dir, "run", "executor.log"))
	if err != nil {
		return err
	}
	x := &executor{kubectl: filepath.Join(e.Bin, "kubectl"), kubeconfig: e.Kubeconfig, dir: filepath.Join(e.Dir, "run"),
		admin: e.Config, clients: clients, log: logf, seen: map[types.UID]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { x.run(ctx); close(done) }()
	e.stopExecutor = func() { cancel(); <-done; logf.Close() }
	return nil
}

func (e *Env) startController(ctx context.Context) error {
	// Argo 3.7 fixes its health port at :6060: if it is taken, a second control plane is
	// running in this network namespace and its controller would answer our readiness
	// check. Fail instead (run stack-using tests in one package, or in separate netns).
	if l, err := net.Listen("tcp", "127.0.0.1:6060"); err != nil {
		return fmt.Errorf("testenv: port 6060 is in use (another workflow-controller?): %w", err)
	} else {
		l.Close()
	}
	// The controller looks at a running workflow again every DEFAULT_REQUEUE_TIME (10 s by
	// default): in a cluster pods take that long anyway; here a step takes two seconds.
	e.extraEnv = []string{"DEFAULT_REQUEUE_TIME=2s"}
	defer func() { e.extraEnv = nil }()
	if err := e.start(ctx, "workflow-controller", filepath.Join(e.Bin, "workflow-controller"), "--kubeconfig="+e.Kubeconfig,
		// Cluster-wide, so that each test can keep its Workflows in a namespace of its own.
		"--namespace=argo", "--configmap=workflow-controller-configmap",
		"--executor-image=quay.io/argoproj/argoexec:v3.7.18", "--loglevel=info"); err != nil {
		return err
	}
	// The controller's health port is fixed at :6060 in 3.7 (one stack per network namespace).
	if err := waitHTTP(ctx, "http://127.0.0.1:6060/healthz", nil, 60*time.Second, e.alive("workflow-controller")); err != nil {
		return e.failed("workflow-controller", err)
	}
	// Healthy is not started: its start-up lists workflows once more and exits (log.Fatal)
	// if the API server is away meanwhile, as when a test restarts it right after Start.
	return e.waitLog(ctx, "workflow-controller", "Starting CronWorkflow controller", 60*time.Second)
}

// Exited lists the components that have exited while they should run, with the end of
// each one's log: a test that fails because a controller died says so.
func (e *Env) Exited() []string {
	var out []string
	for _, name := range e.order {
		if err := e.alive(name)(); err != nil {
			out = append(out, fmt.Sprintf("%s: %v\n%s", name, err, e.Log(name)))
		}
	}
	return out
}

func (e *Env) kubectl(ctx context.Context, args ...string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ { // "established" can fail transiently right after apply
		cmd := exec.CommandContext(ctx, filepath.Join(e.Bin, "kubectl"), append([]string{"--kubeconfig=" + e.Kubeconfig}, args...)...)
		var out []byte
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		err = fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, tail(string(out), 20))
		time.Sleep(time.Second)
	}
	return err
}

func (e *Env) start(ctx context.Context, name, path string, args ...string) error {
	logf, err := os.Create(filepath.Join(e.Dir, "run", name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "LEADER_ELECTION_DISABLE=true", "KUBECONFIG="+e.Kubeconfig)
	cmd.Env = append(cmd.Env, e.extraEnv...)
	// Own process group, so Stop ends children too; Pdeathsig ends them if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("testenv: start %s: %w", name, err)
	}
	pr := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { pr.err = cmd.Wait(); logf.Close(); close(pr.done) }()
	e.procs[name] = pr
	e.args[name] = append([]string{path}, args...)
	e.order = append(e.order, name)
	return nil
}

// proc is one started component; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func (e *Env) alive(name string) func() error {
	return func() error {
		pr := e.procs[name]
		if pr == nil {
			return fmt.Errorf("%s not started", name)
		}
		select {
		case <-pr.done:
			return fmt.Errorf("%s exited: %v", name, pr.err)
		default:
			return nil
		}
	}
}

func (e *Env) failed(name string, err error) error {
	data, _ := os.ReadFile(filepath.Join(e.Dir, "run", name+".log"))
	return fmt.Errorf("testenv: %s not ready: %w\n%s", name, err, tail(string(data), 30))
}

func (e *Env) waitAPI(ctx context.Context, timeout time.Duration) error {
	tr, err := rest.TransportFor(e.Config)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, fmt.Sprintf("https://127.0.0.1:%d/readyz", e.apiPort), &http.Client{Transport: tr, Timeout: 2 * time.Second}, timeout, e.alive("kube-apiserver"))
}

func waitHTTP(ctx context.Context, url string, c *http.Client, timeout time.Duration, alive func() error) error {
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Second}
	}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if aerr := alive(); aerr != nil {
			return aerr
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RestartAPIServer stops and starts the kube-apiserver (same flags, same etcd), for
// tests of clients that must survive a dropped connection.
func (e *Env) RestartAPIServer(ctx context.Context) error {
	e.stop("kube-apiserver")
	args := e.args["kube-apiserver"]
	if err := e.start(ctx, "kube-apiserver", args[0], args[1:]...); err != nil {
		return err
	}
	return e.waitAPI(ctx, 90*time.Second)
}

func (e *Env) stop(name string) {
	pr := e.procs[name]
	if pr == nil {
		return
	}
	_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-pr.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
		<-pr.done
	}
	delete(e.procs, name)
}

// Stop ends every process Start started, newest first. It may be called more than once.
func (e *Env) Stop() {
	if e == nil {
		return
	}
	e.stopOnce.Do(e.stopAll)
}

func (e *Env) stopAll() {
	if e.stopExecutor != nil {
		e.stopExecutor()
	}
	for i := len(e.order) - 1; i >= 0; i-- {
		e.stop(e.order[i])
	}
	for _, f := range e.cleanup {
		f()
	}
}

// Log returns the tail of a component's log, for test failure messages.
func (e *Env) Log(name string) string {
	data, _ := os.ReadFile(filepath.Join(e.Dir, "run", name+".log"))
	return tail(string(data), 40)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// KubeconfigAs writes a kubeconfig that acts as user (admin credentials impersonating
// user, which holds only the rights RBAC gives that name), for tests of what a user
// without rights sees.
func (e *Env) KubeconfigAs(user string) (string, error) {
	data, err := os.ReadFile(e.Kubeconfig)
	if err != nil {
		return "", err
	}
	kc := strings.Replace(string(data), "  user: {client-certificate:", "  user: {as: "+strconv.Quote(user)+", client-certificate:", 1)
	if kc == string(data) {
		return "", fmt.Errorf("testenv: unexpected kubeconfig shape")
	}
	path := filepath.Join(e.Dir, "kubeconfig-"+user)
	return path, os.WriteFile(path, []byte(kc), 0o600)
}

// StepsWorkflow is an appflowc-labelled two-step Workflow in namespace ns (generateName
// name-); its second step exits with exitCode through the annotation kwok reads.
func StepsWorkflow(ns, name, exitCode string) map[string]any {
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
		"metadata": map[string]any{"generateName": name + "-", "namespace": ns, "labels": map[string]any{"app.kubernetes.io/managed-by": "appflowc"}},
		"spec": map[string]any{
			"entrypoint": "main",
			"templates": []any{
				map[string]any{"name": "main", "steps": []any{
					[]any{map[string]any{"name": "prepare", "template": "step"}},
					[]any{map[string]any{"name": "deploy", "template": "last"}},
				}},
				map[string]any{"name": "step", "container": map[string]any{"image": "docker.io/library/busybox:1.37.0", "command": []any{"true"}}},
				map[string]any{"name": "last", "metadata": map[string]any{"annotations": map[string]any{annExitCode: exitCode}},
					"container": map[string]any{"image": "docker.io/library/busybox:1.37.0", "command": []any{"sh", "-c", "exit " + exitCode}}},
			},
		},
	}
}
