package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/argoexamples"
)

// argoExample is one Argo object of the argo-workflows module's examples/ (the objects
// render's peer suite counts: every Workflow, WorkflowTemplate, ClusterWorkflowTemplate
// and CronWorkflow document).
type argoExample struct {
	file, kind, name string
	obj              map[string]any // as JSON decodes it
	raw              []byte         // JSON
}

func (e argoExample) id() string { return e.file + " " + e.kind + "/" + e.name }

// RealHome is the process's HOME before TestMain's home trap replaced it (set there):
// the go command finds its module cache and settings from it.
var RealHome string

func loadArgoExamples(t *testing.T) []argoExample {
	t.Helper()
	exs, err := argoexamples.Load(RealHome)
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]argoExample, len(exs))
	for i, e := range exs {
		objs[i] = argoExample{file: e.File, kind: e.Kind, name: e.Name, obj: e.Obj, raw: e.JSON}
	}
	return objs
}

type (
	argoWTs  = argoexamples.Templates
	argoCWTs = argoexamples.ClusterTemplates
)

// policyRules are appflowc's security policy (package policy) as its diagnostics name
// each rule: what it refuses that Argo accepts.
var policyRules = []struct {
	name string
	msg  *regexp.Regexp
}{
	{"image not pinned by tag and digest", regexp.MustCompile(`^image ".*" is not pinned by tag and digest$`)},
	{"image uses the mutable tag latest", regexp.MustCompile(`^image ".*" uses the mutable tag latest$`)},
	{"template expression in script source", regexp.MustCompile(`^Argo template expression in script source \(`)},
	{"template expression in a shell's command or args", regexp.MustCompile(`^Argo template expression in the (command|args) of a shell \(`)},
	{"runs as root or privileged", regexp.MustCompile(`^(privileged|allowPrivilegeEscalation|runAsNonRoot|runAsUser): .* would run as root or privileged$`)},
	{"podSpecPatch built by an Argo expression", regexp.MustCompile(`^podSpecPatch built by an Argo expression cannot be checked$`)},
	{"podSpecPatch not an object", regexp.MustCompile(`^podSpecPatch is not an object$`)},
	{"inline templates nested too deeply", regexp.MustCompile(`^inline templates nested too deeply to check$`)},
}

func policyRule(msg string) string {
	for _, r := range policyRules {
		if r.msg.MatchString(msg) {
			return r.name
		}
	}
	return ""
}

// knownArgoDifferences are the examples where appflowc refuses what Argo accepts for a
// reason other than the security policy, each with the reason and the diagnostic appflowc
// gives (matched), as the README documents them.
var knownArgoDifferences = map[string]struct{ reason, diag string }{
	"workflow-event-binding/github-path-filter-workflowtemplate.yaml WorkflowTemplate/github-path-filter": {
		"parameter value [] (a list): Argo's AnyString silently turns a list into an empty string; appflowc refuses it (write JSON as a string: value: \"[]\")",
		"expected bool, number or string, found [] (a list)",
	},
	// A step passes message to inner-steps, which takes no inputs: Argo runs it and drops
	// the value (argo-workflows#10482); appflowc reports the argument at its field.
	"workflow-template/steps.yaml Workflow/workflow-template-steps-": {
		"an argument the referenced template does not take (hello2a's message reaches no one): Argo drops it silently; appflowc refuses it",
		`template workflow-template-inner-steps.inner-steps has no input parameter "message" (Argo would pass it by silently)`,
	},
	"cluster-workflow-template/mixed-cluster-namespaced-wftmpl-steps.yaml Workflow/workflow-template-steps-": {
		"an argument the referenced template does not take (hello2a's message reaches no one): Argo drops it silently; appflowc refuses it",
		`template cluster-workflow-template-inner-steps.inner-steps has no input parameter "message" (Argo would pass it by silently)`,
	},
}

// userTemplateName is the workflowTemplates key an example becomes: a WorkflowTemplate
// or ClusterWorkflowTemplate keeps its name (references to it resolve to it); a Workflow
// or CronWorkflow gets one from its (generate)name that no declaration uses.
func userTemplateName(e argoExample, taken func(string) bool) string {
	if e.kind == "WorkflowTemplate" || e.kind == "ClusterWorkflowTemplate" {
		return e.name
	}
	n := strings.TrimRight(strings.ToLower(e.name), "-.")
	if n == "" || len(validation.IsDNS1123Subdomain(n)) > 0 {
		n = "example"
	}
	for base, i := n, 2; taken(n); i++ {
		n = fmt.Sprintf("%s-%d", base, i)
	}
	return n
}

// references are the WorkflowTemplates (cluster false) and ClusterWorkflowTemplates an
// Argo spec references by templateRef or workflowTemplateRef, anywhere in it.
func references(v any, out map[[2]string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, key := range []string{"templateRef", "workflowTemplateRef"} {
			if r, ok := x[key].(map[string]any); ok {
				if n, ok := r["name"].(string); ok {
					cs, _ := r["clusterScope"].(bool)
					out[[2]string{fmt.Sprint(cs), n}] = true
				}
			}
		}
		for _, e := range x {
			references(e, out)
		}
	case []any:
		for _, e := range x {
			references(e, out)
		}
	}
}

// declaration is the externalTemplates entry a user writes for a template of the cluster
// (here another example): its entrypoint and its templates' inputs and outputs, which
// config.DeclarationOf reads as vet --cluster does.
func declaration(obj map[string]any, cluster bool) (string, map[string]any) {
	d, _ := config.DeclarationOf(&unstructured.Unstructured{Object: obj}, cluster)
	if d == nil {
		return "", nil
	}
	out := map[string]any{}
	if cluster {
		out["clusterScope"] = true
	}
	if d.Entrypoint != "" {
		out["entrypoint"] = d.Entrypoint
	}
	ts := map[string]any{}
	for _, e := range d.Templates {
		entry := map[string]any{}
		in := map[string]any{}
		if len(e.Parameters) > 0 {
			ps := map[string]any{}
			for _, p := range e.Parameters {
				pm := map[string]any{}
				if p.Default != nil {
					pm["default"] = *p.Default
				}
				if len(p.Enum) > 0 {
					pm["enum"] = p.Enum
				}
				ps[p.Name] = pm
			}
			in["parameters"] = ps
		}
		if len(e.Artifacts) > 0 {
			in["artifacts"] = e.Artifacts
		}
		if len(in) > 0 {
			entry["inputs"] = in
		}
		outs := map[string]any{}
		if len(e.OutputParameters) > 0 {
			outs["parameters"] = e.OutputParameters
		}
		if len(e.OutputArtifacts) > 0 {
			outs["artifacts"] = e.OutputArtifacts
		}
		if len(outs) > 0 {
			entry["outputs"] = outs
		}
		ts[e.Name] = entry
	}
	if len(ts) == 0 {
		return "", nil
	}
	out["templates"] = ts
	return d.Name, out
}

// TestArgoExamplesThroughTheCLI brings each of Argo's examples to appflowc as a user
// would: its spec as a workflowTemplates entry (a ClusterWorkflowTemplate with
// clusterScope: true; a Workflow's or CronWorkflow's spec as a template of it), in a YAML
// or a JSON file, with every WorkflowTemplate and ClusterWorkflowTemplate it references
// declared under externalTemplates (from the referenced example: its entrypoint,
// templates, input parameters and outputs), and runs `appflowc vet -o json DIR` through
// the CLI. Its verdict is compared with Argo's own validation of the original object,
// given every other example as the cluster's templates. Where appflowc refuses what Argo
// accepts, every diagnostic must be one of the security policy's rules (policyRules) or
// a documented difference (knownArgoDifferences); anything else, or appflowc accepting
// what Argo refuses, fails the test. An example that references other templates is also
// vetted without its declarations: that must fail with the hint to declare them (the
// references are checked, not ignored). The counts are logged (go test -count=1 -v -run
// '^TestArgoExamplesThroughTheCLI$' ./cmd/appflowc/cli/).
func TestArgoExamplesThroughTheCLI(t *testing.T) {
	objs := loadArgoExamples(t)
	if len(objs) != 219 {
		t.Errorf("found %d example objects, the README counts 219: update it (and this check) for the argo-workflows version of go.mod", len(objs))
	}
	wts, cwts := argoWTs{}, argoCWTs{}
	byName := map[[2]string]map[string]any{} // {clusterScope, name} -> the example's object
	for _, o := range objs {
		switch o.kind {
		case "WorkflowTemplate":
			var wt wfv1.WorkflowTemplate
			if json.Unmarshal(o.raw, &wt) == nil {
				wts[wt.Name] = &wt
			}
			byName[[2]string{"false", o.name}] = o.obj
		case "ClusterWorkflowTemplate":
			var cwt wfv1.ClusterWorkflowTemplate
			if json.Unmarshal(o.raw, &cwt) == nil {
				cwts[cwt.Name] = &cwt
			}
			byName[[2]string{"true", o.name}] = o.obj
		}
	}
	argoVerdict := func(o argoExample) error {
		return argoexamples.ArgoVerdict(argoexamples.Example{Kind: o.kind, JSON: o.raw}, wts, cwts)
	}

	// One config directory per example, written as a user would.
	root := t.TempDir()
	referencing, declaredNamespaced, declaredCluster := 0, 0, 0
	var unresolved []string
	// writeExample writes the config of example i; undeclared is a second config, without
	// the declarations ("" when there are none).
	writeExample := func(i int, o argoExample) (dir, undeclared string, err error) {
		spec, _ := o.obj["spec"].(map[string]any)
		if o.kind == "CronWorkflow" {
			spec, _ = spec["workflowSpec"].(map[string]any)
		}
		refs := map[[2]string]bool{}
		references(spec, refs)
		ext := map[string]any{}
		if len(refs) > 0 {
			referencing++
		}
		for _, r := range slices.SortedFunc(maps.Keys(refs), func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) }) {
			self := (o.kind == "WorkflowTemplate" && r == [2]string{"false", o.name}) || (o.kind == "ClusterWorkflowTemplate" && r == [2]string{"true", o.name})
			obj := byName[r]
			var name string
			var d map[string]any
			if obj != nil && !self {
				name, d = declaration(obj, r[0] == "true")
			}
			switch {
			case self:
			case obj == nil:
				unresolved = append(unresolved, o.id()+" -> "+r[1])
			case d == nil:
				t.Errorf("%s: no declaration can be built of %s", o.id(), r[1])
			case ext[name] != nil:
				t.Errorf("%s references a WorkflowTemplate and a ClusterWorkflowTemplate named %s: externalTemplates cannot declare both", o.id(), name)
			default:
				ext[name] = d
				if r[0] == "true" {
					declaredCluster++
				} else {
					declaredNamespaced++
				}
			}
		}
		entry := map[string]any{"spec": spec}
		if o.kind == "ClusterWorkflowTemplate" {
			entry["clusterScope"] = true
		}
		cfg := map[string]any{"workflowTemplates": map[string]any{userTemplateName(o, func(n string) bool { return ext[n] != nil }): entry}}
		if len(ext) > 0 {
			cfg["externalTemplates"] = ext
		}
		write := func(dir string, cfg map[string]any) error {
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			// Half in YAML, half in JSON: both readers.
			if i%2 == 1 {
				data, err := json.MarshalIndent(cfg, "", "  ")
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "templates.json"), data, 0o644)
			}
			var buf bytes.Buffer
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			if err := enc.Encode(cfg); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "templates.yaml"), buf.Bytes(), 0o644)
		}
		dir = filepath.Join(root, fmt.Sprintf("%03d", i))
		if err := write(dir, cfg); err != nil {
			return "", "", err
		}
		if len(ext) > 0 {
			undeclared = dir + "-undeclared"
			delete(cfg, "externalTemplates")
			if err := write(undeclared, cfg); err != nil {
				return "", "", err
			}
		}
		return dir, undeclared, nil
	}

	type report struct {
		OK     bool
		Errors []struct {
			Path, Message, Hint string
		}
	}
	env := testEnv(t)
	ctx := context.Background()
	agree, policyRefusals, known := 0, 0, 0
	byRule := map[string]int{}
	var problems []string
	for i, o := range objs {
		dir, undeclared, err := writeExample(i, o)
		if err != nil {
			t.Fatal(err)
		}
		// The declarations are what the references are checked against: without them,
		// vet refuses the example and says to declare what it references.
		if undeclared != "" {
			code, _, stderr := runIn(ctx, env, "vet", undeclared)
			if code != ExitFailed || !strings.Contains(stderr, "lives only in the cluster, declare it") {
				t.Errorf("%s without its externalTemplates: vet exited %d, want 1 and a hint to declare the templates it references:\n%s", o.id(), code, stderr)
			}
		}
		code, stdout, stderr := runIn(ctx, env, "vet", "-o", "json", dir)
		var r report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || (code != ExitOK && code != ExitFailed) || r.OK != (code == ExitOK) {
			t.Fatalf("%s: vet exited %d (%v)\n%s%s", o.id(), code, err, stdout, stderr)
		}
		a := argoVerdict(o)
		var rules, other []string
		for _, e := range r.Errors {
			if rule := policyRule(e.Message); rule != "" {
				if !slices.Contains(rules, rule) {
					rules = append(rules, rule)
				}
			} else {
				other = append(other, e.Path+": "+e.Message)
			}
		}
		switch {
		case a == nil && r.OK, a != nil && len(other) > 0:
			agree++
		case a == nil && len(other) == 0:
			policyRefusals++
			for _, rule := range rules {
				byRule[rule]++
			}
		default:
			if k, ok := knownArgoDifferences[o.id()]; ok && a == nil && len(other) == 1 && strings.Contains(other[0], k.diag) {
				known++
				t.Logf("documented difference %s: %s", o.id(), k.reason)
				continue
			}
			ours := "valid"
			if !r.OK {
				ours = strings.Join(append(other, rules...), "; ")
				if len(other) == 0 {
					ours = "refused by the policy only (" + ours + ")"
				}
			}
			problems = append(problems, fmt.Sprintf("%s (%s)\n    argo:     %s\n    appflowc: %s", o.id(), filepath.Join(dir, "templates.*"), argoexamples.Verdict(a), ours))
		}
	}
	sort.Strings(problems)
	var counts []string
	for _, r := range policyRules {
		if byRule[r.name] > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", r.name, byRule[r.name]))
		}
	}
	t.Logf("Argo examples through the CLI: %d objects; appflowc vet agrees with Argo on %d, refuses %d that Argo accepts by its security policy only (examples per rule: %s), %d documented difference(s), %d unexplained",
		len(objs), agree, policyRefusals, strings.Join(counts, ", "), known, len(problems))
	t.Logf("%d of them reference other templates: %d WorkflowTemplate and %d ClusterWorkflowTemplate declarations written under externalTemplates; references to no example: %d %v",
		referencing, declaredNamespaced, declaredCluster, len(unresolved), unresolved)
	for _, p := range problems {
		t.Errorf("verdicts differ: %s", p)
	}
}
