package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appflowc/appflowc/internal/fakeapi"
)

// TestNamespacePrecedence asserts the namespace each cluster command actually queries:
// -n, else the kubeconfig context's namespace (--context, current-context, --kubeconfig
// or $KUBECONFIG), else the user config's, else argo.
func TestNamespacePrecedence(t *testing.T) {
	s := fakeapi.Start()
	t.Cleanup(s.Close)
	home := t.TempDir()
	kc := filepath.Join(home, "kubeconfig")
	kcData := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
users: [{name: fake, user: {token: %q}}]
contexts:
- {name: team, context: {cluster: fake, user: fake, namespace: team-ns}}
- {name: plain, context: {cluster: fake, user: fake}}
current-context: team
`, s.URL, fakeapi.Token)
	if err := os.WriteFile(kc, []byte(kcData), 0o600); err != nil {
		t.Fatal(err)
	}
	userCfg := filepath.Join(home, "config.yaml")
	if err := os.WriteFile(userCfg, []byte("namespace: user-ns\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"HOME=" + home, "APPFLOWC_NO_CACHE=1"}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"flag wins over everything", []string{"-n", "flag-ns", "--kubeconfig", kc}, []string{"APPFLOWC_CONFIG=" + userCfg}, "flag-ns"},
		{"context namespace over user config", []string{"--kubeconfig", kc}, []string{"APPFLOWC_CONFIG=" + userCfg}, "team-ns"},
		{"context namespace through $KUBECONFIG", nil, []string{"KUBECONFIG=" + kc, "APPFLOWC_CONFIG=" + userCfg}, "team-ns"},
		{"--context without a namespace: user config", []string{"--kubeconfig", kc, "--context", "plain"}, []string{"APPFLOWC_CONFIG=" + userCfg}, "user-ns"},
		{"user config's context without a namespace: user config", []string{"--kubeconfig", kc}, []string{"APPFLOWC_CONFIG=" + writeFile(t, home, "ctx.yaml", "context: plain\nnamespace: user-ns\n")}, "user-ns"},
		{"nothing set: argo", []string{"--kubeconfig", kc, "--context", "plain"}, []string{"APPFLOWC_CONFIG=" + filepath.Join(home, "none.yaml")}, "argo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"list"}, {"status", "wf-x"}, {"logs", "wf-x"}, {"templates", "list"}, {"delete", "wf-x"}, {"graph", "--workflow", "wf-x"}} {
				before := len(s.Requests("", ""))
				var o, e bytes.Buffer
				RunEnv(context.Background(), append(append(cmd, tc.args...), "--request-timeout", "2s"), append(base, tc.env...), &o, &e)
				reqs := s.Requests("", "")[before:]
				var paths []string
				for _, r := range reqs {
					if strings.Contains(r.Path, "/namespaces/") {
						paths = append(paths, r.Path)
					}
				}
				if len(paths) == 0 {
					t.Errorf("%v: no namespaced request made (stderr %q)", cmd, e.String())
				}
				for _, p := range paths {
					if !strings.Contains(p, "/namespaces/"+tc.want+"/") {
						t.Errorf("%v queried %s, want namespace %s", cmd, p, tc.want)
					}
				}
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
