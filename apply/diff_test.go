package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDiffCommand: before apply everything is new; after apply nothing differs (the
// Workflow is only mentioned); a changed Secret value and a changed template setting
// show as a diff, with the Secret's values masked.
func TestDiffCommand(t *testing.T) {
	t.Parallel() // a namespace of its own: nothing shared with the others
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const v1, v2 = "diff-secret-one-8c2e", "diff-secret-two-41aa"
	const infra = `infra:
  difft:
    namespace: difft
    secrets:
      creds:
        keys:
          token: {fromEnv: APPFLOWC_DIFF_TOKEN}
`
	ns := testNamespace(t)
	dir := writeConfig(t, ns, infra)
	setCLIEnv(t, "APPFLOWC_DIFF_TOKEN="+v1)
	out, errOut := appflowc(t, ctx, 1, "diff", dir)
	for _, want := range []string{"+++ apply/Secret/difft/creds", "+  token: '***'", "# Workflow/" + ns + "/infra-difft-* would be submitted by apply"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff before apply lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "would change") {
		t.Errorf("stderr: %s", errOut)
	}
	appflowc(t, ctx, 0, "apply", dir)
	out, _ = appflowc(t, ctx, 0, "diff", dir)
	if strings.Contains(out, "+++") {
		t.Errorf("diff right after apply shows changes:\n%s", out)
	}
	setCLIEnv(t, "APPFLOWC_DIFF_TOKEN="+v2)
	out, _ = appflowc(t, ctx, 1, "diff", dir)
	if !strings.Contains(out, "-  token: '*** (before)'") || !strings.Contains(out, "+  token: '*** (after)'") {
		t.Errorf("changed secret value:\n%s", out)
	}
	for _, v := range []string{v1, v2} {
		if strings.Contains(out, v) {
			t.Fatal("a secret value appears in diff output")
		}
	}
	changed := writeConfig(t, ns, "appflow: {activeDeadlineSeconds: 1234}\n"+infra)
	setCLIEnv(t, "APPFLOWC_DIFF_TOKEN="+v1)
	out, _ = appflowc(t, ctx, 1, "diff", changed)
	if !strings.Contains(out, "+++ apply/WorkflowTemplate/"+ns+"/infra-provision") || !strings.Contains(out, "+  activeDeadlineSeconds: 1234") {
		t.Errorf("changed deadline:\n%s", out)
	}
	if strings.Contains(out, "Secret/difft/creds") {
		t.Errorf("unchanged secret shown:\n%s", out)
	}
}
