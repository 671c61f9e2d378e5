package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/library"
)

// TestVetRefusesWhatTheRunWould holds vet to the library's run-time input checks: for each
// config field that becomes a parameter of application-create, and a matrix of values
// (hostile ones, and legitimate ones that are easy to get wrong), a value vet accepts
// renders a Workflow whose validate-inputs step (the library's own shell script, run with
// sh and grep as the pod runs it with busybox) accepts it too — no config vet passes
// fails its run's input check — and an injection (an Argo template expression, a second
// line, a quote, a NUL) is refused by both. vet may refuse more, for reasons of meaning
// (a chart version that is not semver, a Git ref git would not take): the run's check is
// about safety, not sense.
func TestVetRefusesWhatTheRunWould(t *testing.T) {
	if _, err := exec.LookPath("grep"); err != nil {
		t.Fatal("the validate-inputs script needs sh and grep:", err)
	}
	fields := []struct {
		name, param string
		config      func(v string) string // an application with the field set to v
	}{
		{"destination.namespace", "namespace", func(v string) string { return app(`chart: nginx, targetRevision: 1.0.0`, `namespace: `+q(v)) }},
		{"project", "project", func(v string) string {
			return app(`chart: nginx, targetRevision: 1.0.0`, `namespace: web`) + "    project: " + q(v) + "\n"
		}},
		{"source.repoURL", "repo_url", func(v string) string {
			return strings.Replace(app(`chart: nginx, targetRevision: 1.0.0`, `namespace: web`), `"https://charts.example.com"`, q(v), 1)
		}},
		{"source.chart", "chart_path", func(v string) string { return app(`chart: `+q(v)+`, targetRevision: 1.0.0`, `namespace: web`) }},
		{"source.path", "chart_path", func(v string) string { return app(`path: `+q(v), `namespace: web`) }},
		{"source.targetRevision (chart)", "target_revision", func(v string) string { return app(`chart: nginx, targetRevision: `+q(v), `namespace: web`) }},
		{"source.targetRevision (git)", "target_revision", func(v string) string { return app(`path: apps/web, targetRevision: `+q(v), `namespace: web`) }},
		{"destination.server", "destination_cluster", func(v string) string {
			return app(`chart: nginx, targetRevision: 1.0.0`, `namespace: web, server: `+q(v))
		}},
		{"destination.name", "destination_cluster", func(v string) string {
			return app(`chart: nginx, targetRevision: 1.0.0`, `namespace: web, name: `+q(v))
		}},
		{"source.helm.valueFiles", "values_file", func(v string) string {
			return app(`chart: nginx, targetRevision: 1.0.0, helm: {valueFiles: [`+q(v)+`]}`, `namespace: web`)
		}},
	}
	hostile := []string{
		`web"` + "\n" + `  evil: true`, "{{workflow.name}}", "{{=toJson(1)}}", "$(id)", "`id`", "; rm -rf / #", "a'b", `a"b`, `a\b`,
		"two words", "line1\nline2", "tab\there", "bidi\u202eevil", "nul\x00x", "", "https://x.example.com/{{workflow.name}}",
		"https://x.example.com/$(id)", "https://x.example.com/a b", "../../etc", "-rf",
	}
	legit := []string{
		"web", "prod-eu-1", "feature/login", "release@2", "v1.2.3", "1.2.3", ">=1.0.0 <2.0.0", "~1.2", "15.x", "^2.0",
		"HEAD", "0123abcd", "apps/web", "charts/nginx", "values-prod.yaml", "in-cluster", "prod.cluster_1",
		"https://kubernetes.default.svc", "https://10.0.0.1:6443", "oci://registry.example.com/charts", "git@github.com:org/deploy.git",
		"ssh://git@github.com/org/deploy.git", "https://git.example.com/org/deploy.git",
	}
	cache := diskcache.New(t.TempDir(), []byte("inputs-test"))
	script, defaults := validateInputs(t, cache)
	for _, f := range fields {
		for _, v := range append(append([]string(nil), hostile...), legit...) {
			// What every run-time check refuses, whatever the kind of input.
			isHostile := strings.Contains(v, "{{") || strings.ContainsAny(v, "\n\x00\"'")
			objs, vetErr := compileConfig(cache, f.config(v))
			if vetErr == nil {
				params := workflowParams(t, objs)
				if err := runScript(script, params); err != nil {
					t.Errorf("%s = %q: vet accepts it, the run's validate-inputs refuses it: %v", f.name, v, err)
				}
				if isHostile {
					t.Errorf("%s = %q: vet accepts a hostile value", f.name, v)
				}
				continue
			}
			if isHostile {
				// The run refuses it too, were it submitted some other way.
				params := map[string]string{}
				for k, d := range defaults {
					params[k] = d
				}
				params[f.param] = v
				if runScript(script, params) == nil {
					t.Errorf("%s = %q: vet refuses it, the run's validate-inputs accepts it", f.name, v)
				}
			}
		}
	}
}

func q(v string) string { return fmt.Sprintf("%q", v) }

// app is one application with the given source and destination fields (flow style).
func app(source, destination string) string {
	return "applications:\n  web:\n    source: {repoURL: \"https://charts.example.com\", " + source + "}\n    destination: {" + destination + "}\n"
}

// compileConfig compiles src with cache, which keeps Argo's verdicts on the library's
// templates (the same in every case).
func compileConfig(cache *diskcache.Cache, src string) ([]Object, error) {
	cfg, err := config.Load(context.Background(), config.Input{FS: fstest.MapFS{"c/app.yaml": {Data: []byte(src)}}, Paths: []string{"c"}})
	if err != nil {
		return nil, err
	}
	return Compile(context.Background(), cfg, cache)
}

// validateInputs returns application-create's validate-inputs script and the parameters
// of a good config's Workflow.
func validateInputs(t *testing.T, cache *diskcache.Cache) (string, map[string]string) {
	t.Helper()
	objs, err := compileConfig(cache, app(`chart: nginx, targetRevision: 1.0.0`, `namespace: web`))
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, o := range objs {
		if wt, ok := o.Obj.(*wfv1.WorkflowTemplate); ok && wt.Name == library.ApplicationCreate {
			for _, tmpl := range wt.Spec.Templates {
				if tmpl.Name == "validate-inputs" {
					script = tmpl.Script.Source
				}
			}
		}
	}
	if script == "" {
		t.Fatal("no validate-inputs script in application-create")
	}
	params := workflowParams(t, objs)
	if err := runScript(script, params); err != nil {
		t.Fatalf("a good config's parameters are refused: %v", err)
	}
	return script, params
}

// workflowParams are the arguments of the config's entry Workflow, with the template's
// defaults for those it does not pass, as the pod's inputs receive them.
func workflowParams(t *testing.T, objs []Object) map[string]string {
	t.Helper()
	params := map[string]string{}
	for _, o := range objs {
		if wt, ok := o.Obj.(*wfv1.WorkflowTemplate); ok && wt.Name == library.ApplicationCreate {
			for _, p := range wt.Spec.Arguments.Parameters {
				if p.Value != nil {
					params[p.Name] = p.Value.String()
				}
			}
		}
	}
	for _, o := range objs {
		if wf, ok := o.Obj.(*wfv1.Workflow); ok {
			for _, p := range wf.Spec.Arguments.Parameters {
				if p.Value != nil {
					params[p.Name] = p.Value.String()
				}
			}
		}
	}
	if len(params) == 0 {
		t.Fatal("no Workflow parameters")
	}
	return params
}

// runScript runs the script as the validate-inputs pod does: parameters in IN_* env vars.
func runScript(script string, params map[string]string) error {
	cmd := exec.Command("sh", "-eu")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	for k, v := range params {
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("a NUL byte cannot reach a pod's environment")
		}
		cmd.Env = append(cmd.Env, "IN_"+k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
