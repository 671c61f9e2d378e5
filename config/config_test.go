package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"cuelang.org/go/cue"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/library"
)

func load(t *testing.T, files map[string]string) (*Tree, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for n, c := range files {
		fsys["cfg/"+n] = &fstest.MapFile{Data: []byte(c)}
	}
	return LoadTree(context.Background(), Input{FS: fsys, Paths: []string{"cfg"}})
}

const okApp = `applications: web: {
	source: {repoURL: "https://charts.example.com", chart: "nginx", targetRevision: "1.2.3"}
	destination: namespace: "web"
}
`

// cases are single-file configs with the exact first error the Go validator reports;
// "" means valid. TestSchemaAgrees checks the CUE schema reaches the same verdict.
var cases = []struct {
	name, file, src, want string
}{
	{"valid cue", "a.cue", okApp, ""},
	{"valid yaml git", "a.yaml", "applications:\n  api:\n    source: {repoURL: 'git@github.com:x/api.git', path: deploy}\n    destination: {name: prod, namespace: api}\n", ""},
	{"valid appset", "a.json", `{"applicationSets": {"s": {"source": {"repoURL": "oci://registry.example.com/charts", "chart": "app", "targetRevision": ">=1.0.0 <2.0.0"}, "environments": [{"name": "dev", "cluster": "https://k.example.com", "namespace": "s-dev"}]}}}`, ""},
	{"valid infra", "a.yaml", "infra:\n  base:\n    namespace: base\n    configMaps: {cfg: {A: '1', B: 2}}\n    secrets: {db: {keys: {pw: {fromEnv: PW}, cert: {fromFile: ./c.pem}}}}\n", ""},
	{"unknown top-level", "a.yaml", "application: {}\n", `cfg/a.yaml:1:1: application: unknown field (did you mean "applications"?`},
	{"bad repo scheme", "a.yaml", "applications:\n  web:\n    source: {repoURL: 'ftp://x', path: p}\n    destination: {namespace: web}\n", `cfg/a.yaml:3:23: applications.web.source.repoURL: invalid repository URL "ftp://x"`},
	{"neither chart nor path", "a.yaml", "applications:\n  web:\n    source: {repoURL: 'https://x.example.com'}\n    destination: {namespace: web}\n", `applications.web.source.chart: missing required field`},
	{"selfHeal without automated", "a.yaml", "applications:\n  web:\n    source: {repoURL: 'https://x.example.com', path: p}\n    destination: {namespace: web}\n    syncPolicy: {selfHeal: true}\n", `selfHeal requires automated sync`},
	{"dup env", "a.yaml", "applicationSets:\n  s:\n    source: {repoURL: 'https://x.example.com', path: p}\n    environments: [{name: a, cluster: c, namespace: n}, {name: a, cluster: c, namespace: m}]\n", `duplicate environment name "a"`},
	{"secret with inline value", "a.yaml", "infra:\n  b:\n    namespace: b\n    secrets: {s: {data: {pw: x}, keys: {pw: {fromEnv: PW}}}}\n", `secret values must not be written in a config`},
	{"unpinned script image", "a.yaml", "infra:\n  b:\n    namespace: b\n    scripts: [{name: s, image: 'busybox:1.37', command: [sh]}]\n", `is not pinned by tag and digest`},
	{"template in args", "a.yaml", "infra:\n  b:\n    namespace: b\n    scripts: [{name: s, image: 'docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e', command: [sh], args: ['{{inputs.parameters.x}}']}]\n", `Argo template expression`},
	{"entry name too long", "a.yaml", "infra:\n  " + strings.Repeat("a", 51) + ":\n    namespace: b\n", `is 51 characters long`},
	{"bad namespace", "a.yaml", "infra:\n  b:\n    namespace: B\n", `invalid name "B"`},
	{"bad deadline", "a.yaml", "appflow: {activeDeadlineSeconds: 1}\n", `invalid deadline 1`},
	{"bad ttl", "a.yaml", "appflow: {ttl: {afterFailure: -5}}\n", `invalid ttl -5`},
	{"bad podGC", "a.yaml", "appflow: {podGC: Never}\n", `unknown podGC strategy "Never"`},
	{"bad quantity", "a.yaml", "appflow: {resources: {limits: {cpu: lots}}}\n", `invalid quantity "lots"`},
	{"entry labels ok", "a.yaml", "applications:\n  web:\n    labels: {team: web, example.com/tier: front}\n    source: {repoURL: 'https://x.example.com', path: p}\n    destination: {namespace: web}\n", ""},
	{"reserved label", "a.yaml", "applications:\n  web:\n    labels: {appflowc.dev/config: other}\n    source: {repoURL: 'https://x.example.com', path: p}\n    destination: {namespace: web}\n", `cfg/a.yaml:3:35: applications.web.labels."appflowc.dev/config": reserved label key "appflowc.dev/config" (appflowc and Argo set this label themselves`},
	{"reserved label appset", "a.yaml", "applicationSets:\n  s:\n    labels: {app.kubernetes.io/managed-by: me}\n    source: {repoURL: 'https://x.example.com', path: p}\n    environments: [{name: a, cluster: c, namespace: n}]\n", `reserved label key "app.kubernetes.io/managed-by"`},
	{"reserved label infra", "a.yaml", "infra:\n  b:\n    namespace: b\n    labels: {workflows.argoproj.io/phase: x}\n", `reserved label key "workflows.argoproj.io/phase"`},
	{"bad label value", "a.yaml", "applicationSets:\n  s:\n    labels: {team: 'a b'}\n    source: {repoURL: 'https://x.example.com', path: p}\n    environments: [{name: a, cluster: c, namespace: n}]\n", `invalid label value "a b"`},
	{"pipeline ok", "a.yaml", "pipelines:\n  rel:\n    steps: [{name: a, template: infra-provision, arguments: {namespace: a, n: 1}}]\n    schedule: {cron: '@daily', timezone: UTC}\n    notify: {webhookSecret: {name: hook, key: url}}\n", ""},
	{"pipeline without steps", "a.yaml", "pipelines:\n  rel: {description: x}\n", `pipelines.rel.steps: missing required field`},
	{"pipeline bad step name", "a.yaml", "pipelines:\n  rel:\n    steps: [{name: A_b, template: t}]\n", `invalid name "A_b"`},
	{"pipeline unknown field", "a.yaml", "pipelines:\n  rel:\n    steps: [{name: a, template: t}]\n    shedule: {cron: '@daily'}\n", `pipelines.rel.shedule: unknown field (did you mean "schedule"?`},
	{"pipeline bad policy", "a.yaml", "pipelines:\n  rel:\n    steps: [{name: a, template: t}]\n    schedule: {cron: '@daily', concurrencyPolicy: Sometimes}\n", `unknown concurrencyPolicy "Sometimes"`},
	{"user template ok", "a.yaml", "workflowTemplates:\n  t:\n    contract: {x: 'int'}\n    spec: {entrypoint: main, arguments: {parameters: [{name: x, value: '1'}]}, templates: [{name: main, suspend: {}}]}\n", ""},
	{"user template without spec", "a.yaml", "workflowTemplates:\n  t: {description: x}\n", `workflowTemplates.t.spec: missing required field`},
	{"user template named like the library", "a.yaml", "workflowTemplates:\n  infra-provision: {spec: {entrypoint: main, templates: [{name: main, suspend: {}}]}}\n", `would replace the library's template`},
	{"scheduled entries ok", "a.yaml", "applications:\n  web:\n    schedule: {cron: '@hourly'}\n    source: {repoURL: 'https://x.example.com', path: p}\n    destination: {namespace: web}\ninfra:\n  b: {namespace: b, schedule: {cron: '0 1 * * *', successfulJobsHistoryLimit: 2}}\n", ""},
	{"entry schedule without cron", "a.yaml", "infra:\n  b: {namespace: b, schedule: {timezone: UTC}}\n", `infra.b.schedule.cron: missing required field`},
	{"template resources ok", "a.yaml", "appflow: {resources: {templates: {infra-provision: {limits: {memory: 256Mi}}, application-create: {requests: {cpu: 10m}}}}}\n", ""},
	{"unknown template resources", "a.yaml", "appflow: {resources: {templates: {infra-provisoin: {limits: {memory: 256Mi}}}}}\n", `appflow.resources.templates.infra-provisoin: unknown template "infra-provisoin" (name one of the library's WorkflowTemplates: application-create, applicationset-create, infra-provision)`},
	{"bad template quantity", "a.yaml", "appflow: {resources: {templates: {infra-provision: {limits: {cpu: fast}}}}}\n", `appflow.resources.templates.infra-provision.limits.cpu: invalid quantity "fast"`},
	{"cluster template ok", "a.yaml", "workflowTemplates:\n  t:\n    clusterScope: true\n    spec: {entrypoint: main, templates: [{name: main, suspend: {}}]}\n", ""},
	{"cluster scope not a bool", "a.yaml", "workflowTemplates:\n  t:\n    clusterScope: yes please\n    spec: {entrypoint: main, templates: [{name: main, suspend: {}}]}\n", `cfg/a.yaml:3:19: workflowTemplates.t.clusterScope: expected a boolean`},
	{"external template ok", "a.yaml", "externalTemplates:\n  shared-build:\n    clusterScope: true\n    entrypoint: main\n    contract: {tag: '=~\"^v\"'}\n    templates:\n      main:\n        inputs: {parameters: {image: {}, tag: {default: v1}, env: {enum: [dev, prod]}}, artifacts: [src]}\n        outputs: {parameters: [digest], artifacts: [report]}\n      helper: {}\n", ""},
	{"external template misspelt field", "a.yaml", "externalTemplates:\n  s:\n    templates: {main: {}}\n    clusterScoped: true\n", `cfg/a.yaml:4:5: externalTemplates.s.clusterScoped: unknown field (did you mean "clusterScope"?`},
	{"external template without templates", "a.yaml", "externalTemplates:\n  s: {clusterScope: true}\n", `externalTemplates.s.templates: missing required field`},
	{"external template empty templates", "a.yaml", "externalTemplates:\n  s: {templates: {}}\n", `externalTemplates.s.templates: no templates declared`},
	{"external entrypoint not declared", "a.yaml", "externalTemplates:\n  s: {entrypoint: mian, templates: {main: {}}}\n", `externalTemplates.s.entrypoint: entrypoint "mian" is not among the declared templates (did you mean "main"?`},
	{"external bad template name", "a.yaml", "externalTemplates:\n  s: {templates: {'a b': {}}}\n", `invalid template name "a b"`},
	{"external bad parameter name", "a.yaml", "externalTemplates:\n  s: {templates: {main: {inputs: {parameters: {'a.b': {}}}}}}\n", `invalid parameter name "a.b"`},
	{"external duplicate output", "a.yaml", "externalTemplates:\n  s: {templates: {main: {outputs: {parameters: [a, a]}}}}\n", `duplicate name "a"`},
	{"external unknown param field", "a.yaml", "externalTemplates:\n  s: {templates: {main: {inputs: {parameters: {a: {defualt: x}}}}}}\n", `externalTemplates.s.templates.main.inputs.parameters.a.defualt: unknown field (did you mean "default"?`},
	{"external contract undeclared", "a.yaml", "externalTemplates:\n  s: {entrypoint: main, contract: {b: int}, templates: {main: {inputs: {parameters: {a: {}}}}}}\n", `externalTemplates.s.contract.b: contract for undeclared parameter "b"`},
	{"external named like the library", "a.yaml", "externalTemplates:\n  infra-provision: {templates: {main: {}}}\n", `names a template of the library`},
	{"external and user template", "a.yaml", "workflowTemplates:\n  t: {spec: {entrypoint: main, templates: [{name: main, suspend: {}}]}}\nexternalTemplates:\n  t: {templates: {main: {}}}\n", `externalTemplates.t: t is both declared here and defined under workflowTemplates`},
	{"external bad name", "a.yaml", "externalTemplates:\n  S_x: {templates: {main: {}}}\n", `invalid name "S_x"`},
	// Decoder gaps found by the hostile tester: each was accepted by the decoder and
	// refused by the CUE schema.
	{"label value a number", "a.yaml", "applications:\n  web:\n    labels: {tier: 1}\n    source: {repoURL: 'https://x.example.com', path: p}\n    destination: {namespace: web}\n", `cfg/a.yaml:3:20: applications.web.labels.tier: expected a string, found 1 (label values are text: quote the value)`},
	{"label value a boolean", "a.yaml", "pipelines:\n  rel:\n    labels: {canary: true}\n    steps: [{name: a, template: t}]\n", `pipelines.rel.labels.canary: expected a string, found true`},
	{"script env value a number", "a.yaml", "infra:\n  b:\n    namespace: b\n    scripts: [{name: s, image: 'docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e', command: [sh], env: {A: 1}}]\n", `infra.b.scripts[0].env.A: expected a string, found 1`},
	{"step argument null", "a.yaml", "pipelines:\n  rel:\n    steps: [{name: a, template: t, arguments: {x: null}}]\n", `pipelines.rel.steps[0].arguments.x: expected a scalar, found null`},
	{"step argument null cue", "a.cue", "pipelines: rel: steps: [{name: \"a\", template: \"t\", arguments: x: null}]\n", `pipelines.rel.steps[0].arguments.x: expected a scalar, found null`},
	{"path ends in ..", "a.yaml", "applications:\n  web:\n    source: {repoURL: 'https://x.example.com', path: ./..}\n    destination: {namespace: web}\n", `invalid path "./.."`},
	{"path ends in .. after a dir", "a.yaml", "applications:\n  web:\n    source: {repoURL: 'https://x.example.com', path: a/..}\n    destination: {namespace: web}\n", `invalid path "a/.."`},
	{"value file ends in ..", "a.yaml", "applicationSets:\n  s:\n    source: {repoURL: 'https://x.example.com', path: p}\n    environments: [{name: a, cluster: c, namespace: n, valueFiles: [x/..]}]\n", `invalid path "x/.."`},
	{"quantity with an exponent", "a.yaml", "appflow: {resources: {limits: {memory: '1E9'}}}\n", `invalid quantity "1E9"`},
	{"quantity with a sign", "a.yaml", "appflow: {resources: {limits: {cpu: '+1'}}}\n", `invalid quantity "+1"`},
	{"quantity without a leading digit", "a.yaml", "appflow: {resources: {limits: {cpu: '.5'}}}\n", `invalid quantity ".5"`},
	{"quantity with a trailing point", "a.yaml", "appflow: {resources: {templates: {infra-provision: {limits: {cpu: '5.'}}}}}\n", `invalid quantity "5."`},
	{"resources ok", "a.yaml", "appflow: {ttl: {afterSuccess: 0}, podGC: OnWorkflowCompletion, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: \"1\", memory: 1Gi}}}\n", ""},
}

func TestDecode(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree, err := load(t, map[string]string{c.file: c.src})
			if err == nil {
				_, err = Decode(tree)
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error:\n%v", err)
			case c.want != "" && err == nil:
				t.Fatalf("accepted, want error containing %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error:\n%v\nwant it to contain %q", err, c.want)
			}
			var dl diag.List
			if err != nil && !errors.As(err, &dl) {
				t.Fatalf("config errors must be a diag.List, got %T", err)
			}
			for _, d := range dl {
				if d.Pos.File == "" || d.Pos.Line == 0 {
					t.Errorf("diagnostic without a position: %v", d)
				}
			}
		})
	}
}

// TestSchemaAgrees keeps the published CUE schema and the Go validator in step: both must
// accept or both reject every case.
func TestSchemaAgrees(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree, err := load(t, map[string]string{c.file: c.src})
			if err != nil {
				t.Fatal(err)
			}
			_, goErr := Decode(tree)
			cueErrs := CheckSchema(tree)
			if (goErr == nil) != (len(cueErrs) == 0) {
				t.Fatalf("verdicts differ: Go says %v, CUE says %v", goErr, cueErrs)
			}
		})
	}
}

func TestDefaultsMatchSchema(t *testing.T) {
	v, _, err := schema.Value()
	if err != nil {
		t.Fatal(err)
	}
	defer schema.Lock()()
	var got library.Settings // the same JSON shape as #Appflow
	data, err := v.LookupPath(cue.ParsePath("#Appflow")).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	tree := &Tree{Root: &Node{Kind: Map}}
	c, err := Decode(tree)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Appflow
	if got.Namespace != a.Namespace || got.ArgoCDNamespace != a.ArgoCDNamespace || got.ServiceAccount != a.ServiceAccount ||
		got.DestinationServer != a.DestinationServer || got.ActiveDeadlineSeconds != a.ActiveDeadlineSeconds || got.Images.Shell != a.Images.Shell {
		t.Fatalf("CUE defaults %+v differ from Go defaults %+v", got, a)
	}
	var more struct {
		TTL struct {
			AfterSuccess int64 `json:"afterSuccess"`
			AfterFailure int64 `json:"afterFailure"`
		} `json:"ttl"`
		PodGC     string    `json:"podGC"`
		Resources Resources `json:"resources"`
	}
	if err := json.Unmarshal(data, &more); err != nil {
		t.Fatal(err)
	}
	if more.TTL.AfterSuccess != a.TTL.AfterSuccess || more.TTL.AfterFailure != a.TTL.AfterFailure || more.PodGC != a.PodGC || more.Resources != a.Resources {
		t.Fatalf("CUE defaults %+v differ from Go defaults ttl %+v podGC %s resources %+v", more, a.TTL, a.PodGC, a.Resources)
	}
}

// TestLimitsNotBelowRequests: a rule only Go checks (CUE compares no quantities).
func TestLimitsNotBelowRequests(t *testing.T) {
	tr, err := load(t, map[string]string{"a.yaml": "appflow:\n  resources:\n    requests: {memory: 128Mi}\n    limits: {memory: 64Mi, cpu: 1}\n"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode(tr)
	if err == nil || !strings.Contains(err.Error(), "appflow.resources.limits.memory: memory limit 64Mi is below its request 128Mi (raise the limit to at least the request (128Mi), or lower the request)") {
		t.Fatalf("limit below request: %v", err)
	}
}

// TestFileOrderDoesNotMatter: files are read in name order, and which file comes first
// changes nothing in the config: the same entries, sorted by name, with the same values,
// for every order of three files (one per format) that each add to one entry.
func TestFileOrderDoesNotMatter(t *testing.T) {
	parts := []struct{ ext, src string }{
		{"yaml", "applications:\n  b: {source: {repoURL: 'https://x.example.com', path: p}, destination: {namespace: b}}\n  web: {labels: {team: shop}}\n"},
		{"cue", okApp + "applications: web: source: helm: parameters: replicaCount: \"2\"\n"},
		{"json", `{"applications": {"web": {"labels": {"tier": "front"}}, "a": {"source": {"repoURL": "https://y.example.com", "path": "q"}, "destination": {"namespace": "a"}}}, "infra": {"base": {"namespace": "base"}}}`},
	}
	var first string
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		files := map[string]string{}
		for rank, i := range order { // the file names set the reading order
			files[fmt.Sprintf("%d.%s", rank, parts[i].ext)] = parts[i].src
		}
		tr, err := load(t, files)
		if err != nil {
			t.Fatalf("order %v: %v", order, err)
		}
		c, err := Decode(tr)
		if err != nil {
			t.Fatalf("order %v: %v", order, err)
		}
		var names []string
		for _, a := range c.Applications {
			names = append(names, a.Name)
			a.Pos = diag.Pos{} // names the file it came from, which differs by design
		}
		if strings.Join(names, " ") != "a b web" {
			t.Fatalf("order %v: applications %v, want a b web in name order", order, names)
		}
		for _, in := range c.Infra {
			in.Pos = diag.Pos{}
		}
		c.Tree = nil
		got, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = string(got)
			if !strings.Contains(first, `{"Name":"team","Value":"shop"}`) || !strings.Contains(first, `{"Name":"tier","Value":"front"}`) || !strings.Contains(first, `"replicaCount"`) {
				t.Fatalf("the three files were not merged into web: %s", first)
			}
		} else if string(got) != first {
			t.Errorf("order %v gives another config:\n%s\nfirst order:\n%s", order, got, first)
		}
	}
}

// TestNeverPanicsOnOddInput: odd input is refused, each time with a diagnostic at a
// line and column (a panic fails the test by itself). An empty or null document is not
// odd: it is an empty config.
func TestNeverPanicsOnOddInput(t *testing.T) {
	for _, src := range []string{"[]", "42", "applications: null", "applications: [1]", "applications: {a: null}", "applicationSets: {a: {environments: {}}}",
		"infra: {a: {scripts: [null, 1]}}", "{a: *b}", "&x 1", "\x00\xff", "a: [", "? [k]\n: v", "applications: {web: {source: {repoURL: 1}}}"} {
		tree, err := load(t, map[string]string{"a.yaml": src})
		if err == nil {
			_, err = Decode(tree)
		}
		var dl diag.List
		if !errors.As(err, &dl) || len(dl) == 0 {
			t.Errorf("%q: want diagnostics, got %v", src, err)
			continue
		}
		for _, d := range dl {
			if d.Pos.File != "cfg/a.yaml" || d.Pos.Line == 0 || d.Pos.Col == 0 {
				t.Errorf("%q: diagnostic without a position: %v", src, d)
			}
		}
	}
	for _, src := range []string{"", "null", "~", "---\n"} {
		tree, err := load(t, map[string]string{"a.yaml": src})
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if c, err := Decode(tree); err != nil || len(c.Applications)+len(c.ApplicationSets)+len(c.Infra) > 0 {
			t.Errorf("%q: not an empty config: %v", src, err)
		}
	}
}

// TestSyntaxErrorPositions: a YAML syntax error is placed where the problem is, not at
// the line yaml.v3 names (see yamlErr); the CLI scripts vet_bad_*syntax*, *indentation*,
// *unclosed*, *unterminated* and *trailing_comma* hold the common cases, these the rest.
func TestSyntaxErrorPositions(t *testing.T) {
	for _, c := range []struct{ name, file, src, want string }{
		{"after a byte order mark", "a.yaml", "\uFEFFa: 1\nb: [x\n", "cfg/a.yaml:2:5:"},
		{"in a later document", "a.yaml", "a: 1\n---\nb: 2\n---\nc: 'x\n", "cfg/a.yaml:5:4:"},
		{"a construct opened on line 1", "a.yaml", "a: 'it''s\nb: 1\n", "cfg/a.yaml:1:4:"},
		{"no line from yaml.v3", "a.yaml", "a: *nope\n", "cfg/a.yaml:1:8: syntax error: unknown anchor 'nope' referenced"},
		{"a byte order mark is no column", "a.yaml", "\uFEFFa: [x\n", "cfg/a.yaml:1:5:"},
		{"json after a byte order mark", "a.json", "\uFEFF{\"a\": [1,]}", "cfg/a.json:1:10:"},
		// Past maxLocate the search would take seconds: the line yaml.v3 names stays (here
		// the end of the input's, counted from 0).
		{"too large to search", "a.yaml", "a: [x\n" + strings.Repeat("#\n", maxLocate/2), "cfg/a.yaml:" + fmt.Sprint(maxLocate/2+1) + ": syntax error: did not find expected ',' or ']'"},
	} {
		_, err := load(t, map[string]string{c.file: c.src})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s...", c.name, err, c.want)
		}
	}
}

func TestYAMLAliasGuards(t *testing.T) {
	for src, want := range map[string]string{
		"a: &x [*x]\n": "YAML alias refers to itself",
		"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n": "YAML aliases expand to too many values",
	} {
		_, err := load(t, map[string]string{"a.yaml": src})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// TestMergeOfManyFiles: large maps merged across many files (the indexed path) keep
// every entry, unify repeats and report conflicts with both places.
func TestMergeOfManyFiles(t *testing.T) {
	files := map[string]string{}
	for f := range 30 {
		var b strings.Builder
		b.WriteString("applications:\n")
		for a := range 20 {
			fmt.Fprintf(&b, "  app-%d-%d: {destination: {namespace: ns}}\n", f, a)
		}
		// Every file repeats one shared entry with the same value...
		b.WriteString("  shared: {destination: {namespace: same}}\n")
		files[fmt.Sprintf("f%02d.yaml", f)] = b.String()
	}
	tr, err := load(t, files)
	if err != nil {
		t.Fatal(err)
	}
	apps := tr.Root.Get("applications")
	if got := len(apps.Fields); got != 30*20+1 {
		t.Fatalf("%d applications after merge, want %d", got, 30*20+1)
	}
	if ns := apps.Get("shared").Get("destination").Get("namespace"); ns == nil || ns.Str != "same" {
		t.Fatalf("shared entry: %+v", ns)
	}
	// ...and a conflicting value in a late file is reported.
	files["z.yaml"] = "applications:\n  app-3-7: {destination: {namespace: other}}\n"
	if _, err := load(t, files); err == nil || !strings.Contains(err.Error(), "applications.app-3-7.destination.namespace") {
		t.Fatalf("conflict not reported: %v", err)
	}
}

// TestSchemaCheckInChunks: a config larger than one chunk is checked entry by entry with
// the same verdicts: a bad entry far past the first chunk is found at its position, and
// top-level fields are checked once.
func TestSchemaCheckInChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("appflow: {namespace: argo}\napplications:\n")
	n := 2*schemaChunkSize + 7
	for i := range n {
		ns := "ok"
		if i == n-3 {
			ns = "Not_A_Label"
		}
		fmt.Fprintf(&b, "  app-%d: {source: {repoURL: \"https://c.example.com\", chart: c, targetRevision: \"1.0.0\"}, destination: {namespace: %s}}\n", i, ns)
	}
	tr, err := load(t, map[string]string{"big.yaml": b.String()})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(schemaChunks(tr.Root)); got != 4 {
		t.Fatalf("%d chunks, want 4 (top-level fields + 3 of entries)", got)
	}
	ds := CheckSchema(tr)
	if len(ds) == 0 {
		t.Fatal("the bad entry in the last chunk was not found")
	}
	for _, d := range ds {
		if !strings.HasPrefix(d.Path, fmt.Sprintf("applications.app-%d.destination.namespace", n-3)) || d.Pos.Line != n-3+3 {
			t.Errorf("unexpected diagnostic %v", d)
		}
	}
}

// TestTemplateResourcesMerge: a template's override is merged over appflow.resources (not
// over the built-in defaults), and the merged bounds keep limits at or above requests.
func TestTemplateResourcesMerge(t *testing.T) {
	tree, err := load(t, map[string]string{"a.yaml": "appflow:\n  resources:\n    limits: {memory: 128Mi}\n    templates:\n      infra-provision: {requests: {cpu: 100m}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Decode(tree)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Appflow.TemplateResources["infra-provision"]
	want := Resources{Requests: ResourceList{CPU: "100m", Memory: "32Mi"}, Limits: ResourceList{CPU: "200m", Memory: "128Mi"}}
	if got != want {
		t.Errorf("merged bounds %+v, want %+v", got, want)
	}
	if _, ok := cfg.Appflow.TemplateResources["application-create"]; ok {
		t.Error("a template without override got its own bounds")
	}
	tree, err = load(t, map[string]string{"a.yaml": "appflow:\n  resources:\n    templates:\n      infra-provision: {requests: {memory: 512Mi}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(tree); err == nil || !strings.Contains(err.Error(), "appflow.resources.templates.infra-provision.limits.memory: memory limit 64Mi is below its request 512Mi") {
		t.Errorf("a request above the inherited limit: %v", err)
	}
}

// TestWholeNumberMessagesShowTheDecimalPoint: a whole-number field given 600.0 is refused
// with the value as written (it said "invalid deadline 600", inside the allowed range).
func TestWholeNumberMessagesShowTheDecimalPoint(t *testing.T) {
	tree, err := load(t, map[string]string{"a.yaml": "appflow: {activeDeadlineSeconds: 600.0, ttl: {afterSuccess: 1.0}}\n"})
	if err != nil {
		t.Fatal(err)
	}
	_, derr := Decode(tree)
	for _, want := range []string{"invalid deadline 600.0", "invalid ttl 1.0"} {
		if derr == nil || !strings.Contains(derr.Error(), want) {
			t.Errorf("want %q in %v", want, derr)
		}
	}
}
