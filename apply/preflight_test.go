package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/internal/testenv"
	"github.com/appflowc/appflowc/manifest"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestPreflightRBACDenied: a user who may only read Workflows gets one clear line per
// missing right and nothing is applied; what she may do still works.
func TestPreflightRBACDenied(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ns := testNamespace(t)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "workflow-reader", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflows"}, Verbs: []string{"get", "list", "watch"}}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-reads", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "workflow-reader"},
		Subjects: []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "alice"}}}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := env.KubeconfigAs("alice")
	if err != nil {
		t.Fatal(err)
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := copyExample(t, filepath.Join(root, "examples", "quickstart"), strings.NewReplacer())
	if err := os.WriteFile(filepath.Join(dir, "namespace.yaml"), []byte(inNamespace(ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut := appflowcAs(t, ctx, kc, 2, "apply", dir, "--watch")
	for _, want := range []string{
		"pre-flight: user alice may not patch workflowtemplates.argoproj.io in namespace " + ns + " to apply WorkflowTemplate/" + ns + "/application-create (ask a cluster admin",
		"pre-flight: user alice may not create workflows.argoproj.io in namespace " + ns + " to apply Workflow/" + ns + "/app-web-",
		"pre-flight: user alice may not patch clusterroles.rbac.authorization.k8s.io (cluster-wide)",
		"which ClusterRole/appflowc-workflows grants to the workflows (only rights you hold can be granted)",
		"pre-flight: user alice may not get pods/log in namespace " + ns + " to stream step logs with --watch",
		"pre-flight problems; nothing was applied",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "may not list workflows") || strings.Contains(errOut, "may not watch workflows") {
		t.Errorf("a right alice has is reported missing:\n%s", errOut)
	}
	if out != "" {
		t.Errorf("something was applied:\n%s", out)
	}
	// What she may do works; what she may not is a clear error, not a stack of noise.
	appflowcAs(t, ctx, kc, 0, "list", "-n", ns)
	changes, err := stackClient(t).Apply(ctx, []manifest.Object{stepsWorkflow(ns, "alice-cannot-delete", "0")}, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, errOut = appflowcAs(t, ctx, kc, 2, "delete", "-n", ns, submitted(changes)[0])
	if !strings.Contains(errOut, `User "alice" cannot delete resource "workflows"`) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
		t.Errorf("delete without the right:\n%s", errOut)
	}
}

func appflowcAs(t *testing.T, ctx context.Context, kubeconfig string, wantCode int, args ...string) (stdout, stderr string) {
	t.Helper()
	return runCLI(t, ctx, wantCode, append(args, "--kubeconfig", kubeconfig)...)
}

// TestPreflightFindsMissingNamespaceAndSources: a namespace nothing creates, and
// --check-sources against a local Helm repository.
func TestPreflightFindsMissingNamespaceAndSources(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := writeConfig(t, "", app("pfns", "appflow: {namespace: no-such-ns}\n"))
	_, errOut := appflowc(t, ctx, 2, "apply", dir, "--dry-run")
	if !strings.Contains(errOut, "pre-flight: namespace no-such-ns does not exist and this apply does not create it (create it (kubectl create namespace no-such-ns), or set appflow.namespace)") {
		t.Errorf("missing namespace:\n%s", errOut)
	}

	ns := testNamespace(t)
	repo := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/charts/index.yaml" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "apiVersion: v1\nentries:\n  nginx:\n  - version: 1.2.3\n  - version: 1.4.0\n")
	}))
	defer repo.Close()
	c := stackClient(t)
	for _, tc := range []struct{ chart, revision, repoPath, want string }{
		{"nginx", "1.2.3", "/charts", ""},
		{"nginx", "~1.4", "/charts", ""},
		{"nginx", "2.0.0", "/charts", "has no version of nginx matching 2.0.0"},
		{"redis", "1.0.0", "/charts", `has no chart "redis"`},
		{"nginx", "1.2.3", "/elsewhere", "answered 404 Not Found"},
	} {
		src := fmt.Sprintf(`applications:
  src:
    source: {repoURL: %q, chart: %s, targetRevision: %q}
    destination: {namespace: src}
`, repo.URL+tc.repoPath, tc.chart, tc.revision)
		objs := renderConfig(t, ns, src)
		probs, err := c.Preflight(ctx, objs, apply.PreflightOptions{CheckSources: true, HTTP: repo.Client()})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(probs)
		if tc.want == "" && len(probs) != 0 || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s %s from %s: problems %s, want %q", tc.chart, tc.revision, tc.repoPath, got, tc.want)
		}
	}
}
