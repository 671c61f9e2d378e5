package testenv

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
)

//go:embed argocd-setup.yaml
var argocdSetup string

// startArgoCD starts the real repo-server (rendering
// charts with helm from the loopback chart repository), ApplicationSet and Application
// controllers. Their cache is an in-process miniredis.
func (e *Env) startArgoCD(ctx context.Context) error {
	redis := miniredis.NewMiniRedis()
	if err := redis.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("testenv: miniredis: %w", err)
	}
	e.cleanup = append(e.cleanup, redis.Close)
	ports := map[string]int{}
	for _, n := range []string{"appset-metrics", "appset-probe", "appset-webhook", "app-metrics", "repo", "repo-metrics", "commit"} {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[n] = p
	}
	addr := func(n string) string { return "127.0.0.1:" + strconv.Itoa(ports[n]) }
	if err := e.startChartRepo(ctx); err != nil {
		return err
	}
	// The repo-server runs helm from PATH, wants a writable HOME and TMPDIR, and dies on
	// a missing GPG keyring unless GPG is off.
	// It trusts the chart repository's CA the way a cluster's argocd-tls-certs-cm does: a
	// PEM file named after the host in its TLS data directory.
	home := filepath.Join(e.Dir, "repo-server")
	for _, d := range []string{"home", "tmp", "tls"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return err
		}
	}
	ca, err := os.ReadFile(filepath.Join(e.Dir, "pki", "ca.crt"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "tls", "127.0.0.1"), ca, 0o644); err != nil {
		return err
	}
	e.extraEnv = []string{"ARGOCD_GPG_ENABLED=false", "HOME=" + filepath.Join(home, "home"), "TMPDIR=" + filepath.Join(home, "tmp"),
		"ARGOCD_TLS_DATA_PATH=" + filepath.Join(home, "tls"),
		"PATH=" + e.Bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	err = e.start(ctx, "argocd-repo-server", filepath.Join(e.Bin, "argocd-repo-server"),
		"--address", "127.0.0.1", "--port", strconv.Itoa(ports["repo"]), "--disable-tls",
		"--metrics-address", "127.0.0.1", "--metrics-port", strconv.Itoa(ports["repo-metrics"]),
		"--redis", redis.Addr(), "--logformat", "text", "--loglevel", "info")
	e.extraEnv = nil
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+addr("repo-metrics")+"/metrics", nil, 60*time.Second, e.alive("argocd-repo-server")); err != nil {
		return e.failed("argocd-repo-server", err)
	}
	if err := e.start(ctx, "argocd-applicationset-controller", filepath.Join(e.Bin, "argocd-applicationset-controller"),
		"--kubeconfig", e.Kubeconfig, "--namespace", "argocd", "--enable-leader-election=false",
		"--argocd-repo-server", addr("repo"), "--repo-server-plaintext",
		"--metrics-addr", addr("appset-metrics"), "--probe-addr", addr("appset-probe"), "--webhook-addr", addr("appset-webhook"),
		"--enable-scm-providers=false", "--logformat", "text", "--loglevel", "info"); err != nil {
		return err
	}
	// In-cluster destinations (https://kubernetes.default.svc) use $KUBECONFIG instead of a
	// service-account token.
	e.extraEnv = []string{"ARGOCD_FAKE_IN_CLUSTER=true"}
	err = e.start(ctx, "argocd-application-controller", filepath.Join(e.Bin, "argocd-application-controller"),
		"--kubeconfig", e.Kubeconfig, "--namespace", "argocd", "--redis", redis.Addr(),
		"--repo-server", addr("repo"), "--repo-server-plaintext", "--repo-server-timeout-seconds", "60",
		"--commit-server", addr("commit"), "--metrics-port", strconv.Itoa(ports["app-metrics"]),
		"--app-resync", "60", "--logformat", "text", "--loglevel", "info")
	e.extraEnv = nil
	if err != nil {
		return err
	}
	// Neither controller has a health endpoint we can rely on; their logs say when the
	// informers are synced.
	if err := e.waitLog(ctx, "argocd-applicationset-controller", "Starting workers", 60*time.Second); err != nil {
		return err
	}
	return e.waitLog(ctx, "argocd-application-controller", "Starting ", 60*time.Second)
}

// waitLog waits until a component's log contains marker.
func (e *Env) waitLog(ctx context.Context, name, marker string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	path := filepath.Join(e.Dir, "run", name+".log")
	for {
		if data, _ := os.ReadFile(path); strings.Contains(string(data), marker) {
			return nil
		}
		if err := e.alive(name)(); err != nil {
			return e.failed(name, err)
		}
		if time.Now().After(deadline) {
			return e.failed(name, fmt.Errorf("no %q in its log after %s", marker, timeout))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startChartRepo packages testdata/charts/demo as two versions with the cached helm and
// serves them, with their index, over https on loopback until Stop (certificate from
// the stack's CA).
func (e *Env) startChartRepo(ctx context.Context) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(e.Dir, "charts")
	helm := filepath.Join(e.Bin, "helm")
	for _, v := range [][2]string{{"0.1.0", "1.36.1"}, {"0.2.0", "1.37.0"}} {
		cmd := exec.CommandContext(ctx, helm, "package", filepath.Join(root, "testdata", "charts", "demo"), "--version", v[0], "--app-version", v[1], "-d", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("testenv: helm package demo %s: %w\n%s", v[0], err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.ChartRepo = "https://" + l.Addr().String()
	cmd := exec.CommandContext(ctx, helm, "repo", "index", dir, "--url", e.ChartRepo)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.Close()
		return fmt.Errorf("testenv: helm repo index: %w\n%s", err, out)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	pki := filepath.Join(e.Dir, "pki")
	go srv.ServeTLS(l, filepath.Join(pki, "chartrepo.crt"), filepath.Join(pki, "chartrepo.key")) //nolint:errcheck // returns when closed by Stop
	e.cleanup = append(e.cleanup, func() { srv.Close() })
	return nil
}
