package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestForbiddenIsDiagnosed: on the real API server, a user without rights learns that a
// right is missing, which one (the kubectl auth can-i question, read from the server's
// own 403), and whom to ask; not that the cluster is unreachable or the CRDs missing.
func TestForbiddenIsDiagnosed(t *testing.T) {
	t.Parallel() // a namespace and a user of its own
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(t)
	kc, err := env.KubeconfigAs("diagnose-nobody")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"list", "-n", ns}, []string{`User "diagnose-nobody" cannot list resource "workflows" in API group "argoproj.io" in the namespace "` + ns + `"`,
			"check with: kubectl auth can-i list workflows.argoproj.io -n " + ns}},
		{[]string{"templates", "list", "-n", ns}, []string{"check with: kubectl auth can-i list workflowtemplates.argoproj.io -n " + ns}},
		{[]string{"status", "x", "-n", ns}, []string{"check with: kubectl auth can-i get workflows.argoproj.io -n " + ns}},
		// install reads the CRDs through discovery (open to every user), then lists
		// Deployments cluster-wide to find Argo's controller.
		{[]string{"install"}, []string{"check with: kubectl auth can-i list deployments.apps"}},
	} {
		_, errOut := runCLI(t, ctx, 2, append(tc.args, "--kubeconfig", kc)...)
		for _, w := range append(tc.want, "appflowc: next: your user lacks an RBAC right", "ask a cluster admin for a Role granting it") {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v as a user without rights: stderr lacks %q:\n%s", tc.args, w, errOut)
			}
		}
		for _, wrong := range []string{"cannot reach", "CRDs", "install Argo"} {
			if strings.Contains(errOut, wrong) {
				t.Errorf("%v as a user without rights: misdiagnosed (%q):\n%s", tc.args, wrong, errOut)
			}
		}
	}
}
