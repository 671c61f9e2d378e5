package testenv

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
)

//go:embed argocd-setup.yaml
var argocdSetup string

// startArgoCD installs Argo CD's CRDs and minimal setup (namespace, argocd-cm,
// argocd-secret, the default AppProject) and starts the real ApplicationSet and
// Application controllers. No repo-server runs: the list generator needs none, and the
// application controller still writes status (sync Unknown, a ComparisonError condition).
// Its cache is an in-process miniredis.
func (e *Env) startArgoCD(ctx context.Context) error {
	crds := filepath.Join(filepath.Dir(e.Bin), "argocd-crds")
	for _, n := range []string{"application", "applicationset", "appproject"} {
		if err := e.kubectl(ctx, "apply", "--server-side", "-f", filepath.Join(crds, n+"-crd.yaml")); err != nil {
			return fmt.Errorf("testenv: install Argo CD CRDs: %w", err)
		}
	}
	if err := e.kubectl(ctx, "wait", "--for", "condition=established", "--timeout=60s",
		"crd/applications.argoproj.io", "crd/applicationsets.argoproj.io", "crd/appprojects.argoproj.io"); err != nil {
		return fmt.Errorf("testenv: Argo CD CRDs not established: %w", err)
	}
	setup := filepath.Join(e.Dir, "argocd-setup.yaml")
	if err := os.WriteFile(setup, []byte(argocdSetup), 0o644); err != nil {
		return err
	}
	if err := e.kubectl(ctx, "apply", "-f", setup); err != nil {
		return fmt.Errorf("testenv: Argo CD setup: %w", err)
	}
	redis := miniredis.NewMiniRedis()
	if err := redis.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("testenv: miniredis: %w", err)
	}
	e.cleanup = append(e.cleanup, redis.Close)
	ports := map[string]int{}
	for _, n := range []string{"appset-metrics", "appset-probe", "appset-webhook", "app-metrics", "repo", "commit"} {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[n] = p
	}
	addr := func(n string) string { return "127.0.0.1:" + strconv.Itoa(ports[n]) }
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
	err := e.start(ctx, "argocd-application-controller", filepath.Join(e.Bin, "argocd-application-controller"),
		"--kubeconfig", e.Kubeconfig, "--namespace", "argocd", "--redis", redis.Addr(),
		"--repo-server", addr("repo"), "--repo-server-plaintext", "--repo-server-timeout-seconds", "5",
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
