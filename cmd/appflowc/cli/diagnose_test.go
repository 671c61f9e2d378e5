package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

// closedPortKubeconfig writes a kubeconfig for an API server address where nothing
// listens (a port taken and released), and returns its path and the server URL.
func closedPortKubeconfig(t *testing.T) (string, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := "https://" + l.Addr().String()
	l.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, server)), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc, server
}

// goodConfig writes a valid one-entry config and returns its directory.
func goodConfig(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("applications:\n  web: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: web}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUnreachableIsNotMissingCRDs: against a closed port, every cluster command says the
// API server cannot be reached, where, and to check that the cluster runs; none says
// the CRDs are missing (install, diff, graph --workflow and apply --preflight=false did),
// and none writes anything on stdout (list wrote its table's header).
func TestUnreachableIsNotMissingCRDs(t *testing.T) {
	kc, server := closedPortKubeconfig(t)
	cfg := goodConfig(t)
	env := append(testEnv(t), "APPFLOWC_NO_CACHE=1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"install"}, {"diff", cfg}, {"graph", "--workflow", "x"}, {"apply", cfg, "--preflight=false"}, {"apply", cfg},
		{"list"}, {"status", "x"}, {"logs", "x"}, {"delete", "x"}, {"templates", "list"}, {"templates", "create"}, {"templates", "get", "x"},
		{"retry", "x"}, {"resubmit", "x"}, {"stop", "x"}, {"terminate", "x"}, {"suspend", "x"}, {"resume", "x"}, {"wait", "x"}, {"watch", "x"},
		{"submit", "app", "web", "--repo-url", "https://x.example.com", "--path", "p", "--namespace", "web"},
	} {
		code, out, errOut := runIn(ctx, env, append(args, "--kubeconfig", kc)...)
		name := strings.Join(args, " ")
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, ExitUsage, errOut)
		}
		if out != "" { // no data came: nothing a script could take for an (empty) answer
			t.Errorf("%s: wrote to stdout with no cluster to answer:\n%s", name, out)
		}
		if !strings.Contains(errOut, "cannot reach the API server at "+server) || !strings.Contains(errOut, "kubectl cluster-info") {
			t.Errorf("%s: does not say the cluster is unreachable:\n%s", name, errOut)
		}
		for _, wrong := range []string{"CRD", "install Argo"} {
			if strings.Contains(errOut, wrong) {
				t.Errorf("%s: blames %q on a cluster that does not answer:\n%s", name, wrong, errOut)
			}
		}
	}
}

// TestNoKubeconfig: with no kubeconfig anywhere, commands say where they looked and
// what to set, not client-go's KUBERNETES_MASTER hint.
func TestNoKubeconfig(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "APPFLOWC_CONFIG=" + filepath.Join(home, "none.yaml"), "APPFLOWC_NO_CACHE=1"}
	want := "no kubeconfig found at " + filepath.Join(home, ".kube", "config") + "; set KUBECONFIG or --kubeconfig"
	for _, args := range [][]string{{"list"}, {"install"}, {"status", "x"}} {
		code, _, errOut := runIn(context.Background(), env, args...)
		if code != ExitUsage || !strings.Contains(errOut, want) || strings.Contains(errOut, "KUBERNETES_MASTER") {
			t.Errorf("%v without a kubeconfig: exit %d\n%s", args, code, errOut)
		}
	}
	// $KUBECONFIG naming files that do not exist: those are where it looked.
	code, _, errOut := runIn(context.Background(), append(env, "KUBECONFIG=/nope/a:/nope/b"), "list")
	if code != ExitUsage || !strings.Contains(errOut, "no kubeconfig found at /nope/a, /nope/b;") {
		t.Errorf("list with KUBECONFIG of missing files: exit %d\n%s", code, errOut)
	}
}

// TestCredentialsAndRightsRefused: a 401 says to log in again, a 403 which right to ask
// for (the kubectl auth can-i question, from the API server's message).
func TestCredentialsAndRightsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		code int
		msg  string
		want []string
	}{
		{401, "Unauthorized", []string{"refused your credentials (401)", "log in again"}},
		{403, `workflows.argoproj.io is forbidden: User "bob" cannot list resource "workflows" in API group "argoproj.io" in the namespace "argo"`,
			[]string{`User "bob" cannot list`, "check with: kubectl auth can-i list workflows.argoproj.io -n argo", "ask a cluster admin"}},
	} {
		c := newCluster(t)
		c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Code: tc.code, Message: tc.msg})
		for _, args := range [][]string{{"list"}, {"templates", "list"}} {
			code, _, errOut := c.run(t, ctx, args...)
			if code != ExitUsage {
				t.Errorf("%v with %d: exit %d\n%s", args, tc.code, code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("%v with %d: stderr lacks %q:\n%s", args, tc.code, w, errOut)
				}
			}
			if strings.Contains(errOut, "cannot reach") || strings.Contains(errOut, "CRD") {
				t.Errorf("%v with %d: misdiagnosed:\n%s", args, tc.code, errOut)
			}
		}
	}
}

// TestMissingCRDsNameTheProduct: a cluster without Argo Workflows' CRDs makes every
// command say to install Argo Workflows (then appflowc install); one without Argo CD's
// makes apply's pre-flight say to install Argo CD.
func TestMissingCRDsNameTheProduct(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newCluster(t)
	c.Hide("workflows", "cronworkflows", "workflowtemplates")
	for _, args := range [][]string{{"list"}, {"list", "--cron"}, {"status", "x"}, {"graph", "--workflow", "x"}, {"templates", "list"}, {"install"}, {"delete", "--completed"},
		{"retry", "x"}, {"stop", "x"}, {"wait", "x"}, {"watch", "x"}} {
		code, _, errOut := c.run(t, ctx, args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
		if !strings.Contains(errOut, "Argo Workflows' CRDs are not installed") ||
			!strings.Contains(errOut, "install Argo Workflows (https://argo-workflows.readthedocs.io/en/latest/installation/), then run appflowc install") {
			t.Errorf("%v on a cluster without Argo Workflows:\n%s", args, errOut)
		}
		if strings.Contains(errOut, "could not find the requested resource") || strings.Contains(errOut, "appflowc list") {
			t.Errorf("%v: a missing CRD reads as a missing object:\n%s", args, errOut)
		}
	}

	c = newCluster(t)
	c.Hide("applications", "applicationsets")
	code, _, errOut := c.run(t, ctx, "apply", goodConfig(t))
	if code != ExitUsage || !strings.Contains(errOut, "pre-flight: Argo CD is not installed: application-create workflows create Application objects") ||
		!strings.Contains(errOut, "install Argo CD (https://argo-cd.readthedocs.io/en/stable/getting_started/)") {
		t.Errorf("apply on a cluster without Argo CD: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, "install Argo Workflows") {
		t.Errorf("apply without Argo CD blames Argo Workflows:\n%s", errOut)
	}
}

// TestMissingObjectIsNotMissingCRD: a workflow that does not exist, on a cluster that
// serves Workflows, is a NotFound with its own next step, not a missing CRD: the API
// server's 404 with a Status is told from its plain-text 404 for an unserved path. Its
// exit status is 1, the thing asked about not being there (the table's row 1).
func TestMissingObjectIsNotMissingCRD(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newCluster(t)
	code, _, errOut := c.run(t, ctx, "status", "nope")
	if code != ExitFailed || !strings.Contains(errOut, "not found") || !strings.Contains(errOut, "appflowc: next: list the workflows with appflowc list") ||
		strings.Contains(errOut, "CRD") || strings.Contains(errOut, "does not serve") {
		t.Errorf("status of a missing workflow: exit %d\n%s", code, errOut)
	}
}

// TestTLSFailureIsNamed: a server whose certificate the kubeconfig does not trust, and a
// server that does not speak TLS at all, are TLS problems, not an unreachable cluster.
func TestTLSFailureIsNamed(t *testing.T) {
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	defer untrusted.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	for _, server := range []string{untrusted.URL, strings.Replace(plain.URL, "http://", "https://", 1)} {
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		if err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, server)), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runIn(context.Background(), testEnv(t), "list", "--kubeconfig", kc, "--request-timeout", "5s")
		if code != ExitUsage || !strings.Contains(errOut, "appflowc: next: the TLS connection to the API server failed") ||
			!strings.Contains(errOut, "certificate-authority") || strings.Contains(errOut, "cannot reach") {
			t.Errorf("list against %s: exit %d\n%s", server, code, errOut)
		}
	}
}

// TestGroupDiscoveryFailureIsNotMissingCRDs: when the API server answers but the
// discovery of Argo's group fails (a 503 while it is not ready), client-go's mapper finds
// no Workflow kind; that is reported as the failure it is, not as CRDs to install.
func TestGroupDiscoveryFailureIsNotMissingCRDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newCluster(t)
	c.Fail(fakeapi.Fault{Kind: fakeapi.Error, Verb: "discovery", Path: "/apis/argoproj.io/v1alpha1", Code: 503, Message: "argoproj.io is not ready"})
	for _, args := range [][]string{{"install"}, {"graph", "--workflow", "x"}, {"apply", goodConfig(t)}} {
		code, _, errOut := c.run(t, ctx, args...)
		if code != ExitUsage || !strings.Contains(errOut, "discover argoproj.io/v1alpha1") || !strings.Contains(errOut, "appflowc: next: the API server answered 503") {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
		for _, wrong := range []string{"CRD", "install Argo", "does not serve"} {
			if strings.Contains(errOut, wrong) {
				t.Errorf("%v: a discovery failure blamed on missing CRDs (%q):\n%s", args, wrong, errOut)
			}
		}
	}
}
