package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/appflowc/appflowc/diag"
)

// ExternalTemplate declares a WorkflowTemplate or ClusterWorkflowTemplate that lives
// only in the cluster (externalTemplates.NAME, or read by `vet --cluster`): appflowc
// renders nothing for it, but checks references to it offline against what is declared
// (parameter names, required inputs, contracts, outputs), and Argo's validation is given
// a stub built from the declaration.
type ExternalTemplate struct {
	Name string
	Pos  diag.Pos
	// ClusterScope: a ClusterWorkflowTemplate; otherwise a WorkflowTemplate in the
	// workflow namespace.
	ClusterScope bool
	// Entrypoint is the template a pipeline step runs ("": none; such a template is only
	// referenced by templateRef from user templates).
	Entrypoint string
	// Templates are the templates it holds that may be referenced, sorted by name.
	Templates []ExternalEntry
	// Contract constrains the entrypoint's input parameters, as a user template's does.
	Contract []Constraint
	// FromCluster marks a declaration read from the cluster (vet --cluster).
	FromCluster bool
}

// ExternalEntry is one template of a declared template: its inputs and outputs.
type ExternalEntry struct {
	Name       string
	Parameters []TemplateParam // inputs; Default nil: required
	Artifacts  []string        // input artifacts (required)
	// OutputParameters and OutputArtifacts are what steps may read from it.
	OutputParameters []string
	OutputArtifacts  []string
}

// Bounds of a declaration (the config is hostile, and so is a cluster read by vet
// --cluster): enough for any real template, small enough that a stub stays cheap.
const (
	MaxExternalTemplates = 500 // declarations per config
	MaxExternalEntries   = 200 // templates per declaration
	MaxExternalNames     = 200 // parameters or artifacts per list
	maxArgoName          = 128
)

var (
	argoTemplateName = lazyRegexp(`^[a-zA-Z0-9][-a-zA-Z0-9]*$`)
	argoParamName    = lazyRegexp(`^[-a-zA-Z0-9_]+$`)
)

// ArgoName reports whether s is a valid name of a template, parameter or artifact as
// Argo accepts it (what a declaration may name; also used to vet names read from a cluster).
func ArgoName(s string, template bool) bool {
	if len(s) == 0 || len(s) > maxArgoName {
		return false
	}
	if template {
		return argoTemplateName().MatchString(s)
	}
	return argoParamName().MatchString(s)
}

func (d *decoder) externalTemplates(n *Node, c *Config) {
	p := []string{"externalTemplates"}
	if !d.fieldsAny(n, p) {
		return
	}
	if len(n.Fields) > MaxExternalTemplates {
		d.errorf(n, p, fmt.Sprintf("declare at most %d templates (the ones the config references)", MaxExternalTemplates), "%d declared templates", len(n.Fields))
		return
	}
	user := map[string]*UserTemplate{}
	for _, ut := range c.WorkflowTemplates {
		user[ut.Name] = ut
	}
	for _, f := range n.SortedFields() {
		et := d.externalTemplate(f)
		fp := []string{"externalTemplates", f.Key}
		switch {
		case slices.Contains(LibraryTemplates, f.Key):
			d.errorf(&Node{Pos: f.KeyPos}, fp, "the library's templates are rendered by appflowc; declare only templates that exist in the cluster alone",
				"externalTemplates.%s names a template of the library", f.Key)
		case user[f.Key] != nil:
			d.errs = append(d.errs, diag.Diagnostic{Pos: f.KeyPos, Path: joinPath(fp), Msg: fmt.Sprintf("%s is both declared here and defined under workflowTemplates", f.Key),
				Hint: fmt.Sprintf("a template appflowc renders needs no declaration: remove one of them (workflowTemplates.%s is at %s)", f.Key, user[f.Key].Pos), Related: []diag.Pos{user[f.Key].Pos}})
		}
		c.ExternalTemplates = append(c.ExternalTemplates, et)
	}
}

func (d *decoder) externalTemplate(f *Field) *ExternalTemplate {
	p := []string{"externalTemplates", f.Key}
	et := &ExternalTemplate{Name: f.Key, Pos: f.KeyPos}
	d.subdomain(&Node{Pos: f.KeyPos}, p, f.Key)
	n := f.Value
	if !d.fields(n, p, "description", "clusterScope", "entrypoint", "templates", "contract") {
		return et
	}
	if v := n.Get("description"); v != nil {
		d.str(v, append(p, "description"))
	}
	et.ClusterScope = d.boolean(n.Get("clusterScope"), append(p, "clusterScope"), false)
	ts := d.required(n, p, "templates", "declare the templates it holds that the config uses: templates: {main: {inputs: {parameters: {url: {}}}}}")
	if ts != nil && d.fieldsAny(ts, append(p, "templates")) {
		switch {
		case len(ts.Fields) == 0:
			d.errorf(ts, append(p, "templates"), "declare at least the template the config references", "no templates declared")
		case len(ts.Fields) > MaxExternalEntries:
			d.errorf(ts, append(p, "templates"), fmt.Sprintf("declare at most %d templates", MaxExternalEntries), "%d templates declared", len(ts.Fields))
		default:
			for _, tf := range ts.SortedFields() {
				et.Templates = append(et.Templates, d.externalEntry(tf, append(p, "templates", tf.Key)))
			}
		}
	}
	names := make([]string, len(et.Templates))
	for i, e := range et.Templates {
		names[i] = e.Name
	}
	if v := n.Get("entrypoint"); v != nil {
		if s, ok := d.str(v, append(p, "entrypoint")); ok {
			et.Entrypoint = s
			if len(names) > 0 && !slices.Contains(names, s) {
				hint := "declare it under templates, or name one of: " + strings.Join(names, ", ")
				if sg := Suggest(s, names); sg != "" {
					hint = fmt.Sprintf("did you mean %q? %s", sg, hint)
				}
				d.errorf(v, append(p, "entrypoint"), hint, "entrypoint %q is not among the declared templates", s)
			}
		}
	}
	if c := n.Get("contract"); c != nil && d.fieldsAny(c, append(p, "contract")) {
		var params []TemplateParam
		for _, e := range et.Templates {
			if e.Name == et.Entrypoint {
				params = e.Parameters
			}
		}
		for _, cf := range c.SortedFields() {
			cp := append(append([]string(nil), p...), "contract", cf.Key)
			expr, ok := d.str(cf.Value, cp)
			if !ok {
				continue
			}
			et.Contract = append(et.Contract, Constraint{Param: cf.Key, Expr: expr, Pos: cf.Value.Pos})
			if !slices.ContainsFunc(params, func(tp TemplateParam) bool { return tp.Name == cf.Key }) {
				d.errorf(&Node{Pos: cf.KeyPos}, cp, "constrain an input parameter of the entrypoint ("+paramNames(params)+")", "contract for undeclared parameter %q", cf.Key)
			}
		}
		d.contractDefaults(&UserTemplate{Params: params, Contract: et.Contract}, p)
	}
	return et
}

func (d *decoder) externalEntry(f *Field, p []string) ExternalEntry {
	e := ExternalEntry{Name: f.Key}
	if !ArgoName(f.Key, true) {
		d.errorf(&Node{Pos: f.KeyPos}, p, "use letters, digits and '-', starting with a letter or digit, at most 128 characters (Argo's template names)", "invalid template name %q", f.Key)
	}
	n := f.Value
	if !d.fields(n, p, "inputs", "outputs") {
		return e
	}
	if in := n.Get("inputs"); in != nil && d.fields(in, append(p, "inputs"), "parameters", "artifacts") {
		if ps := in.Get("parameters"); ps != nil && d.fieldsAny(ps, append(p, "inputs", "parameters")) {
			pp := append(append([]string(nil), p...), "inputs", "parameters")
			if len(ps.Fields) > MaxExternalNames {
				d.errorf(ps, pp, fmt.Sprintf("declare at most %d parameters", MaxExternalNames), "%d parameters declared", len(ps.Fields))
			} else {
				for _, pf := range ps.SortedFields() {
					e.Parameters = append(e.Parameters, d.externalParam(pf, append(pp, pf.Key)))
				}
			}
		}
		e.Artifacts = d.argoNames(in.Get("artifacts"), append(p, "inputs", "artifacts"))
	}
	if out := n.Get("outputs"); out != nil && d.fields(out, append(p, "outputs"), "parameters", "artifacts") {
		e.OutputParameters = d.argoNames(out.Get("parameters"), append(p, "outputs", "parameters"))
		e.OutputArtifacts = d.argoNames(out.Get("artifacts"), append(p, "outputs", "artifacts"))
	}
	return e
}

// externalParam is one declared input parameter: {} is required, {default: V} optional,
// enum lists the values allowed.
func (d *decoder) externalParam(f *Field, p []string) TemplateParam {
	tp := TemplateParam{Name: f.Key}
	if !ArgoName(f.Key, false) {
		d.errorf(&Node{Pos: f.KeyPos}, p, "use letters, digits, '-' and '_' (Argo's parameter names)", "invalid parameter name %q", f.Key)
	}
	if !d.fields(f.Value, p, "default", "enum") {
		return tp
	}
	if v := f.Value.Get("default"); v != nil {
		if s, ok := d.scalarStr(v, append(p, "default")); ok {
			tp.Default = &s
		}
	}
	if v := f.Value.Get("enum"); v != nil {
		if v.Kind != List || len(v.Items) == 0 || len(v.Items) > MaxExternalNames {
			d.errorf(v, append(p, "enum"), fmt.Sprintf("write a list of 1 to %d values, e.g. [dev, prod]", MaxExternalNames), "expected a list of values, found %s", v.display())
		} else {
			for i, it := range v.Items {
				if s, ok := d.scalarStr(it, append(append([]string(nil), p...), "enum", fmt.Sprint(i))); ok {
					tp.Enum = append(tp.Enum, s)
				}
			}
			if tp.Default != nil && !slices.Contains(tp.Enum, *tp.Default) {
				d.errorf(f.Value.Get("default"), append(p, "default"), "use one of "+strings.Join(tp.Enum, ", "), "default %q is not one of the enum's values", *tp.Default)
			}
		}
	}
	return tp
}

// argoNames is a list of unique parameter or artifact names.
func (d *decoder) argoNames(n *Node, p []string) []string {
	if n != nil && n.Kind == List && len(n.Items) > MaxExternalNames {
		d.errorf(n, p, fmt.Sprintf("declare at most %d names", MaxExternalNames), "%d names declared", len(n.Items))
		return nil
	}
	seen := map[string]bool{}
	return d.strList(n, p, func(it *Node, ip []string, s string) {
		if !ArgoName(s, false) {
			d.errorf(it, ip, "use letters, digits, '-' and '_' (Argo's parameter and artifact names)", "invalid name %q", s)
		}
		if seen[s] {
			d.errorf(it, ip, "name each once", "duplicate name %q", s)
		}
		seen[s] = true
	})
}
