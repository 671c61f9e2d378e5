package config

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
)

// evalCUE evaluates all .cue files of a config as one CUE package (files share one scope,
// as the cue tool does), then converts the concrete result to a positioned tree.
// Files unchanged since an earlier run come from memo (may be nil) when they were read
// as data then.
func evalCUE(ctx context.Context, files []File, memo *fileMemo, lim Limits) (*Node, diag.List) {
	asts := make([]*ast.File, len(files))
	perrs := make([]error, len(files))
	nodes := make([]*Node, len(files))
	pkgs := make([]string, len(files))
	labels := make([][]string, len(files))
	onEveryCore(len(files), func(i int) {
		if rec, ok := memo.get("cue", files[i]); ok {
			if pkg, ls, n, err := readCUERecord(rec, files[i].Display); err == nil {
				pkgs[i], labels[i], nodes[i] = pkg, ls, n
				return
			}
		}
		asts[i], perrs[i] = parser.ParseFile(files[i].Display, files[i].Data, parser.ParseComments)
		if perrs[i] == nil {
			pkgs[i] = asts[i].PackageName()
		}
	})
	if errs := packageErrs(files, pkgs, perrs); len(errs) > 0 {
		return nil, errs
	}
	if n, ok := readDataCUE(files, asts, nodes, labels, memo); ok {
		return n, nil
	}
	// Evaluation runs the user's program: in an evaluator process, bounded (evalproc.go).
	req := evalRequest{Kind: "cue"}
	var names []string
	for _, f := range files {
		req.Files = append(req.Files, evalFile{Display: f.Display, Path: f.Path, Data: f.Data})
		names = append(names, f.Display)
	}
	what := "CUE"
	res, ds := evaluate(ctx, req, lim, diag.Pos{File: files[0].Display}, what, nil)
	if len(ds) > 0 {
		if len(files) > 1 {
			ds[0].Msg += " (the package of " + packageFiles(names) + ")"
		}
		return nil, ds
	}
	if len(res.Diags) > 0 {
		return nil, res.Diags
	}
	r := &recordReader{b: res.Tree}
	n := r.node(0)
	if r.err != nil || len(r.b) != 0 {
		return nil, diag.List{{Pos: diag.Pos{File: files[0].Display}, Msg: "the CUE evaluator's answer is malformed", Hint: "please report this"}}
	}
	return n, nil
}

// parseCUE parses the files of one package, checking that they declare the same one.
func parseCUE(files []File) ([]*ast.File, diag.List) {
	// Parsing is per file: on every core.
	parsed := make([]*ast.File, len(files))
	perrs := make([]error, len(files))
	pkgs := make([]string, len(files))
	onEveryCore(len(files), func(i int) {
		parsed[i], perrs[i] = parser.ParseFile(files[i].Display, files[i].Data, parser.ParseComments)
		if perrs[i] == nil {
			pkgs[i] = parsed[i].PackageName()
		}
	})
	return parsed, packageErrs(files, pkgs, perrs)
}

// packageErrs reports syntax errors and files whose package differs from the first's.
func packageErrs(files []File, pkgs []string, perrs []error) diag.List {
	var errs diag.List
	pkg := ""
	pkgFile := ""
	for i, f := range files {
		if perrs[i] != nil {
			errs = append(errs, fromCUEErr(perrs[i], "fix the CUE syntax")...)
			continue
		}
		name := pkgs[i]
		if pkgFile == "" {
			pkg, pkgFile = name, f.Display
		} else if name != pkg {
			errs = append(errs, diag.Diagnostic{Pos: diag.Pos{File: f.Display, Line: 1, Col: 1},
				Msg:  fmt.Sprintf("package %q differs from package %q of %s", name, pkg, pkgFile),
				Hint: "all .cue files of one config must declare the same package (or none)"})
		}
	}
	return errs
}

// packageFiles names the files of a package in a message: all of them up to four, else
// the first three and how many more (a config of 2,000 files made a 100 KB message).
func packageFiles(names []string) string {
	if len(names) <= 4 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d other files", strings.Join(names[:3], ", "), len(names)-3)
}

// evalCUEPackage evaluates parsed files as one package.
func evalCUEPackage(asts []*ast.File) (*Node, diag.List) {
	var errs diag.List
	// The one import besides CUE's standard library: appflowc's own schema (what
	// appflowc init vendors into cue.mod/pkg for the cue tool and editors).
	inst := build.NewContext().NewInstance("", func(pos token.Pos, path string) *build.Instance {
		if isStdlib(path) {
			return nil // the runtime resolves CUE's builtin packages itself
		}
		if path == schema.ImportPath || path == strings.TrimSuffix(schema.ImportPath, ":schema") {
			if si, err := schema.Instance(); err == nil {
				return si
			}
		}
		bad := build.NewContext().NewInstance(path, nil)
		bad.Err = cueerrors.Newf(pos, "import %q: configs may import CUE's standard library and %q only", path, schema.ImportPath)
		return bad
	})
	for _, af := range asts {
		if err := inst.AddSyntax(af); err != nil {
			return nil, placeUnpositioned(fromCUEErr(err, ""), asts)
		}
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return nil, placeUnpositioned(fromCUEErr(err, ""), asts)
	}
	// Final: a field the schema defaults (project: *"default" | ...) takes its default.
	if err := v.Validate(cue.Concrete(true), cue.Final()); err != nil {
		return nil, placeUnpositioned(fromCUEErr(err, ""), asts)
	}
	n := fromCUE(v, nil, &errs)
	placeEntries(n, asts)
	return n, errs
}

// placeEntries puts an entry (a field of a top-level section) that CUE places inside a
// pattern constraint (applications: [string]: {...}, perhaps in another file) at the
// first label that declares it by name. CUE gives a value the position of its first
// conjunct, which for such an entry is the pattern's: the entry, its diagnostics and
// its rendered files would name the wrong file and line.
func placeEntries(root *Node, asts []*ast.File) {
	if root == nil || root.Kind != Map {
		return
	}
	type span struct{ from, to token.Pos }
	decl := map[[2]string]diag.Pos{} // section, entry → first declaring label, in file order
	patterns := map[string][]span{}  // section → its pattern constraints
	for _, af := range asts {
		for _, d := range af.Decls {
			f, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			section, _, err := ast.LabelName(f.Label)
			st, isStruct := f.Value.(*ast.StructLit)
			if err != nil || !isStruct {
				continue
			}
			for _, e := range st.Elts {
				ef, ok := e.(*ast.Field)
				if !ok {
					continue
				}
				if _, isPattern := ef.Label.(*ast.ListLit); isPattern {
					patterns[section] = append(patterns[section], span{ef.Pos(), ef.End()})
					continue
				}
				name, _, err := ast.LabelName(ef.Label)
				if k := [2]string{section, name}; err == nil && !decl[k].IsValid() {
					decl[k] = cuePos(ef.Label.Pos())
				}
			}
		}
	}
	within := func(p diag.Pos, s span) bool {
		from, to := cuePos(s.from), cuePos(s.to)
		after := p.Line > from.Line || p.Line == from.Line && p.Col >= from.Col
		before := p.Line < to.Line || p.Line == to.Line && p.Col <= to.Col
		return p.File == from.File && after && before
	}
	for _, sec := range root.Fields {
		if sec.Value == nil || sec.Value.Kind != Map || len(patterns[sec.Key]) == 0 {
			continue
		}
		for _, e := range sec.Value.Fields {
			p, ok := decl[[2]string{sec.Key, e.Key}]
			if !ok {
				continue
			}
			for _, s := range patterns[sec.Key] {
				if within(e.KeyPos, s) {
					e.KeyPos = p
					break
				}
			}
		}
	}
}

// placeUnpositioned gives an error CUE reports without a position (a structural cycle
// in a hidden field: "-: _a.b: structural cycle") the position where its path is
// declared, as deep as the files spell it out; failing that, the first file.
func placeUnpositioned(ds diag.List, asts []*ast.File) diag.List {
	for i := range ds {
		if ds[i].Pos.IsValid() || len(asts) == 0 {
			continue
		}
		ds[i].Pos = diag.Pos{File: asts[0].Filename, Line: 1, Col: 1}
		path := strings.Split(ds[i].Path, ".")
		for _, f := range asts {
			if p := declPos(f.Decls, path); p.IsValid() {
				ds[i].Pos = cuePos(p)
				break
			}
		}
	}
	return ds
}

// declPos is where the deepest prefix of path is declared among decls.
func declPos(decls []ast.Decl, path []string) token.Pos {
	if len(path) == 0 {
		return token.NoPos
	}
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if name, _, err := ast.LabelName(f.Label); err != nil || name != path[0] {
			continue
		}
		if st, ok := f.Value.(*ast.StructLit); ok {
			if p := declPos(st.Elts, path[1:]); p.IsValid() {
				return p
			}
		}
		return f.Label.Pos()
	}
	return token.NoPos
}

// isStdlib reports whether an import path names a package of CUE's standard library
// (its first element has no dot: "list", "strings", "encoding/json").
func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func cuePos(p token.Pos) diag.Pos {
	if !p.IsValid() {
		return diag.Pos{}
	}
	return diag.Pos{File: p.Filename(), Line: p.Line(), Col: p.Column()}
}

// fromCUEErr converts CUE errors, keeping every position CUE gives (the first is the
// primary; others, like the second side of a conflict, become Related).
func fromCUEErr(err error, hint string) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		var ps []diag.Pos
		if p := cuePos(e.Position()); p.IsValid() {
			ps = append(ps, p)
		}
		for _, ip := range e.InputPositions() {
			if p := cuePos(ip); p.IsValid() {
				ps = append(ps, p)
			}
		}
		// A schema the config imports is not where the user can fix things: lead with
		// the user's own position when there is one.
		for i, p := range ps {
			if i > 0 && !strings.HasPrefix(p.File, schema.EmbeddedPrefix) && strings.HasPrefix(ps[0].File, schema.EmbeddedPrefix) {
				ps[0], ps[i] = ps[i], ps[0]
				break
			}
		}
		format, args := e.Msg()
		d := diag.Diagnostic{Path: joinPath(e.Path()), Msg: fmt.Sprintf(format, args...), Hint: hint}
		if d.Msg == "import failed" {
			d.Hint = "a config may import CUE's standard library and " + schema.ImportPath + " only"
		}
		if d.Hint == "" && strings.HasPrefix(d.Msg, "incomplete value") {
			d.Hint = "give the field a concrete value"
		}
		if len(ps) > 0 {
			d.Pos = ps[0]
			d.Related = ps[1:]
			if len(ps) > 1 && d.Hint == "" {
				d.Hint = "also set at " + ps[1].String()
			}
		}
		out = append(out, d)
	}
	return out
}

// fromCUE converts a concrete CUE value; definitions, hidden and optional fields are
// not data and are skipped.
func fromCUE(v cue.Value, path []string, errs *diag.List) *Node {
	if d, ok := v.Default(); ok {
		v = d
	}
	pos := cuePos(v.Pos())
	switch v.Kind() {
	case cue.StructKind:
		out := &Node{Kind: Map, Pos: pos}
		it, err := v.Fields()
		if err != nil {
			*errs = append(*errs, fromCUEErr(err, "")...)
			return out
		}
		for it.Next() {
			key := it.Selector().Unquoted()
			fv := it.Value()
			out.Fields = append(out.Fields, &Field{Key: key, KeyPos: cuePos(fv.Pos()), Value: fromCUE(fv, append(path, key), errs)})
		}
		return out
	case cue.ListKind:
		out := &Node{Kind: List, Pos: pos}
		it, err := v.List()
		if err != nil {
			*errs = append(*errs, fromCUEErr(err, "")...)
			return out
		}
		for i := 0; it.Next(); i++ {
			out.Items = append(out.Items, fromCUE(it.Value(), append(path, strconv.Itoa(i)), errs))
		}
		return out
	case cue.StringKind:
		s, _ := v.String()
		return &Node{Kind: String, Pos: pos, Str: s}
	case cue.BytesKind:
		b, _ := v.Bytes()
		return &Node{Kind: String, Pos: pos, Str: string(b)}
	case cue.BoolKind:
		b, _ := v.Bool()
		return &Node{Kind: Bool, Pos: pos, Bool: b}
	case cue.IntKind:
		i, err := v.Int64()
		if err != nil {
			*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "integer out of range", Hint: "use a value that fits in 64 bits"})
		}
		return &Node{Kind: Int, Pos: pos, Int: i}
	case cue.FloatKind, cue.NumberKind:
		f, _ := v.Float64()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			*errs = append(*errs, nonFinite(pos, path, fmt.Sprint(v)))
		}
		return &Node{Kind: Float, Pos: pos, Float: f}
	case cue.NullKind:
		return &Node{Kind: Null, Pos: pos}
	}
	*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: fmt.Sprintf("incomplete value %v", v),
		Hint: "give the field a concrete value"})
	return &Node{Kind: Null, Pos: pos}
}
