package library

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	argotemplate "github.com/argoproj/argo-workflows/v3/util/template"
	"sigs.k8s.io/yaml"
)

var hostile = []string{
	`web"` + "\n" + `  evil: true`,
	"{{workflow.name}}",
	"$(rm -rf /)",
	"; rm -rf / #",
	"`id`",
	"a'b\"c\\d",
	"line1\nline2: x",
	"}}{{=toJson(1)}}",
}

func template(t *testing.T, wtName, name string) *wfv1.Template {
	t.Helper()
	wts, err := Templates(testSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, wt := range wts {
		if wt.Name != wtName {
			continue
		}
		for i := range wt.Spec.Templates {
			if wt.Spec.Templates[i].Name == name {
				return wt.Spec.Templates[i].DeepCopy()
			}
		}
	}
	t.Fatalf("no template %s/%s", wtName, name)
	return nil
}

// substitute does what Argo's controller does to a template before running it: replace
// parameters (and expressions) in its JSON form with Argo's own template package.
func substitute(t *testing.T, tmpl *wfv1.Template, params map[string]string) *wfv1.Template {
	t.Helper()
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"workflow.name": "wf-abc12", "workflow.status": "Failed"}
	for k, v := range params {
		m["inputs.parameters."+k] = v
	}
	out, err := argotemplate.Replace(string(b), m, false)
	if err != nil {
		t.Fatalf("argo substitution: %v", err)
	}
	var res wfv1.Template
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func appParams(override map[string]string) map[string]string {
	p := map[string]string{"app_name": "web", "namespace": "web", "repo_url": "https://charts.example.com", "chart_path": "nginx",
		"values_file": "values.yaml,values-prod.yaml", "sync_policy": `{"automated":{"selfHeal":true}}`, "destination_cluster": "https://kubernetes.default.svc",
		"helm_parameters": `{"b":"2","a":"1"}`, "source_kind": "chart", "target_revision": "1.2.3", "project": "default", "helm_values": "x: 1\n",
		"create_namespace": "true", "wait_healthy": "false", "argocd_namespace": "argocd"}
	for k, v := range override {
		p[k] = v
	}
	return p
}

func manifest(t *testing.T, tmpl *wfv1.Template) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(tmpl.Resource.Manifest), &obj); err != nil {
		t.Fatalf("manifest is not YAML: %v\n%s", err, tmpl.Resource.Manifest)
	}
	return obj
}

func TestApplicationManifestFromArgoSubstitution(t *testing.T) {
	obj := manifest(t, substitute(t, template(t, ApplicationCreate, "apply-application"), appParams(nil)))
	want := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "web", "namespace": "argocd", "labels": map[string]any{"app.kubernetes.io/managed-by": "appflowc"},
			"annotations": map[string]any{"appflowc.dev/applied-by": "wf-abc12"}, "finalizers": []any{"resources-finalizer.argocd.argoproj.io"}},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{"repoURL": "https://charts.example.com", "chart": "nginx", "targetRevision": "1.2.3",
				"helm": map[string]any{"valueFiles": []any{"values.yaml", "values-prod.yaml"}, "values": "x: 1\n",
					"parameters": []any{map[string]any{"name": "a", "value": "1"}, map[string]any{"name": "b", "value": "2"}}}},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "web"},
			"syncPolicy":  map[string]any{"automated": map[string]any{"selfHeal": true}},
		},
	}
	if !reflect.DeepEqual(obj, want) {
		got, _ := json.MarshalIndent(obj, "", "  ")
		t.Fatalf("Application manifest:\n%s", got)
	}
}

// TestHostileValuesStayData feeds hostile values to every string parameter and requires
// that each arrives as exactly that string in exactly its field, with no field added.
func TestHostileValuesStayData(t *testing.T) {
	for _, h := range hostile {
		for _, field := range []struct{ param, path string }{
			{"app_name", "metadata.name"}, {"repo_url", "spec.source.repoURL"}, {"chart_path", "spec.source.chart"},
			{"target_revision", "spec.source.targetRevision"}, {"project", "spec.project"}, {"helm_values", "spec.source.helm.values"},
			{"namespace", "spec.destination.namespace"}, {"destination_cluster", "spec.destination.name"},
		} {
			obj := manifest(t, substitute(t, template(t, ApplicationCreate, "apply-application"), appParams(map[string]string{field.param: h})))
			if got := lookup(obj, field.path); got != h {
				t.Errorf("%s=%q: %s is %q", field.param, h, field.path, got)
			}
			if keys(obj) != "apiVersion,kind,metadata,spec" || keys(obj["spec"].(map[string]any)) != "destination,project,source,syncPolicy" {
				t.Errorf("%s=%q injected fields: %v", field.param, h, obj)
			}
		}
		// Inside JSON parameters, hostile names and values stay one Helm parameter.
		hp, _ := json.Marshal(map[string]string{h: h})
		obj := manifest(t, substitute(t, template(t, ApplicationCreate, "apply-application"), appParams(map[string]string{"helm_parameters": string(hp)})))
		ps := obj["spec"].(map[string]any)["source"].(map[string]any)["helm"].(map[string]any)["parameters"].([]any)
		if len(ps) != 1 || ps[0].(map[string]any)["name"] != h || ps[0].(map[string]any)["value"] != h {
			t.Errorf("helm_parameters with %q: %v", h, ps)
		}
	}
}

func TestApplicationSetManifestFromArgoSubstitution(t *testing.T) {
	envs := `[{"name":"dev","cluster":"https://kubernetes.default.svc","namespace":"shop-dev","valueFiles":["values-dev.yaml"],"parameters":{"replicaCount":"1"}},{"name":"prod","cluster":"prod-cluster","namespace":"shop-prod","valueFiles":[],"parameters":{}}]`
	p := map[string]string{"appset_name": "shop", "repo_url": "https://charts.example.com", "chart_path": "nginx", "environments": envs, "generator_type": "list",
		"sync_policy": "{}", "source_kind": "chart", "target_revision": "1.2.3", "project": "default", "git_generator": "{}", "preserve_resources": "true",
		"default_server": "https://kubernetes.default.svc", "argocd_namespace": "argocd"}
	obj := manifest(t, substitute(t, template(t, ApplicationSetCreate, "apply-applicationset"), p))
	spec := obj["spec"].(map[string]any)
	elements := spec["generators"].([]any)[0].(map[string]any)["list"].(map[string]any)["elements"].([]any)
	if len(elements) != 2 || elements[1].(map[string]any)["destination"].(map[string]any)["name"] != "prod-cluster" {
		t.Fatalf("elements: %v", elements)
	}
	tmpl := spec["template"].(map[string]any)
	if name := tmpl["metadata"].(map[string]any)["name"]; name != "shop-{{ .env }}" {
		t.Fatalf("template name %q", name)
	}
	if !strings.Contains(spec["templatePatch"].(string), "valueFiles: {{ toJson .valueFiles }}") {
		t.Fatalf("templatePatch %q", spec["templatePatch"])
	}
	if spec["syncPolicy"].(map[string]any)["preserveResourcesOnDeletion"] != true {
		t.Fatal("preserveResourcesOnDeletion not set")
	}
	// A hostile environment name stays inside its element.
	hostileEnvs := `[{"name":"dev\"}]\n- evil","cluster":"c","namespace":"n","valueFiles":[],"parameters":{}}]`
	p["environments"] = hostileEnvs
	obj = manifest(t, substitute(t, template(t, ApplicationSetCreate, "apply-applicationset"), p))
	elements = obj["spec"].(map[string]any)["generators"].([]any)[0].(map[string]any)["list"].(map[string]any)["elements"].([]any)
	if len(elements) != 1 || elements[0].(map[string]any)["env"] != "dev\"}]\n- evil" {
		t.Fatalf("hostile elements: %v", elements)
	}
}

func TestInfraManifestsFromArgoSubstitution(t *testing.T) {
	cm := substitute(t, template(t, InfraProvision, "apply-configmap"), map[string]string{"namespace": "pay", "configmap": `{"name":"cfg","data":{"K":"v\"\nx: {{y}}"}}`})
	obj := manifest(t, cm)
	if lookup(obj, "metadata.name") != "cfg" || obj["data"].(map[string]any)["K"] != "v\"\nx: {{y}}" {
		t.Fatalf("configmap: %v", obj)
	}
	sec := substitute(t, template(t, InfraProvision, "verify-secret"), map[string]string{"namespace": "pay", "secret": `{"name":"db","keys":["password","tls.crt"]}`})
	if sec.Resource.SuccessCondition != `data.password` {
		t.Fatalf("secret condition %q", sec.Resource.SuccessCondition)
	}
	run := substitute(t, template(t, InfraProvision, "run-script"), map[string]string{"image": "img", "script": `{"name":"s","image":"img","command":["sh","-c","echo $T"],"args":[],"env":{"T":"$(rm -rf /)"}}`})
	var patch map[string]any
	if err := json.Unmarshal([]byte(run.PodSpecPatch), &patch); err != nil {
		t.Fatalf("podSpecPatch %q: %v", run.PodSpecPatch, err)
	}
	c := patch["containers"].([]any)[0].(map[string]any)
	if c["env"].([]any)[0].(map[string]any)["value"] != "$(rm -rf /)" || len(c["command"].([]any)) != 3 {
		t.Fatalf("podSpecPatch: %v", patch)
	}
}

// TestValidateInputsScriptRejectsHostileValues runs the library's validate-inputs shell
// script (with the host's sh and grep standing in for busybox) with values in env, as
// the pod receives them.
func TestValidateInputsScriptRejectsHostileValues(t *testing.T) {
	tmpl := template(t, ApplicationCreate, "validate-inputs")
	run := func(p map[string]string) error {
		cmd := exec.Command("sh", "-eu")
		cmd.Stdin = strings.NewReader(tmpl.Script.Source)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		for k, v := range p {
			cmd.Env = append(cmd.Env, "IN_"+k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
		}
		return nil
	}
	if err := run(appParams(nil)); err != nil {
		t.Fatalf("good inputs rejected: %s", err.(*exec.ExitError).Stderr)
	}
	for _, h := range hostile {
		for _, param := range []string{"app_name", "namespace", "repo_url", "chart_path", "destination_cluster", "target_revision", "project"} {
			if err := run(appParams(map[string]string{param: h})); err == nil {
				t.Errorf("%s=%q accepted", param, h)
			}
		}
	}
}

func lookup(obj map[string]any, path string) any {
	var cur any = obj
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
