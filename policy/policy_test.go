package policy

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const pinnedImage = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"

func spec(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func paths(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.Join(v.Path, ".")+": "+v.Msg)
	}
	return out
}

// TestEveryPlaceAContainerHides: each rule is applied wherever Argo runs a container or
// sets a pod's security — templates, containerSets, init containers, sidecars, inline
// templates of steps and tasks, templateDefaults, podSpecPatch — not only where the
// common cases put them.
func TestEveryPlaceAContainerHides(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"container image", `templates: [{name: a, container: {image: busybox}}]`, `templates.0.container.image: image "busybox" is not pinned`},
		{"latest", `templates: [{name: a, container: {image: "x/y:latest"}}]`, `uses the mutable tag latest`},
		{"script source", `templates: [{name: a, script: {image: ` + pinnedImage + `, command: [sh], source: "echo {{inputs.parameters.x}}"}}]`, `templates.0.script.source: Argo template expression in script source`},
		{"shell args", `templates: [{name: a, container: {image: ` + pinnedImage + `, command: [/bin/bash, -c], args: ["echo {{inputs.parameters.x}}"]}}]`, `templates.0.container.args.0: Argo template expression in the args of a shell (bash)`},
		{"containerSet", `templates: [{name: a, containerSet: {containers: [{name: m, image: busybox}]}}]`, `templates.0.containerSet.containers.0.image`},
		{"init container", `templates: [{name: a, initContainers: [{name: i, image: ` + pinnedImage + `, securityContext: {privileged: true}}]}]`, `templates.0.initContainers.0.securityContext.privileged`},
		{"sidecar", `templates: [{name: a, sidecars: [{name: s, image: ` + pinnedImage + `, securityContext: {runAsUser: 0}}]}]`, `templates.0.sidecars.0.securityContext.runAsUser: runAsUser: 0`},
		{"inline step", `templates: [{name: a, steps: [[{name: s, inline: {container: {image: busybox}}}]]}]`, `templates.0.steps.0.0.inline.container.image`},
		{"inline task", `templates: [{name: a, dag: {tasks: [{name: t, inline: {script: {image: ` + pinnedImage + `, source: "{{x}}"}}}]}}]`, `templates.0.dag.tasks.0.inline.script.source`},
		{"templateDefaults", `templateDefaults: {container: {securityContext: {allowPrivilegeEscalation: true}}}`, `templateDefaults.container.securityContext.allowPrivilegeEscalation`},
		{"workflow securityContext", `securityContext: {runAsNonRoot: false}`, `securityContext.runAsNonRoot: runAsNonRoot: false`},
		{"podSpecPatch JSON", `podSpecPatch: '{"containers": [{"name": "main", "securityContext": {"privileged": true}}]}'`, `podSpecPatch.containers.0.securityContext.privileged`},
		{"podSpecPatch YAML", "templates: [{name: a, podSpecPatch: \"securityContext:\\n  runAsUser: 0\\n\"}]", `templates.0.podSpecPatch.securityContext.runAsUser`},
		{"podSpecPatch expression", `podSpecPatch: '{{=toJson({"hostPID": true})}}'`, `podSpecPatch: podSpecPatch built by an Argo expression cannot be checked`},
		{"podSpecPatch image", `podSpecPatch: '{"containers": [{"name": "main", "image": "{{inputs.parameters.img}}"}]}'`, `podSpecPatch.containers.0.image`},
	}
	for _, c := range cases {
		got := strings.Join(paths(Spec(spec(t, c.spec), Options{})), "\n")
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: violations\n%s\nlack %q", c.name, got, c.want)
		}
	}
}

// TestCleanSpecsPass: what the policy allows stays allowed (no false alarms on the common
// forms: env values with expressions, non-shell args, JSON podSpecPatch with parameters
// in string values).
func TestCleanSpecsPass(t *testing.T) {
	for _, src := range []string{
		`templates: [{name: a, container: {image: ` + pinnedImage + `, command: [echo], args: ["{{inputs.parameters.x}}"]}}]`,
		`templates: [{name: a, script: {image: ` + pinnedImage + `, command: [sh], source: "echo $X", env: [{name: X, value: "{{inputs.parameters.x}}"}]}}]`,
		`securityContext: {runAsNonRoot: true, runAsUser: 65532}`,
		`podSpecPatch: '{"containers": [{"name": "main", "resources": {"limits": {"cpu": "{{inputs.parameters.cpu}}"}}}]}'`,
	} {
		if vs := Spec(spec(t, src), Options{}); len(vs) > 0 {
			t.Errorf("%s: %v", src, paths(vs))
		}
	}
}

func TestRequireLimits(t *testing.T) {
	s := spec(t, `templates: [{name: a, container: {image: `+pinnedImage+`, resources: {limits: {cpu: 1}}}}, {name: b, sidecars: [{name: s, image: `+pinnedImage+`}]}]`)
	if vs := Spec(s, Options{}); len(vs) != 0 {
		t.Fatalf("limits checked without RequireLimits: %v", paths(vs))
	}
	got := paths(Spec(s, Options{RequireLimits: true}))
	if len(got) != 1 || !strings.Contains(got[0], "templates.0.container.resources.limits: no memory limit") {
		t.Fatalf("with RequireLimits: %v (sidecars are exempt, the main container is not)", got)
	}
}

func TestObjectPaths(t *testing.T) {
	cw := spec(t, `spec: {workflowSpec: {templates: [{name: a, container: {image: busybox}}]}}`)
	got := paths(Object("CronWorkflow", cw, Options{}))
	if len(got) != 1 || !strings.HasPrefix(got[0], "spec.workflowSpec.templates.0.container.image") {
		t.Fatalf("CronWorkflow: %v", got)
	}
	if vs := Object("ConfigMap", map[string]any{"data": map[string]any{"image": "busybox"}}, Options{}); vs != nil {
		t.Fatalf("a ConfigMap has no containers: %v", paths(vs))
	}
}

// TestInlineNestingBounded: inline templates nested beyond reason are refused, not
// walked forever.
func TestInlineNestingBounded(t *testing.T) {
	inner := map[string]any{"container": map[string]any{"image": pinnedImage}}
	for range 40 {
		inner = map[string]any{"steps": []any{[]any{map[string]any{"name": "s", "inline": inner}}}}
	}
	got := strings.Join(paths(Spec(map[string]any{"templates": []any{inner}}, Options{})), "\n")
	if !strings.Contains(got, "inline templates nested too deeply to check") {
		t.Fatalf("deep inline nesting: %s", got)
	}
}

// FuzzSpec: the policy takes any spec (as YAML decodes it) without a panic, and every
// violation has a path and a message.
func FuzzSpec(f *testing.F) {
	f.Add(`templates: [{name: a, container: {image: busybox, securityContext: {runAsUser: 0}}}]`)
	f.Add(`templates: [{steps: [[{inline: {steps: [[{inline: {script: {source: "{{x}}"}}}]]}}]]}]`)
	f.Add(`podSpecPatch: "containers: [{name: main, securityContext: {privileged: true}}]"`)
	f.Add(`templateDefaults: {container: {command: [sh], args: ["{{a}}"]}}`)
	f.Add(`templates: 3`)
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(src), &m) != nil {
			return
		}
		for _, v := range Spec(m, Options{RequireLimits: true}) {
			if v.Msg == "" {
				t.Fatalf("a violation without a message: %+v", v)
			}
		}
	})
}
