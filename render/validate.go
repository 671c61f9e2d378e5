package render

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	apierr "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/par"
	"github.com/appflowc/appflowc/manifest"
)

// templateGetter serves WorkflowTemplates from the rendered set, so validation is offline
// (what `argo lint --offline` does).
type templateGetter map[string]*wfv1.WorkflowTemplate

func (g templateGetter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if t, ok := g[name]; ok {
		return t.DeepCopy(), nil // Argo's validator may mutate what it is given
	}
	return nil, apierr.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "workflowtemplates"}, name)
}

// clusterTemplateGetter serves ClusterWorkflowTemplates: the user's and the stubs of
// declared ones (externalTemplates, vet --cluster).
type clusterTemplateGetter map[string]*wfv1.ClusterWorkflowTemplate

func (g clusterTemplateGetter) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := g[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, apierr.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "clusterworkflowtemplates"}, name)
}

// argoMu serialises Argo's validation: it is not safe for concurrent use (its template
// placeholders come from a package-level counter, workflow/common.placeholderGenerator),
// and two renders in one process — tests, a long-running ui — would race on it.
var argoMu sync.Mutex

func argoValidate(check func() error) error {
	argoMu.Lock()
	defer argoMu.Unlock()
	return check()
}

// Validate runs Argo's own validation on every WorkflowTemplate and Workflow, and checks
// each Workflow's arguments against the parameters its template declares (Argo's lint
// does not: argo-workflows#14603). Problems are placed at the config entry they come from.
// Argo's verdicts are kept in cache (nil: none), keyed by the exact object (or Workflow
// shape) and every template it may reference.
func Validate(objs []Object, ext []*config.ExternalTemplate, cache *diskcache.Cache) diag.List {
	getter, cgetter := templateGetter{}, clusterTemplateGetter{}
	// Declared templates first: a rendered one of the same name (which the decoder
	// refuses from a config, but vet --cluster may read) is what will be applied.
	stubs := declaredStubs(ext, "")
	maps.Copy(getter, stubs.namespaced)
	maps.Copy(cgetter, stubs.cluster)
	for _, o := range objs {
		switch t := o.Obj.(type) {
		case *wfv1.WorkflowTemplate:
			getter[t.Name] = t
		case *wfv1.ClusterWorkflowTemplate:
			cgetter[t.Name] = t
		}
	}
	// What every verdict depends on besides the object itself: all templates, by scope
	// and name.
	lib := sha256.New()
	for _, n := range slices.Sorted(maps.Keys(getter)) {
		b, _ := json.Marshal(getter[n])
		fmt.Fprintf(lib, "%d\x00%s", len(b), b)
	}
	fmt.Fprint(lib, "cluster\x00")
	for _, n := range slices.Sorted(maps.Keys(cgetter)) {
		b, _ := json.Marshal(cgetter[n])
		fmt.Fprintf(lib, "%d\x00%s", len(b), b)
	}
	libHash := lib.Sum(nil)
	verdict := func(kind string, key []byte, check func() error) string {
		if v, ok := cache.Get(kind, libHash, key); ok {
			return string(v)
		}
		v := ""
		if err := argoValidate(check); err != nil {
			v = err.Error()
			if v == "" {
				v = "invalid"
			}
		}
		cache.Put(kind, []byte(v), libHash, key)
		return v
	}
	// A template's verdict: Argo's validation (serialised, see argoMu) and its
	// templateRefs' arguments.
	templateDiags := func(o Object) diag.List {
		var out diag.List
		obj := o.Obj
		if o.Locate != nil { // a user template: its templateRefs' arguments
			out = append(out, checkRefArguments(o, getter, cgetter)...)
		}
		b, err := json.Marshal(obj)
		if err != nil {
			b = nil // not cacheable: validate without the cache
		}
		kind := "argo-template"
		check := func() error {
			return validate.ValidateWorkflowTemplate(getter, cgetter, obj.(*wfv1.WorkflowTemplate).DeepCopy(), nil, validate.ValidateOpts{Lint: true, WorkflowTemplateValidation: true})
		}
		if cwt, ok := obj.(*wfv1.ClusterWorkflowTemplate); ok {
			kind = "argo-clustertemplate"
			check = func() error {
				return validate.ValidateClusterWorkflowTemplate(getter, cgetter, cwt.DeepCopy(), nil, validate.ValidateOpts{Lint: true, WorkflowTemplateValidation: true})
			}
		}
		var msg string
		if b != nil {
			msg = verdict(kind, b, check)
		} else if err := argoValidate(check); err != nil {
			msg = err.Error()
		}
		if msg != "" {
			pos, path := o.Source, o.ID()
			if o.Entry != "" { // a user template: name it as the config does
				path = o.Entry
			}
			if o.Locate != nil { // at the field Argo names, where it is written
				pos, path = o.Locate(msg)
			}
			out = append(out, diag.Diagnostic{Pos: pos, Path: path, Msg: "Argo rejects the template: " + msg, Hint: refHint(msg, stubs, func(n string) bool { return getter[n] != nil || cgetter[n] != nil },
				"this comes from the template's definition; fix it where the template is written")})
		}
		return out
	}
	// What each Workflow needs besides Argo's verdict (its arguments checked, its shape
	// key) is independent of the others: it is worked out on every core, while the
	// templates' verdicts are reached beside it.
	tp := paramsOf(getter)
	type wfPrep struct {
		args      diag.List
		key       string
		cacheable bool
	}
	prep := make([]wfPrep, len(objs))
	perObj := make([]diag.List, len(objs))
	templatesDone := make(chan struct{})
	go func() {
		defer close(templatesDone)
		for i, o := range objs {
			switch o.Obj.(type) {
			case *wfv1.WorkflowTemplate, *wfv1.ClusterWorkflowTemplate:
				perObj[i] = templateDiags(o)
			}
		}
	}()
	par.Each(len(objs), func(i int) {
		if wf, ok := objs[i].Obj.(*wfv1.Workflow); ok {
			p := &prep[i]
			p.args = tp.check(objs[i], wf)
			p.key, p.cacheable = shapeKey(wf)
		}
	})
	<-templatesDone
	shapes := map[string]string{}
	for i, o := range objs {
		var out diag.List
		switch obj := o.Obj.(type) {
		case *wfv1.Workflow:
			out = append(out, prep[i].args...)
			check := func() error {
				return validate.ValidateWorkflow(getter, cgetter, obj.DeepCopy(), nil, validate.ValidateOpts{Lint: true})
			}
			key, cacheable := prep[i].key, prep[i].cacheable
			msg, seen := shapes[key]
			switch {
			case !cacheable:
				if err := argoValidate(check); err != nil {
					msg = err.Error()
				}
			case !seen:
				msg = verdict("argo-workflow", []byte(key), check)
				shapes[key] = msg
			}
			if msg != "" {
				out = append(out, diag.Diagnostic{Pos: o.Source, Path: o.Entry, Msg: "Argo rejects the rendered Workflow: " + msg,
					Hint: "check the entry's values against the template's parameters"})
			}
		case *wfv1.CronWorkflow:
			// A scheduled entry's runs reference a template as its Workflow would.
			out = append(out, tp.check(o, &wfv1.Workflow{ObjectMeta: obj.ObjectMeta, Spec: obj.Spec.WorkflowSpec})...)
			b, err := json.Marshal(obj)
			check := func() error {
				return validate.ValidateCronWorkflow(context.Background(), getter, cgetter, obj.DeepCopy(), nil)
			}
			var msg string
			if err == nil {
				msg = verdict("argo-cronworkflow", b, check)
			} else if err := argoValidate(check); err != nil {
				msg = err.Error()
			}
			if msg != "" {
				out = append(out, diag.Diagnostic{Pos: o.Source, Path: o.Entry, Msg: "Argo rejects the rendered CronWorkflow: " + msg,
					Hint: "check the pipeline's steps and schedule"})
			}
		}
		if out != nil {
			perObj[i] = out
		}
	}
	var out diag.List
	for _, ds := range perObj {
		out = append(out, ds...)
	}
	return out.Sort()
}

// refNotFound is Argo's message for a templateRef it cannot resolve: the template
// (WorkflowTemplate or ClusterWorkflowTemplate) or the template inside it is missing.
var refNotFound = regexp.MustCompile(`template reference (\S+) not found`)

// wfRefNotFound is Argo's message for a workflowTemplateRef (or a templateRef's whole
// template) it cannot fetch from its getters: the Kubernetes not-found error.
var wfRefNotFound = regexp.MustCompile(`\b(cluster)?workflowtemplates\.argoproj\.io "([^"]+)" not found`)

// refHint says how to make a missing templateRef target known: a template that lives
// only in the cluster is declared (or read with vet --cluster); a declared one declares
// the template referenced inside it. Otherwise def.
func refHint(msg string, stubs declared, rendered func(string) bool, def string) string {
	if m := wfRefNotFound.FindStringSubmatch(msg); m != nil && !rendered(m[2]) {
		// A workflowTemplateRef to a template neither rendered nor declared.
		scope := "false"
		if m[1] == "cluster" {
			scope = "true"
		}
		return fmt.Sprintf("if %s lives only in the cluster, declare it with its entrypoint: externalTemplates: %s: {clusterScope: %s, entrypoint: main, templates: {main: {inputs: {parameters: {...}}}}}, or let vet read it from the cluster with vet --cluster", m[2], m[2], scope)
	}
	m := refNotFound.FindStringSubmatch(msg)
	if m == nil {
		return def
	}
	i := strings.LastIndexByte(m[1], '.')
	if i < 0 {
		return def
	}
	name, entry := m[1][:i], m[1][i+1:]
	switch {
	case stubs.namespaced[name] != nil && stubs.cluster[name] == nil && holds(stubs.namespaced[name].Spec, entry):
		return fmt.Sprintf("%s is declared as a WorkflowTemplate (clusterScope: false), and it holds %s: reference it without clusterScope: true, or declare it with clusterScope: true", name, entry)
	case stubs.cluster[name] != nil && stubs.namespaced[name] == nil && holds(stubs.cluster[name].Spec, entry):
		return fmt.Sprintf("%s is declared as a ClusterWorkflowTemplate (clusterScope: true), and it holds %s: reference it with clusterScope: true, or declare it with clusterScope: false", name, entry)
	case stubs.namespaced[name] != nil || stubs.cluster[name] != nil:
		return fmt.Sprintf("%s is declared without a template %s: add it under externalTemplates.%s.templates (with its inputs and outputs), or correct the name", name, entry, name)
	case rendered(name):
		return def + "; check the name of the template inside " + name + " and the reference's clusterScope"
	}
	return fmt.Sprintf("if %s lives only in the cluster, declare it: externalTemplates: %s: {clusterScope: true, templates: {%s: {inputs: {parameters: {...}}}}} (clusterScope: false for a WorkflowTemplate), or let vet read it from the cluster with vet --cluster", name, name, entry)
}

// holds reports whether a declared template's stub holds the template named entry.
func holds(spec wfv1.WorkflowSpec, entry string) bool {
	return slices.ContainsFunc(spec.Templates, func(t wfv1.Template) bool { return t.Name == entry })
}

// checkRefArguments checks the arguments a user template's steps and tasks pass through
// a templateRef against the inputs of the template they name: Argo reports a missing
// input but passes a misspelt one by silently (argo-workflows#10482), as it does for a
// pipeline step (checkStep). A reference Argo cannot resolve is left to its message.
func checkRefArguments(o Object, getter templateGetter, cgetter clusterTemplateGetter) diag.List {
	var spec *wfv1.WorkflowSpec
	switch t := o.Obj.(type) {
	case *wfv1.WorkflowTemplate:
		spec = &t.Spec
	case *wfv1.ClusterWorkflowTemplate:
		spec = &t.Spec
	default:
		return nil
	}
	var out diag.List
	check := func(at string, ref *wfv1.TemplateRef, args wfv1.Arguments) {
		var target *wfv1.WorkflowSpec
		if ref.ClusterScope {
			if t := cgetter[ref.Name]; t != nil {
				target = &t.Spec
			}
		} else if t := getter[ref.Name]; t != nil {
			target = &t.Spec
		}
		if target == nil {
			return
		}
		i := slices.IndexFunc(target.Templates, func(t wfv1.Template) bool { return t.Name == ref.Template })
		if i < 0 {
			return
		}
		var inputs []string
		for _, p := range target.Templates[i].Inputs.Parameters {
			inputs = append(inputs, p.Name)
		}
		for _, a := range args.Parameters {
			if slices.Contains(inputs, a.Name) {
				continue
			}
			pos, path := o.Locate(at + ".arguments.parameters." + a.Name + " ")
			hint := "its inputs: " + strings.Join(inputs, ", ")
			if len(inputs) == 0 {
				hint = "it takes no input parameters; remove the argument"
			}
			if s := config.Suggest(a.Name, inputs); s != "" {
				hint = fmt.Sprintf("did you mean %q? %s", s, hint)
			}
			out = append(out, diag.Diagnostic{Pos: pos, Path: path,
				Msg:  fmt.Sprintf("template %s.%s has no input parameter %q (Argo would pass it by silently)", ref.Name, ref.Template, a.Name),
				Hint: hint})
		}
	}
	for _, t := range spec.Templates {
		for g, group := range t.Steps {
			for _, st := range group.Steps {
				if st.TemplateRef != nil {
					check(fmt.Sprintf("templates.%s.steps[%d].%s", t.Name, g, st.Name), st.TemplateRef, st.Arguments)
				}
			}
		}
		if t.DAG != nil {
			for _, task := range t.DAG.Tasks {
				if task.TemplateRef != nil {
					check(fmt.Sprintf("templates.%s.tasks.%s", t.Name, task.Name), task.TemplateRef, task.Arguments)
				}
			}
		}
	}
	return out
}

// templateParams is what checking a Workflow's arguments needs of each template: built once per
// Validate, read by every core.
type templateParams map[string]*declaredParams

type declaredParams struct {
	byName map[string]*wfv1.Parameter
	list   []*wfv1.Parameter // in declaration order
	names  []string          // the same, for the hint
}

func paramsOf(getter templateGetter) templateParams {
	tp := make(templateParams, len(getter))
	for name, wt := range getter {
		d := &declaredParams{byName: make(map[string]*wfv1.Parameter, len(wt.Spec.Arguments.Parameters))}
		for i := range wt.Spec.Arguments.Parameters {
			p := &wt.Spec.Arguments.Parameters[i]
			d.byName[p.Name] = p
			d.list = append(d.list, p)
			d.names = append(d.names, p.Name)
		}
		tp[name] = d
	}
	return tp
}

func (tp templateParams) check(o Object, wf *wfv1.Workflow) diag.List {
	ref := wf.Spec.WorkflowTemplateRef
	if ref == nil {
		return nil
	}
	d, ok := tp[ref.Name]
	if !ok {
		return diag.List{{Pos: o.Source, Path: o.Entry, Msg: fmt.Sprintf("workflowTemplateRef %q names no known WorkflowTemplate", ref.Name),
			Hint: "use one of: " + strings.Join(slices.Sorted(maps.Keys(tp)), ", ")}}
	}
	var out diag.List
	for _, p := range wf.Spec.Arguments.Parameters {
		if _, ok := d.byName[p.Name]; !ok {
			out = append(out, diag.Diagnostic{Pos: o.Source, Path: o.Entry, Msg: fmt.Sprintf("parameter %q is not declared by WorkflowTemplate %s", p.Name, ref.Name),
				Hint: "declared parameters: " + strings.Join(d.names, ", ")})
		}
	}
	for _, p := range d.list {
		if p.Value == nil && p.Default == nil && !slices.ContainsFunc(wf.Spec.Arguments.Parameters, func(a wfv1.Parameter) bool { return a.Name == p.Name }) {
			out = append(out, diag.Diagnostic{Pos: o.Source, Path: o.Entry, Msg: fmt.Sprintf("required parameter %q of WorkflowTemplate %s is not set", p.Name, ref.Name),
				Hint: "pass a value for it"})
		}
	}
	return out
}

// shapeKey identifies what Argo's lint of a Workflow depends on: everything but the
// parameter values, which it treats as data. Argo spends ~20 ms per Workflow compiling
// the referenced template's expressions, and a config's Workflows share a handful of
// shapes, so validating one per shape turns O(apps) of that into O(templates).
// A value holding "{{" could be substituted during validation, so such Workflows are
// validated on their own (cacheable is false).
func shapeKey(wf *wfv1.Workflow) (key string, cacheable bool) {
	if manifest.PlainWorkflow(wf) {
		return plainShapeKey(wf)
	}
	return jsonShapeKey(wf)
}

// plainShapeKey is shapeKey of an entry's Workflow (manifest.PlainWorkflow), written
// from the few fields such a Workflow has instead of through JSON (a tenth of a large
// render went to that): the same fields with the values left out, each length-prefixed
// so that no two shapes share a key. TestPlainShapeKeyIsTheJSONKey holds it to
// jsonShapeKey: equal exactly when those are equal.
func plainShapeKey(wf *wfv1.Workflow) (string, bool) {
	b := make([]byte, 0, 256)
	b = append(b, "plain"...)
	str := func(s string) {
		b = strconv.AppendInt(append(b, 0), int64(len(s)), 10)
		b = append(append(b, ':'), s...)
	}
	opt := func(set bool) {
		if set {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	str(wf.APIVersion)
	str(wf.Kind)
	str(wf.Namespace)
	opt(wf.Spec.WorkflowTemplateRef != nil)
	if r := wf.Spec.WorkflowTemplateRef; r != nil {
		str(r.Name)
	}
	b = strconv.AppendInt(b, int64(len(wf.Spec.Arguments.Parameters)), 10)
	for _, p := range wf.Spec.Arguments.Parameters {
		if p.Value != nil && strings.Contains(p.Value.String(), "{{") {
			return "", false
		}
		str(p.Name)
		opt(p.Value != nil)
	}
	opt(wf.Spec.TTLStrategy != nil)
	if t := wf.Spec.TTLStrategy; t != nil {
		for _, v := range []*int32{t.SecondsAfterCompletion, t.SecondsAfterSuccess, t.SecondsAfterFailure} {
			opt(v != nil)
			if v != nil {
				b = strconv.AppendInt(append(b, ':'), int64(*v), 10)
			}
		}
	}
	opt(wf.Spec.PodGC != nil)
	if g := wf.Spec.PodGC; g != nil {
		str(string(g.Strategy))
	}
	return string(b), true
}

// jsonShapeKey is shapeKey of any Workflow: its JSON with what varies per entry masked.
func jsonShapeKey(wf *wfv1.Workflow) (key string, cacheable bool) {
	// A shallow copy with new parameter and metadata values: nothing shared is modified,
	// and a deep copy per Workflow was a tenth of a large render.
	c := *wf
	masked := wfv1.AnyStringPtr("v")
	params := make([]wfv1.Parameter, len(wf.Spec.Arguments.Parameters))
	for i, p := range wf.Spec.Arguments.Parameters {
		if p.Value != nil && strings.Contains(p.Value.String(), "{{") {
			return "", false
		}
		if p.Value != nil {
			p.Value = masked
		}
		params[i] = p
	}
	c.Spec.Arguments.Parameters = params
	// Argo checks only the length of metadata.name; generateName differs per entry.
	c.ObjectMeta = *wf.ObjectMeta.DeepCopy()
	c.Name = strings.Repeat("x", len(c.Name))
	c.GenerateName = ""
	c.Labels, c.Annotations = nil, nil
	b, err := json.Marshal(&c)
	if err != nil {
		return "", false
	}
	return string(b), true
}
