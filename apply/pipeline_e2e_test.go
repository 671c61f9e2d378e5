package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appflowc/appflowc/internal/testenv"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestPipeline: a pipeline runs the library's and the user's templates through
// templateRef on the real controller (resource steps performed by the executor
// simulator as the workflow's service account), and a scheduled one becomes a
// CronWorkflow that list --cron and status show.
func TestPipeline(t *testing.T) {
	t.Parallel() // the end-to-end tests wait on controllers: run them side by side
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := stackClient(t)
	t.Run("run to the end", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		ns := testNamespace(t)
		dir := writeConfig(t, ns, `workflowTemplates:
  say:
    contract: {text: 'string & !=""'}
    spec:
      entrypoint: main
      templates:
      - name: main
        inputs: {parameters: [{name: text}]}
        container:
          image: docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e
          command: [echo]
          args: ["{{inputs.parameters.text}}"]
pipelines:
  chain:
    labels: {team: pipes}
    steps:
    - {name: provision, template: infra-provision, arguments: {namespace: pipe-ns, namespace_labels: '{"team": "pipes"}'}}
    - {name: say, template: say, arguments: {text: "provisioned {{steps.provision.status}}"}}
`)
		out, _ := appflowc(t, ctx, 0, "apply", dir, "--watch", "--timeout", "4m")
		if !regexp.MustCompile(`(?m)^pipeline-chain-\w+ Succeeded$`).MatchString(out) {
			t.Fatalf("apply --watch of a pipeline:\n%s", out)
		}
		created, err := c.Get(ctx, "v1", "Namespace", "", "pipe-ns")
		if err != nil {
			t.Fatalf("the provision step did not create its namespace: %v", err)
		}
		if created.GetLabels()["team"] != "pipes" {
			t.Errorf("namespace labels %v", created.GetLabels())
		}
		name := submittedName(t, out, ns, "pipeline-chain-")
		st, _ := appflowc(t, ctx, 0, "status", name, "-n", ns)
		for _, step := range []string{"provision", "say"} {
			if !strings.Contains(st, "  "+step+"  Succeeded") {
				t.Errorf("status: step %s did not succeed:\n%s", step, st)
			}
		}
	})
	t.Run("scheduled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ns := testNamespace(t)
		dir := copyExample(t, filepath.Join(root, "examples", "pipeline"), strings.NewReplacer())
		if err := os.WriteFile(filepath.Join(dir, "namespace.yaml"), []byte(inNamespace(ns)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut := appflowc(t, ctx, 0, "apply", dir, "--watch")
		if !strings.Contains(errOut, "nothing to watch: CronWorkflow/"+ns+"/pipeline-release starts its runs on its schedule") || !strings.Contains(errOut, "next: appflowc status pipeline-release -n "+ns) {
			t.Errorf("apply --watch of a scheduled pipeline says:\n%s", errOut)
		}
		if !strings.Contains(out, "CronWorkflow/"+ns+"/pipeline-release created") {
			t.Errorf("apply of the pipeline example:\n%s", out)
		}
		cw, err := c.Get(ctx, "argoproj.io/v1alpha1", "CronWorkflow", ns, "pipeline-release")
		if err != nil {
			t.Fatal(err)
		}
		if tz, _, _ := unstructured.NestedString(cw.Object, "spec", "timezone"); tz != "Europe/Berlin" {
			t.Errorf("timezone %q", tz)
		}
		list, _ := appflowc(t, ctx, 0, "list", "--cron", "-n", ns)
		if !regexp.MustCompile(`(?m)^pipeline-release\s+0 2 \* \* \*\s+Europe/Berlin\s+false\s+never\s+0$`).MatchString(list) {
			t.Errorf("list --cron:\n%s", list)
		}
		st, _ := appflowc(t, ctx, 0, "status", "pipeline-release", "-n", ns)
		if !strings.Contains(st, "Name:       pipeline-release (CronWorkflow)") || !strings.Contains(st, "Runs:       none yet") {
			t.Errorf("status of a CronWorkflow:\n%s", st)
		}
		if _, errOut := appflowc(t, ctx, 2, "list", "--cron", "--phase", "Failed", "-n", ns); !strings.Contains(errOut, "a CronWorkflow has no phase") {
			t.Errorf("list --cron --phase: %s", errOut)
		}
	})
}
