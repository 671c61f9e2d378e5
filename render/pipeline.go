package render

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/plural"
)

// templateInterface is what a pipeline step may pass to a WorkflowTemplate (or a
// ClusterWorkflowTemplate): the inputs of its entrypoint, their defaults, and the
// user's contracts.
type templateInterface struct {
	name, entry string
	cluster     bool              // a ClusterWorkflowTemplate: referenced with clusterScope
	declared    bool              // declared (externalTemplates, vet --cluster), not rendered
	live        bool              // read from the cluster by vet --cluster
	params      []string          // in declaration order
	defaults    map[string]string // absent: required
	enums       map[string][]string
	contract    map[string]config.Constraint
}

// interfaces reads the interface of every rendered WorkflowTemplate and
// ClusterWorkflowTemplate and of every declared one. Defaults come from the entrypoint's
// inputs or, failing that, the template's spec.arguments. A pipeline step names a
// template by name alone: the config's own declaration shadows one read from the
// cluster, whatever their scopes (what the config means, as without vet --cluster); and
// among those read from the cluster, a namespaced one shadows a cluster one of the same
// name (a config's names are unique).
func interfaces(objs []Object, cfg *config.Config) map[string]*templateInterface {
	contracts := map[string]map[string]config.Constraint{}
	add := func(name string, cs []config.Constraint) {
		contracts[name] = map[string]config.Constraint{}
		for _, c := range cs {
			contracts[name][c.Param] = c
		}
	}
	for _, ut := range cfg.WorkflowTemplates {
		add(ut.Name, ut.Contract)
	}
	out := map[string]*templateInterface{}
	for _, o := range objs {
		var meta metav1.ObjectMeta
		var spec *wfv1.WorkflowSpec
		switch t := o.Obj.(type) {
		case *wfv1.WorkflowTemplate:
			meta, spec = t.ObjectMeta, &t.Spec
		case *wfv1.ClusterWorkflowTemplate:
			meta, spec = t.ObjectMeta, &t.Spec
		default:
			continue
		}
		ti := specInterface(meta.Name, spec, contracts[meta.Name])
		ti.cluster = o.Kind == "ClusterWorkflowTemplate"
		if o.Entry == "" { // the library's: its own input checks are its contracts
			ti.contract = libraryContracts(spec)
		}
		out[meta.Name] = ti
	}
	stubs := declaredStubs(cfg.ExternalTemplates, cfg.Appflow.Namespace)
	for _, et := range cfg.ExternalTemplates {
		if prev := out[et.Name]; prev != nil && !prev.declared {
			continue // rendered by this config: what it means, whatever the cluster holds
		}
		contract := map[string]config.Constraint{}
		for _, c := range et.Contract {
			contract[c.Param] = c
		}
		var ti *templateInterface
		if et.ClusterScope {
			ti = specInterface(et.Name, &stubs.cluster[et.Name].Spec, contract)
		} else {
			ti = specInterface(et.Name, &stubs.namespaced[et.Name].Spec, contract)
		}
		ti.cluster, ti.declared, ti.live = et.ClusterScope, true, et.FromCluster
		if prev := out[et.Name]; prev == nil || prev.live && !et.FromCluster ||
			prev.live == et.FromCluster && prev.cluster && !et.ClusterScope {
			out[et.Name] = ti
		}
	}
	return out
}

// specInterface reads the interface of a template's spec.
func specInterface(name string, ws *wfv1.WorkflowSpec, contract map[string]config.Constraint) *templateInterface {
	ti := &templateInterface{name: name, entry: ws.Entrypoint, defaults: map[string]string{}, enums: map[string][]string{}, contract: contract}
	spec := map[string]string{}
	for _, p := range ws.Arguments.Parameters {
		if p.Value != nil {
			spec[p.Name] = p.Value.String()
		}
		for _, e := range p.Enum {
			ti.enums[p.Name] = append(ti.enums[p.Name], e.String())
		}
	}
	for _, t := range ws.Templates {
		if t.Name != ws.Entrypoint {
			continue
		}
		for _, p := range t.Inputs.Parameters {
			ti.params = append(ti.params, p.Name)
			if len(p.Enum) > 0 && len(ti.enums[p.Name]) == 0 {
				for _, e := range p.Enum {
					ti.enums[p.Name] = append(ti.enums[p.Name], e.String())
				}
			}
			switch {
			case p.Value != nil:
				ti.defaults[p.Name] = p.Value.String()
			case p.Default != nil:
				ti.defaults[p.Name] = p.Default.String()
			default:
				if v, ok := spec[p.Name]; ok {
					ti.defaults[p.Name] = v
				}
			}
		}
	}
	return ti
}

// checkStep checks a step's template and arguments against the template's interface:
// the template exists, every argument is a parameter, every required parameter is given,
// every literal value satisfies its contract (argo-workflows#10482: a misspelt parameter
// name costs days). References to other steps' outputs are left to Argo's validation.
func checkStep(pl *config.Pipeline, i int, st config.PipelineStep, ifaces map[string]*templateInterface) diag.List {
	path := fmt.Sprintf("pipelines.%s.steps[%d]", pl.Name, i)
	ti, ok := ifaces[st.Template]
	if !ok {
		names := slices.Sorted(maps.Keys(ifaces))
		hint := "use one of " + strings.Join(names, ", ")
		if s := config.Suggest(st.Template, names); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		} else { // not a typo: perhaps a template of the cluster's
			hint += fmt.Sprintf("; a template that lives only in the cluster is declared: externalTemplates: %s: {clusterScope: true, entrypoint: main, templates: {main: {inputs: {parameters: {...}}}}} (clusterScope: false for a WorkflowTemplate), or read from it with vet --cluster", st.Template)
		}
		return diag.List{{Pos: st.TemplatePos, Path: path + ".template", Msg: fmt.Sprintf("unknown template %q", st.Template), Hint: hint}}
	}
	if ti.entry == "" {
		return diag.List{{Pos: st.TemplatePos, Path: path + ".template", Msg: fmt.Sprintf("template %s has no entrypoint for a step to run", st.Template),
			Hint: fmt.Sprintf("declare one: externalTemplates.%s.entrypoint", st.Template)}}
	}
	var out diag.List
	given := map[string]bool{}
	for _, a := range st.Arguments {
		given[a.Name] = true
		if !slices.Contains(ti.params, a.Name) {
			hint := "parameters of " + ti.name + ": " + strings.Join(ti.params, ", ")
			if s := config.Suggest(a.Name, ti.params); s != "" {
				hint = fmt.Sprintf("did you mean %q? %s", s, hint)
			}
			out = append(out, diag.Diagnostic{Pos: a.KeyPos, Path: path + ".arguments." + a.Name, Msg: fmt.Sprintf("template %s has no parameter %q", ti.name, a.Name), Hint: hint})
			continue
		}
		if enum := ti.enums[a.Name]; len(enum) > 0 && !strings.Contains(a.Value, "{{") && !slices.Contains(enum, a.Value) {
			out = append(out, diag.Diagnostic{Pos: a.Pos, Path: path + ".arguments." + a.Name, Msg: fmt.Sprintf("value %q is not one of %s's values for %s", a.Value, ti.name, a.Name),
				Hint: "use one of " + strings.Join(enum, ", ")})
		}
		if c, ok := ti.contract[a.Name]; ok && !strings.Contains(a.Value, "{{") {
			if err := config.CheckContract(c.Expr, a.Value); err != nil {
				hint := fmt.Sprintf("the contract of %s's parameter %s is declared at %s", ti.name, a.Name, c.Pos)
				if c.Pos.File == "" {
					hint = fmt.Sprintf("%s checks %s this way before it runs anything", ti.name, a.Name)
				}
				out = append(out, diag.Diagnostic{Pos: a.Pos, Path: path + ".arguments." + a.Name, Msg: fmt.Sprintf("value %q %s", a.Value, err), Hint: hint})
			}
		}
	}
	var missing []string
	for _, p := range ti.params {
		if _, hasDefault := ti.defaults[p]; !hasDefault && !given[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		noun := "parameter"
		if len(missing) > 1 {
			noun = plural.Noun(noun)
		}
		out = append(out, diag.Diagnostic{Pos: st.Pos, Path: path + ".arguments", Msg: fmt.Sprintf("required %s of %s not set: %s", noun, ti.name, strings.Join(missing, ", ")),
			Hint: "add them under arguments"})
	}
	return out
}

// pipelineObjects renders a pipeline: a Workflow, or a CronWorkflow when scheduled.
func pipelineObjects(cfg *config.Config, pl *config.Pipeline, ifaces map[string]*templateInterface) (Object, diag.List) {
	var errs diag.List
	for i, st := range pl.Steps {
		errs = append(errs, checkStep(pl, i, st, ifaces)...)
	}
	if len(errs) > 0 {
		return Object{}, errs
	}
	main := wfv1.Template{Name: "main"}
	for _, st := range pl.Steps {
		ti := ifaces[st.Template]
		args := wfv1.Arguments{}
		values := map[string]string{}
		for _, a := range st.Arguments {
			values[a.Name] = a.Value
		}
		for _, p := range ti.params {
			v, ok := values[p]
			if !ok {
				v = ti.defaults[p] // a templateRef step must pass every input
			}
			args.Parameters = append(args.Parameters, param(p, v))
		}
		ref := &wfv1.TemplateRef{Name: st.Template, Template: ti.entry, ClusterScope: ti.cluster}
		if pl.DAG {
			if main.DAG == nil {
				main.DAG = &wfv1.DAGTemplate{}
			}
			main.DAG.Tasks = append(main.DAG.Tasks, wfv1.DAGTask{Name: st.Name, TemplateRef: ref, Arguments: args, Dependencies: st.Dependencies})
		} else {
			main.Steps = append(main.Steps, wfv1.ParallelSteps{Steps: []wfv1.WorkflowStep{{Name: st.Name, TemplateRef: ref, Arguments: args}}})
		}
	}
	spec := wfv1.WorkflowSpec{
		Entrypoint:            "main",
		ServiceAccountName:    cfg.Appflow.ServiceAccount,
		ActiveDeadlineSeconds: ptr(cfg.Appflow.ActiveDeadlineSeconds),
		Templates:             []wfv1.Template{main},
		TTLStrategy:           ttlStrategy(cfg.Appflow),
		PodGC:                 &wfv1.PodGC{Strategy: wfv1.PodGCStrategy(cfg.Appflow.PodGC)},
		SecurityContext:       &corev1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
	}
	if pl.Notify != nil {
		notify, err := notifyTemplate(cfg, pl.Notify)
		if err != nil {
			return Object{}, diag.List{{Pos: pl.Pos, Path: "pipelines." + pl.Name + ".notify", Msg: err.Error()}}
		}
		spec.OnExit = "notify"
		spec.Templates = append(spec.Templates, notify)
	}
	annotations := map[string]string{AnnotationSource: cfg.Tree.RelPath(pl.Pos.File)}
	if pl.Description != "" {
		annotations["workflows.argoproj.io/description"] = pl.Description
	}
	o := Object{APIVersion: "argoproj.io/v1alpha1", Namespace: cfg.Appflow.Namespace, Source: pl.Pos, SourceRel: cfg.Tree.RelPath(pl.Pos.File), Entry: "pipelines." + pl.Name}
	wf := &wfv1.Workflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "pipeline-" + pl.Name + "-", Namespace: cfg.Appflow.Namespace, Labels: runLabels(pl.Labels, pl.Name, "pipeline"), Annotations: annotations},
		Spec:       spec,
	}
	if pl.Schedule != nil {
		cw := scheduled(wf, pl.Schedule)
		o.Kind, o.Name, o.Obj = "CronWorkflow", cw.Name, cw
		return o, nil
	}
	o.Kind, o.Name, o.Obj = "Workflow", wf.GenerateName, wf
	return o, nil
}

// scheduled turns a Workflow into the CronWorkflow that runs it on s. It is named after
// the Workflow's generateName; its runs carry the Workflow's labels, so list, status and
// watch find them.
func scheduled(wf *wfv1.Workflow, s *config.Schedule) *wfv1.CronWorkflow {
	labels := maps.Clone(wf.Labels)
	return &wfv1.CronWorkflow{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "CronWorkflow"},
		ObjectMeta: metav1.ObjectMeta{Name: strings.TrimSuffix(wf.GenerateName, "-"), Namespace: wf.Namespace, Labels: wf.Labels, Annotations: wf.Annotations},
		Spec: wfv1.CronWorkflowSpec{
			WorkflowSpec: wf.Spec, Schedules: []string{s.Cron}, Timezone: s.Timezone, Suspend: s.Suspend,
			ConcurrencyPolicy: wfv1.ConcurrencyPolicy(s.ConcurrencyPolicy), StartingDeadlineSeconds: s.StartingDeadlineSeconds,
			SuccessfulJobsHistoryLimit: s.SuccessfulJobsHistoryLimit, FailedJobsHistoryLimit: s.FailedJobsHistoryLimit,
			WorkflowMetadata: &metav1.ObjectMeta{Labels: labels},
		},
	}
}

// notifyScript posts {"workflow", "phase", "duration"} to the URL in $WEBHOOK_URL. It is
// constant: every value comes from env, and the three values are a DNS name, a phase
// word and a number, which need no JSON escaping.
const notifyScript = `body=$(printf '{"workflow":"%s","phase":"%s","duration":%s}' "$WF_NAME" "$WF_STATUS" "$WF_DURATION")
wget -q -O- --header 'Content-Type: application/json' --post-data "$body" "$WEBHOOK_URL"
echo "notified: $WF_NAME $WF_STATUS"
`

func notifyTemplate(cfg *config.Config, n *config.Notify) (wfv1.Template, error) {
	res, err := requirements(cfg.Appflow.Resources)
	return wfv1.Template{
		Name: "notify",
		Script: &wfv1.ScriptTemplate{
			Container: corev1.Container{
				Image:   cfg.Appflow.Images.Shell,
				Command: []string{"sh", "-eu"},
				Env: []corev1.EnvVar{
					{Name: "WF_NAME", Value: "{{workflow.name}}"},
					{Name: "WF_STATUS", Value: "{{workflow.status}}"},
					{Name: "WF_DURATION", Value: "{{workflow.duration}}"},
					{Name: "WEBHOOK_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: n.SecretName}, Key: n.SecretKey}}},
				},
				Resources: res,
				SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr(true), AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			},
			Source: notifyScript,
		},
	}, err
}

// checkLine is one input check of a library script: check NAME "$IN_NAME" PATTERN,
// optionally guarded by [ -z "$IN_NAME" ] || (empty allowed).
var checkLine = regexp.MustCompile(`^\s*(\[ -z "\$IN_(\w+)" \] \|\| )?check (\w+) "\$IN_\w+" (.+)$`)

// reDef is a pattern variable of the library's shell: NAME_RE='...'.
var reDef = regexp.MustCompile(`^\s*(\w+_RE)=(.+)$`)

// libraryContracts reads a library template's contracts from its validate-inputs script:
// the same patterns its shell checks at run time, so vet refuses what the run would.
func libraryContracts(spec *wfv1.WorkflowSpec) map[string]config.Constraint {
	out := map[string]config.Constraint{}
	for _, t := range spec.Templates {
		if t.Name != "validate-inputs" || t.Script == nil {
			continue
		}
		vars := map[string]string{}
		for _, line := range strings.Split(t.Script.Source, "\n") {
			if m := reDef.FindStringSubmatch(line); m != nil {
				vars[m[1]] = shellWord(m[2], vars)
				continue
			}
			m := checkLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			expr := "=~" + strconv.Quote(shellWord(m[4], vars))
			if m[1] != "" {
				expr = `"" | ` + expr
			}
			out[m[3]] = config.Constraint{Param: m[3], Expr: expr}
		}
	}
	return out
}

// shellWord unquotes one shell word made of '...' and "..." parts ($NAME expanded from
// vars inside double quotes), as the library's scripts write their patterns.
func shellWord(w string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(w); {
		switch w[i] {
		case '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return b.String() + w[i+1:]
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 2
		case '"':
			j := strings.IndexByte(w[i+1:], '"')
			if j < 0 {
				j = len(w) - i - 1
			}
			inner := w[i+1 : i+1+j]
			b.WriteString(os.Expand(inner, func(k string) string { return vars[k] }))
			i += j + 2
		default:
			b.WriteByte(w[i])
			i++
		}
	}
	return b.String()
}
