package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"

	"github.com/appflowc/appflowc/cue/argo"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/policy"
)

// UserTemplate is one of the user's WorkflowTemplates (workflowTemplates.NAME).
type UserTemplate struct {
	Name        string
	Pos         diag.Pos
	Description string
	// ClusterScope renders it as a ClusterWorkflowTemplate (no namespace), referenced
	// with templateRef clusterScope: true.
	ClusterScope bool
	// Spec is the WorkflowTemplate's spec as plain values (checked against Argo's
	// schema); SpecNode keeps its positions.
	Spec     map[string]any
	SpecNode *Node
	// Contract constrains input parameters: CUE expressions by parameter name.
	Contract []Constraint
	// Params are spec.arguments.parameters: names, defaults (nil: required).
	Params []TemplateParam
}

// Constraint is a CUE expression a parameter's value must satisfy.
type Constraint struct {
	Param string
	Expr  string
	Pos   diag.Pos
}

// TemplateParam is one of a template's parameters.
type TemplateParam struct {
	Name    string
	Default *string // nil: required
	Enum    []string
}

func (d *decoder) userTemplate(f *Field, af *Appflow) *UserTemplate {
	p := []string{"workflowTemplates", f.Key}
	t := &UserTemplate{Name: f.Key, Pos: f.KeyPos}
	d.subdomain(&Node{Pos: f.KeyPos}, p, f.Key)
	if slices.Contains(LibraryTemplates, f.Key) {
		d.errorf(&Node{Pos: f.KeyPos}, p, "choose another name: the library's templates are "+strings.Join(LibraryTemplates, ", "), "workflowTemplates.%s would replace the library's template", f.Key)
	}
	n := f.Value
	if !d.fields(n, p, "description", "clusterScope", "contract", "spec") {
		return t
	}
	t.ClusterScope = d.boolean(n.Get("clusterScope"), append(p, "clusterScope"), false)
	if v := n.Get("description"); v != nil {
		t.Description, _ = d.str(v, append(p, "description"))
	}
	spec := d.required(n, p, "spec", "add spec: the WorkflowTemplate's spec (entrypoint, templates, arguments), as Argo documents it")
	if spec == nil || !d.fieldsAny(spec, append(p, "spec")) {
		return t
	}
	t.SpecNode = spec
	t.Spec, _ = spec.Interface().(map[string]any)
	d.argoSpec(spec, append(p, "spec"), t.Spec)
	t.Params = templateParams(spec)
	if c := n.Get("contract"); c != nil && d.fieldsAny(c, append(p, "contract")) {
		for _, cf := range c.SortedFields() {
			cp := append(p, "contract", cf.Key)
			expr, ok := d.str(cf.Value, cp)
			if !ok {
				continue
			}
			t.Contract = append(t.Contract, Constraint{Param: cf.Key, Expr: expr, Pos: cf.Value.Pos})
			if !slices.ContainsFunc(t.Params, func(tp TemplateParam) bool { return tp.Name == cf.Key }) {
				d.errorf(&Node{Pos: cf.KeyPos}, cp, "constrain a parameter of the template (spec.arguments.parameters or its entrypoint's inputs: "+paramNames(t.Params)+")", "contract for undeclared parameter %q", cf.Key)
			}
		}
		d.contractDefaults(t, p)
	}
	d.checkPolicy(spec, append(p, "spec"), af)
	return t
}

// templateParams are a template's parameters: spec.arguments.parameters and the inputs
// of its entrypoint (what a pipeline step passes), defaults from either.
func templateParams(spec *Node) []TemplateParam {
	var out []TemplateParam
	add := func(params *Node) {
		if params == nil || params.Kind != List {
			return
		}
		for _, it := range params.Items {
			name, _ := it.Get("name").Interface().(string)
			if name == "" {
				continue
			}
			i := slices.IndexFunc(out, func(tp TemplateParam) bool { return tp.Name == name })
			if i < 0 {
				out = append(out, TemplateParam{Name: name})
				i = len(out) - 1
			}
			if v := it.Get("value"); v != nil && out[i].Default == nil {
				s := scalarString(v)
				out[i].Default = &s
			}
			if e := it.Get("enum"); e != nil && e.Kind == List && out[i].Enum == nil {
				for _, x := range e.Items {
					out[i].Enum = append(out[i].Enum, scalarString(x))
				}
			}
		}
	}
	add(spec.Lookup("arguments", "parameters"))
	entry, _ := spec.Get("entrypoint").Interface().(string)
	if ts := spec.Get("templates"); ts != nil && ts.Kind == List {
		for _, t := range ts.Items {
			if name, _ := t.Get("name").Interface().(string); name == entry && entry != "" {
				add(t.Lookup("inputs", "parameters"))
			}
		}
	}
	return out
}

func paramNames(ps []TemplateParam) string {
	if len(ps) == 0 {
		return "none declared"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// argoSpec checks the spec against Argo's own schema (generated into cue/argo): every
// field name and type, each error at the user's position.
func (d *decoder) argoSpec(n *Node, p []string, spec map[string]any) {
	problems, err := CheckArgoSpec(spec)
	if err != nil {
		d.errorf(n, p, "this is a bug in appflowc", "Argo schema: %v", err)
		return
	}
	for _, pr := range problems {
		at := n.Lookup(pr.Path...)
		for k := len(pr.Path); at == nil && k > 0; k-- { // an unknown or missing field: point at the nearest existing parent
			at = n.Lookup(pr.Path[:k-1]...)
		}
		hint := pr.Hint
		if hint == "" {
			hint = "see Argo's field reference: https://argo-workflows.readthedocs.io/en/latest/fields/"
		}
		d.errorf(at, append(append([]string(nil), p...), pr.Path...), hint, "%s", pr.Msg)
	}
}

// SpecProblem is one way a spec departs from Argo's schema, at a path inside the spec.
type SpecProblem struct {
	Path []string
	Msg  string
	Hint string // "": see Argo's field reference
}

// CheckArgoSpec checks a WorkflowSpec (as plain values) against Argo's schema.
func CheckArgoSpec(spec map[string]any) ([]SpecProblem, error) {
	v, ctx, err := argo.Schema()
	if err != nil {
		return nil, err
	}
	defer argo.Lock()()
	def := v.LookupPath(cue.ParsePath("#WorkflowTemplateSpec"))
	err = def.Unify(ctx.Encode(spec)).Validate(cue.Concrete(true))
	if err == nil {
		return nil, nil
	}
	var out []SpecProblem
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		rel := e.Path()
		if len(rel) > 0 && strings.HasPrefix(rel[0], "#") {
			rel = rel[1:]
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if msg == "field not allowed" && len(rel) > 0 {
			msg = "unknown field " + strconv.Quote(rel[len(rel)-1]) + " in Argo's WorkflowTemplate spec"
		}
		key := strings.Join(rel, ".") + "\x00" + msg
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, SpecProblem{Path: rel, Msg: msg})
	}
	return collapseDisjunctions(out), nil
}

var (
	emptyDisjunction = lazyRegexp(`^[0-9]+ errors in empty disjunction:?$`)
	mismatchedType   = lazyRegexp(`^conflicting values (.+) and ([a-z]+) \(mismatched types ([a-z]+) and [a-z]+\)$`)
)

// collapseDisjunctions says a value of none of the types a field allows (Argo's
// parameter values are bool | number | string) once: CUE reports "N errors in empty
// disjunction" and then each type that did not match, at the same field.
func collapseDisjunctions(ps []SpecProblem) []SpecProblem {
	type alt struct {
		found, kind string
		types       []string
		ok          bool
	}
	at := map[string]*alt{}
	for _, p := range ps {
		k := strings.Join(p.Path, "\x00")
		a := at[k]
		if a == nil {
			a = &alt{ok: true}
			at[k] = a
		}
		if emptyDisjunction().MatchString(p.Msg) {
			continue
		}
		m := mismatchedType().FindStringSubmatch(p.Msg)
		if m == nil || (a.found != "" && a.found != m[1]) {
			a.ok = false
			continue
		}
		kind := m[3]
		if kind == "struct" {
			kind = "object" // as YAML and JSON call it
		}
		a.found, a.kind, a.types = m[1], kind, append(a.types, m[2])
	}
	var out []SpecProblem
	for _, p := range ps {
		a := at[strings.Join(p.Path, "\x00")]
		switch {
		case !a.ok || len(a.types) < 2:
			out = append(out, p)
		case a.found != "":
			article := "a"
			if strings.ContainsAny(a.kind[:1], "aeiou") {
				article = "an"
			}
			sp := SpecProblem{Path: p.Path, Msg: fmt.Sprintf("expected %s or %s, found %s (%s %s)", strings.Join(a.types[:len(a.types)-1], ", "), a.types[len(a.types)-1], a.found, article, a.kind)}
			if slices.Contains(a.types, "string") && (a.kind == "list" || a.kind == "object") {
				// Argo's AnyString reads a list or an object as an empty string, silently.
				sp.Hint = "Argo reads this value as text and would make a list or an object an empty string: write it as a JSON string, e.g. '[]'"
			}
			out = append(out, sp)
			a.found = "" // said once
		}
	}
	return out
}

// contractDefaults checks each constrained parameter's default against its contract,
// and that the contracts compile.
func (d *decoder) contractDefaults(t *UserTemplate, p []string) {
	for _, c := range t.Contract {
		var def *string
		for _, tp := range t.Params {
			if tp.Name == c.Param {
				def = tp.Default
			}
		}
		value := "" // without a default, only whether the contract compiles matters
		if def != nil {
			value = *def
		}
		switch err := CheckContract(c.Expr, value); {
		case err == nil:
		case strings.HasPrefix(err.Error(), "invalid contract"):
			d.errs = append(d.errs, diag.Diagnostic{Pos: c.Pos, Path: joinPath(append(p, "contract", c.Param)), Msg: err.Error(), Hint: `write a CUE constraint as a string, e.g. "int & >0", "\"dev\" | \"prod\"", "=~\"^https://\""`})
		case def != nil:
			d.errs = append(d.errs, diag.Diagnostic{Pos: c.Pos, Path: joinPath(append(p, "contract", c.Param)), Msg: fmt.Sprintf("the default %q of parameter %s %s", *def, c.Param, err), Hint: "change the default in spec.arguments.parameters or the contract"})
		}
	}
}

// CheckContract reports whether value satisfies the CUE constraint expr. A value that
// reads as a number or boolean is tried as one first (Argo parameters are text):
// "3" satisfies int & >0. An expr that does not compile is an "invalid contract" error.
func CheckContract(expr, value string) error {
	// A contract is the user's CUE, evaluated here in the parent for every value checked
	// against it: only what is cheap to evaluate (see cheap) is accepted.
	if e, err := parser.ParseExpr("contract", expr); err == nil && !cheap(e) {
		return fmt.Errorf("invalid contract %q: comprehensions over more than %d values, or repetition with '*', are not allowed in a contract", expr, maxCheapIterations)
	}
	_, ctx, err := argo.Schema()
	if err != nil {
		return err
	}
	defer argo.Lock()()
	c := ctx.CompileString(expr)
	if err := c.Err(); err != nil {
		format, args := cueerrors.Errors(err)[0].Msg()
		return fmt.Errorf("invalid contract %q: %s", expr, fmt.Sprintf(format, args...))
	}
	var candidates []cue.Value
	var typed any
	if json.Unmarshal([]byte(value), &typed) == nil {
		switch typed.(type) {
		case float64, bool:
			candidates = append(candidates, ctx.CompileString(value))
		}
	}
	candidates = append(candidates, ctx.Encode(value))
	for _, v := range candidates {
		if c.Unify(v).Validate(cue.Concrete(true)) == nil {
			return nil
		}
	}
	return fmt.Errorf("violates the contract %s", expr)
}

// checkPolicy applies the security policy (policy.Spec: pinned images, no template
// expressions in shell source, non-root and unprivileged pods, limits where required) to
// a user template's spec, each violation at the field that breaks it.
func (d *decoder) checkPolicy(spec *Node, p []string, af *Appflow) {
	m, _ := spec.Interface().(map[string]any)
	for _, v := range policy.Spec(m, policy.Options{RequireLimits: af.RequireLimits}) {
		at := spec.nearest(v.Path)
		d.policy = append(d.policy, diag.Diagnostic{Pos: at.Pos, Path: joinPath(append(append([]string(nil), p...), v.Path...)), Msg: v.Msg, Hint: v.Hint})
	}
}
