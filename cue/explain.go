package schema

import (
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
)

// Explain documents a definition ("#Application") or a config path
// ("applications.source", "appflow.images"): its doc comment, its constraint, and the
// fields it holds, each with the first line of its own documentation. Entries of a
// section are reached with any name ("applications.web.source" = "applications.source").
func Explain(path string) (string, error) {
	root, _, err := Value()
	if err != nil {
		return "", err
	}
	defer Lock()()
	v, shown, err := lookup(root, path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", shown, constraint(v))
	if doc := docOf(v); doc != "" {
		for _, l := range strings.Split(doc, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	type row struct{ name, kind, doc string }
	var rows []row
	if v.IncompleteKind() == cue.StructKind {
		it, err := v.Fields(cue.Optional(true))
		if err == nil {
			for it.Next() {
				sel := it.Selector()
				if sel.IsDefinition() || strings.HasPrefix(sel.String(), "_") {
					continue
				}
				name := sel.Unquoted()
				switch sel.ConstraintType() {
				case cue.OptionalConstraint:
					name += "?"
				case cue.RequiredConstraint:
					name += "!"
				}
				rows = append(rows, row{name, constraint(it.Value()), docOf(it.Value())})
			}
		}
	}
	if len(rows) > 0 {
		b.WriteString("\nFIELDS (! required, ? optional)\n")
		w := 0
		for _, r := range rows {
			w = max(w, len(r.name))
		}
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-*s  %s\n", w, r.name, r.kind)
			for _, l := range strings.Split(r.doc, "\n") {
				if l != "" {
					fmt.Fprintf(&b, "  %-*s    %s\n", w, "", l)
				}
			}
		}
	}
	return b.String(), nil
}

// lookup resolves a definition or a path below #Config; it returns the value and how the
// path is shown.
func lookup(root cue.Value, path string) (cue.Value, string, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		path = "#Config"
	}
	if strings.HasPrefix(path, "#") {
		v := root.LookupPath(cue.ParsePath(path))
		if !v.Exists() {
			return v, "", fmt.Errorf("explain: no definition %s (try: %s)", path, strings.Join(definitions(root), ", "))
		}
		return v, path, nil
	}
	v := root.LookupPath(cue.ParsePath("#Config"))
	var shown []string
	parts := strings.Split(path, ".")
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		next := v.LookupPath(cue.MakePath(cue.Str(p).Optional()))
		if !next.Exists() {
			next = v.LookupPath(cue.MakePath(cue.Str(p)))
		}
		if !next.Exists() {
			return v, "", fmt.Errorf("explain: %s has no field %q (fields: %s)", orConfig(shown), p, strings.Join(fieldNames(v), ", "))
		}
		v = next
		shown = append(shown, p)
		// A section of named entries: step into the entry ("applications.<name>"). The
		// next part may name an entry (skipped) or a field of the entry.
		if entry := v.LookupPath(cue.MakePath(cue.AnyString)); entry.Exists() && i+1 < len(parts) {
			v = entry
			if f := entry.LookupPath(cue.MakePath(cue.Str(parts[i+1]).Optional())); !f.Exists() {
				if f := entry.LookupPath(cue.MakePath(cue.Str(parts[i+1]))); !f.Exists() {
					i++ // an entry name
				}
			}
			shown = append(shown, "<name>")
		}
		if elem := v.LookupPath(cue.MakePath(cue.AnyIndex)); elem.Exists() && i+1 < len(parts) {
			v = elem
			shown = append(shown, "[]")
		}
	}
	return v, strings.Join(shown, "."), nil
}

func orConfig(shown []string) string {
	if len(shown) == 0 {
		return "the config"
	}
	return strings.Join(shown, ".")
}

func fieldNames(v cue.Value) []string {
	var out []string
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	for it.Next() {
		if s := it.Selector(); !s.IsDefinition() && !strings.HasPrefix(s.String(), "_") {
			out = append(out, s.Unquoted())
		}
	}
	return out
}

func definitions(root cue.Value) []string {
	var out []string
	it, err := root.Fields(cue.Definitions(true))
	if err != nil {
		return nil
	}
	for it.Next() {
		if it.Selector().IsDefinition() {
			out = append(out, it.Selector().String())
		}
	}
	sort.Strings(out)
	return out
}

// constraint is the schema's source for v, on one line (structs as "{...}").
func constraint(v cue.Value) string {
	if k := v.IncompleteKind(); k == cue.StructKind || k == cue.ListKind {
		// A reference to a definition names it; an inline struct or list does not.
		src := v.Source()
		if f, ok := src.(*ast.Field); ok {
			src = f.Value
		}
		if id, ok := src.(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
			return id.Name
		}
		if k == cue.StructKind {
			return "struct"
		}
		return "list"
	}
	src := v.Source()
	if f, ok := src.(*ast.Field); ok {
		src = f.Value
	}
	if src == nil {
		return v.IncompleteKind().String()
	}
	b, err := format.Node(src)
	if err != nil {
		return v.IncompleteKind().String()
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func docOf(v cue.Value) string {
	var lines []string
	for _, cg := range v.Doc() {
		lines = append(lines, strings.TrimSpace(cg.Text()))
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Names lists what Explain knows by name: the definitions and the config's top-level
// fields (for shell completion).
func Names() []string {
	root, _, err := Value()
	if err != nil {
		return nil
	}
	defer Lock()()
	return append(definitions(root), fieldNames(root.LookupPath(cue.ParsePath("#Config")))...)
}

// Completions are the paths Explain takes that complete prefix (for shell completion):
// the definitions and top-level fields, or, after a dot, the fields below the path
// before it (entries of a section and list elements stepped into, as Explain does).
func Completions(prefix string) []string {
	parent, _, dotted := cutLast(prefix, ".")
	if !dotted {
		var out []string
		for _, n := range Names() {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n)
			}
		}
		return out
	}
	root, _, err := Value()
	if err != nil {
		return nil
	}
	defer Lock()()
	v, _, err := lookup(root, parent)
	if err != nil || strings.HasPrefix(parent, "#") {
		return nil
	}
	if entry := v.LookupPath(cue.MakePath(cue.AnyString)); entry.Exists() {
		v = entry
	}
	if elem := v.LookupPath(cue.MakePath(cue.AnyIndex)); elem.Exists() {
		v = elem
	}
	var out []string
	for _, f := range fieldNames(v) {
		if p := parent + "." + f; strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
