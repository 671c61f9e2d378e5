package config

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Bounds of what vet --cluster takes from a cluster (which is untrusted like a config):
// what a declaration may hold (MaxExternal*) and the size of one value.
const (
	maxDeclaredValue = 64 << 10 // a parameter default
	maxEnumValue     = 256
)

// SortDeclarations orders declarations read from a cluster: WorkflowTemplates first,
// then ClusterWorkflowTemplates, each by name.
func SortDeclarations(decls []*ExternalTemplate) {
	sort.Slice(decls, func(i, j int) bool {
		if decls[i].ClusterScope != decls[j].ClusterScope {
			return !decls[i].ClusterScope
		}
		return decls[i].Name < decls[j].Name
	})
}

// DeclarationOf is the declaration of a WorkflowTemplate (or, with cluster, a
// ClusterWorkflowTemplate) read from a cluster, and what of it was left out and why
// (d is nil when the object itself is unusable). The entrypoint's inputs take their
// defaults from spec.arguments, as Argo's do.
func DeclarationOf(u *unstructured.Unstructured, cluster bool) (d *ExternalTemplate, skipped []string) {
	kind := "WorkflowTemplate"
	if cluster {
		kind = "ClusterWorkflowTemplate"
	}
	name := u.GetName()
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return nil, []string{fmt.Sprintf("a %s with an invalid name", kind)}
	}
	id := kind + "/" + name
	d = &ExternalTemplate{Name: name, ClusterScope: cluster, FromCluster: true}
	d.Entrypoint, _, _ = unstructured.NestedString(u.Object, "spec", "entrypoint")
	if !ArgoName(d.Entrypoint, true) {
		d.Entrypoint = ""
	}
	specDefaults := map[string]*string{}
	args, _, _ := unstructured.NestedSlice(u.Object, "spec", "arguments", "parameters")
	// All of them, not the first MaxExternalNames: a default past the bound would leave
	// its input required, and a reference that leaves it out (as Argo takes) refused.
	for _, a := range args {
		if m, ok := a.(map[string]any); ok {
			if n, _ := m["name"].(string); ArgoName(n, false) {
				specDefaults[n] = scalar(m["value"])
			}
		}
	}
	templates, _, _ := unstructured.NestedSlice(u.Object, "spec", "templates")
	if len(templates) > MaxExternalEntries {
		skipped = append(skipped, fmt.Sprintf("%s: templates after the first %d", id, MaxExternalEntries))
		templates = templates[:MaxExternalEntries]
	}
	seen := map[string]bool{}
	for _, t := range templates {
		tm, _ := t.(map[string]any)
		tn, _ := tm["name"].(string)
		if !ArgoName(tn, true) || seen[tn] {
			skipped = append(skipped, fmt.Sprintf("%s: a template with an invalid or repeated name", id))
			continue
		}
		seen[tn] = true
		// A list cut short would make a check refuse what the template takes (an input
		// past the bound "is not a parameter"): such a template is left out whole, and
		// the reference to it says to declare it.
		if tooLong(tm) {
			skipped = append(skipped, fmt.Sprintf("%s: template %s, whose inputs or outputs number more than %d (declare what the config uses under externalTemplates)", id, tn, MaxExternalNames))
			continue
		}
		e := ExternalEntry{Name: tn}
		for _, p := range bounded(nested(tm, "inputs", "parameters")) {
			pm, _ := p.(map[string]any)
			pn, _ := pm["name"].(string)
			if !ArgoName(pn, false) {
				skipped = append(skipped, fmt.Sprintf("%s: an input parameter of %s with an invalid name", id, tn))
				continue
			}
			tp := TemplateParam{Name: pn, Default: scalar(pm["value"])}
			if tp.Default == nil {
				tp.Default = scalar(pm["default"])
			}
			if tp.Default == nil && tn == d.Entrypoint {
				tp.Default = specDefaults[pn]
			}
			if tp.Default != nil && len(*tp.Default) > maxDeclaredValue {
				empty := "" // still optional; its value is not needed to check references
				tp.Default = &empty
			}
			tp.Enum = enum(pm["enum"])
			e.Parameters = append(e.Parameters, tp)
		}
		e.Artifacts = names(nested(tm, "inputs", "artifacts"), requiredArtifact)
		e.OutputParameters = names(nested(tm, "outputs", "parameters"), nil)
		e.OutputArtifacts = names(nested(tm, "outputs", "artifacts"), nil)
		d.Templates = append(d.Templates, e)
	}
	if !seen[d.Entrypoint] {
		d.Entrypoint = ""
	}
	sort.Slice(d.Templates, func(i, j int) bool { return d.Templates[i].Name < d.Templates[j].Name })
	return d, skipped
}

// requiredArtifact: an input artifact a caller must pass (not optional, no source of
// its own); a declared artifact is a required one.
func requiredArtifact(m map[string]any) bool {
	if m["optional"] == true {
		return false
	}
	for _, src := range []string{"from", "fromExpression", "raw", "s3", "git", "http", "artifactory", "hdfs", "oss", "gcs", "azure", "plugin"} {
		if m[src] != nil {
			return false
		}
	}
	return true
}

func nested(m map[string]any, path ...string) []any {
	l, _, _ := unstructured.NestedSlice(m, path...)
	return l
}

// tooLong reports whether a template's inputs or outputs are beyond MaxExternalNames.
func tooLong(tm map[string]any) bool {
	for _, p := range [][2]string{{"inputs", "parameters"}, {"inputs", "artifacts"}, {"outputs", "parameters"}, {"outputs", "artifacts"}} {
		if len(nested(tm, p[0], p[1])) > MaxExternalNames {
			return true
		}
	}
	return false
}

func bounded(l []any) []any {
	return l[:min(len(l), MaxExternalNames)]
}

// names are the valid names of a list of parameters or artifacts that keep says to.
func names(l []any, keep func(map[string]any) bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range bounded(l) {
		m, _ := it.(map[string]any)
		n, _ := m["name"].(string)
		if ArgoName(n, false) && !seen[n] && (keep == nil || keep(m)) {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// scalar is a parameter value as text (Argo's AnyString accepts numbers and booleans).
func scalar(v any) *string {
	switch x := v.(type) {
	case string:
		return &x
	case int64, float64, bool:
		s := fmt.Sprint(x)
		return &s
	}
	return nil
}

// enum is a parameter's allowed values; none (no check) when any is unusable: too many,
// too long, or holding characters that would reach a terminal in a message.
func enum(v any) []string {
	l, _ := v.([]any)
	if len(l) == 0 || len(l) > MaxExternalNames {
		return nil
	}
	var out []string
	for _, x := range l {
		s := scalar(x)
		if s == nil || len(*s) > maxEnumValue || strings.IndexFunc(*s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return nil
		}
		out = append(out, *s)
	}
	return out
}
