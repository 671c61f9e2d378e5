package config

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	schema "github.com/appflowc/appflowc/cue"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/par"
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
	par.Each(len(files), func(i int) {
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
	// A file kept in memo was read without the package's pattern constraints (files
	// that met them are not kept): when the package has some, every file is parsed.
	if len(topPatterns(asts)) > 0 {
		par.Each(len(files), func(i int) {
			if asts[i] == nil {
				nodes[i], labels[i] = nil, nil
				asts[i], perrs[i] = parser.ParseFile(files[i].Display, files[i].Data, parser.ParseComments)
			}
		})
	}
	if errs := packageErrs(files, pkgs, perrs); len(errs) > 0 {
		return nil, errs
	}
	if n, ok := readDataCUE(files, asts, nodes, labels, memo, lim.withDefaults().EvalMemory); ok {
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
	par.Each(len(files), func(i int) {
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
//
// A package that imports appflowc's schema (as appflowc init writes it: one
// schema.#Config & {...} per file) is first evaluated against a permissive stand-in of
// the schema (schema.PermissiveInstance): the data is then the user's values with the
// user's positions, the very tree the same values give without the import, and the
// decoder and the real schema (the second line) judge both alike — appflowc's own
// messages, and a type error no longer hides a misspelt field beside it. Evaluated
// against the real schema, a mistake came back as CUE's raw errors, some positioned in
// the schema's files, and a valid config's entries were placed in the schema's pattern
// constraints, which rendered files then named as their source.
//
// The package is evaluated with the real schema too, since only that says what it
// means: the stand-in's tree is kept when the real schema's holds the same data (plus
// the schema's defaults). A package that needs the real schema to evaluate at all (it
// reads a schema default, or relies on a definition's closedness or types to settle a
// value of its own), or that observes it (a != _|_ test of a definition, a value
// marshalled with the schema's defaults: the stand-in's data differs), takes the real
// schema's tree and errors, moved off the schema's files onto the user's declarations
// (placeOffSchema); one the real schema refuses while the stand-in's data passes the
// schema gets the real schema's errors.
func evalCUEPackage(asts []*ast.File) (*Node, diag.List) {
	var standIn diag.List // the stand-in's errors
	if importsSchema(asts) {
		v, ds := buildCUEPackage(asts, schema.PermissiveInstance)
		if len(ds) == 0 {
			var errs diag.List
			n := fromCUE(v, nil, &errs)
			placeEntries(n, asts)
			// The stand-in has no values, and CUE places a value at its field (web:
			// schema.#Application is an empty struct at web): nothing should sit in
			// its file. Should a position slip in, it is moved all the same (a scan
			// of the tree when there is none).
			placeOffSchema(n, asts)
			if len(errs) > 0 {
				return n, errs
			}
			// The stand-in's tree is only good if the real schema means the same: a
			// program that observes the schema (a != _|_ test of a definition, a value
			// marshalled or iterated with the schema's defaults) means something else.
			rv, rds := buildCUEPackage(asts, schema.Instance)
			if len(rds) > 0 {
				// Refused by the real schema. The decoder says why in its words,
				// unless the stand-in's data passes the schema: then the program only
				// fails with the real schema, and its verdict is the one to give.
				if len(CheckSchema(&Tree{Root: n})) == 0 {
					return nil, rds
				}
				return n, errs
			}
			var rerrs diag.List
			rn := fromCUE(rv, nil, &rerrs)
			if len(rerrs) > 0 || sameData(n, rn) {
				return n, errs
			}
			placeEntries(rn, asts)
			placeOffSchema(rn, asts)
			return rn, nil
		}
		standIn = ds
	}
	v, ds := buildCUEPackage(asts, schema.Instance)
	if len(ds) > 0 {
		// Wrong both ways: what both evaluations say is wrong with the user's own CUE
		// (a value set twice, differently), as the examples' style reports it; the real
		// schema's other verdicts (a type it refuses) are the decoder's to give, in
		// its words, once that is fixed. With nothing in common (the stand-in failed
		// only for want of the schema: a default read), the real schema's verdict.
		if common := commonDiags(standIn, ds); len(common) > 0 {
			return nil, common
		}
		return nil, ds
	}
	var errs diag.List
	n := fromCUE(v, nil, &errs)
	placeEntries(n, asts)
	placeOffSchema(n, asts)
	return n, placeUnpositioned(errs, asts)
}

// sameData reports whether the real schema's tree (real, before placeOffSchema) holds
// the stand-in's data unchanged: every value of the stand-in's tree is in it, and what it
// has besides is the schema's own (a default, positioned in the schema's files).
func sameData(standIn, real *Node) bool {
	if standIn.Kind != real.Kind {
		return false
	}
	switch standIn.Kind {
	case Map:
		have := map[string]*Node{}
		for _, f := range standIn.Fields {
			have[f.Key] = f.Value
		}
		for _, f := range real.Fields {
			sv, ok := have[f.Key]
			if !ok {
				if !inSchema(f.KeyPos) {
					return false // a field of the user's, made only with the schema
				}
				continue
			}
			delete(have, f.Key)
			if !sameData(sv, f.Value) {
				return false
			}
		}
		return len(have) == 0
	case List:
		if len(standIn.Items) != len(real.Items) {
			return false
		}
		for i := range standIn.Items {
			if !sameData(standIn.Items[i], real.Items[i]) {
				return false
			}
		}
		return true
	}
	return standIn.Interface() == real.Interface()
}

// commonDiags returns the diagnostics of a that b has too, word for word.
func commonDiags(a, b diag.List) diag.List {
	inB := map[string]bool{}
	for _, d := range b {
		inB[d.String()] = true
	}
	var out diag.List
	for _, d := range a {
		if inB[d.String()] {
			out = append(out, d)
		}
	}
	return out
}

// importsSchema reports whether any of the files imports appflowc's schema.
func importsSchema(asts []*ast.File) bool {
	for _, af := range asts {
		for spec := range af.ImportSpecs() {
			if path, err := literal.Unquote(spec.Path.Value); err == nil && isSchemaImport(path) {
				return true
			}
		}
	}
	return false
}

// isSchemaImport reports whether an import path names appflowc's schema.
func isSchemaImport(path string) bool {
	return path == schema.ImportPath || path == strings.TrimSuffix(schema.ImportPath, ":schema")
}

// buildCUEPackage evaluates the files as one package, resolving the import of appflowc's
// schema with the instance schemaInst builds, and checks that the result is concrete.
func buildCUEPackage(asts []*ast.File, schemaInst func() (*build.Instance, error)) (cue.Value, diag.List) {
	// The one import besides CUE's standard library: appflowc's own schema (what
	// appflowc init vendors into cue.mod/pkg for the cue tool and editors).
	inst := build.NewContext().NewInstance("", func(pos token.Pos, path string) *build.Instance {
		if isStdlib(path) {
			return nil // the runtime resolves CUE's builtin packages itself
		}
		if isSchemaImport(path) {
			if si, err := schemaInst(); err == nil {
				return si
			}
		}
		bad := build.NewContext().NewInstance(path, nil)
		bad.Err = cueerrors.Newf(pos, "import %q: configs may import CUE's standard library and %q only", path, schema.ImportPath)
		return bad
	})
	for _, af := range asts {
		if err := inst.AddSyntax(af); err != nil {
			return cue.Value{}, placeUnpositioned(fromCUEErr(err, ""), asts)
		}
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, placeUnpositioned(fromCUEErr(err, ""), asts)
	}
	// Final: a field the schema defaults (project: *"default" | ...) takes its default.
	if err := v.Validate(cue.Concrete(true), cue.Final()); err != nil {
		return cue.Value{}, placeUnpositioned(fromCUEErr(err, ""), asts)
	}
	return v, nil
}

// placeOffSchema moves every position of a tree evaluated against the real schema that
// lies in the schema's files (an entry placed at the schema's pattern constraint, a
// struct at the schema's declaration of it, a default the schema filled in) to where
// the user's files declare that path, or failing that to its parent's position: a
// default sits where the struct it completes is written. Diagnostics and rendered
// files (their header and appflowc.dev/source annotation) must name the user's file.
func placeOffSchema(root *Node, asts []*ast.File) {
	if root == nil || !anyInSchema(root) {
		return // nothing to move: no need to index the user's declarations
	}
	if inSchema(root.Pos) {
		root.Pos = diag.Pos{File: asts[0].Filename, Line: 1, Col: 1}
	}
	var lists [][]ast.Decl
	for _, af := range asts {
		lists = append(lists, af.Decls)
	}
	offSchema(root, lists)
}

// offSchema is placeOffSchema below n, whose declarations in the user's files are
// decls (the element lists of the struct literals that declare n).
func offSchema(n *Node, decls [][]ast.Decl) {
	switch n.Kind {
	case List:
		for _, it := range n.Items {
			if inSchema(it.Pos) {
				it.Pos = n.Pos
			}
			// Items are not declared by label: what is under one is placed by its parent.
			offSchema(it, nil)
		}
	case Map:
		// The fields declaring each key, across every declaration of n, by label: one
		// pass over the declarations per struct, not one per key (thousands of entries).
		byKey := map[string][]*ast.Field{}
		for _, elts := range decls {
			eachField(elts, func(f *ast.Field) {
				if name, _, err := ast.LabelName(f.Label); err == nil {
					byKey[name] = append(byKey[name], f)
				}
			})
		}
		for _, f := range n.Fields {
			var sub [][]ast.Decl
			declared := token.NoPos
			for _, af := range byKey[f.Key] {
				if !declared.IsValid() {
					declared = af.Label.Pos()
				}
				sub = append(sub, structElts(af.Value)...)
			}
			if inSchema(f.KeyPos) {
				f.KeyPos = n.Pos
				if p := cuePos(declared); p.IsValid() && !inSchema(p) {
					f.KeyPos = p
				}
			}
			if inSchema(f.Value.Pos) {
				f.Value.Pos = f.KeyPos // evaluated CUE places a value at its field, as here
			}
			offSchema(f.Value, sub)
		}
	}
}

// anyInSchema reports whether a position of the tree lies in appflowc's own files.
func anyInSchema(n *Node) bool {
	if inSchema(n.Pos) {
		return true
	}
	for _, f := range n.Fields {
		if inSchema(f.KeyPos) || anyInSchema(f.Value) {
			return true
		}
	}
	for _, it := range n.Items {
		if anyInSchema(it) {
			return true
		}
	}
	return false
}

// inSchema reports whether a position lies in appflowc's own files.
func inSchema(p diag.Pos) bool { return strings.HasPrefix(p.File, schema.EmbeddedPrefix) }

// eachField calls fn for the fields among decls, including those of the struct literals
// embedded there (the schema.#Config & {...} that appflowc init writes).
func eachField(decls []ast.Decl, fn func(*ast.Field)) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Field:
			fn(d)
		case *ast.EmbedDecl:
			for _, elts := range structElts(d.Expr) {
				eachField(elts, fn)
			}
		}
	}
}

// structElts returns the element lists of the struct literals that make up e: e itself,
// or the operands of a unification (schema.#Application & {...}), in parentheses or not.
func structElts(e ast.Expr) [][]ast.Decl {
	switch e := e.(type) {
	case *ast.StructLit:
		return [][]ast.Decl{e.Elts}
	case *ast.ParenExpr:
		return structElts(e.X)
	case *ast.BinaryExpr:
		if e.Op == token.AND {
			return append(structElts(e.X), structElts(e.Y)...)
		}
	}
	return nil
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
		// Top-level fields, and those inside schema.#Config & {...} (appflowc init's form).
		eachField(af.Decls, func(f *ast.Field) {
			section, _, err := ast.LabelName(f.Label)
			if err != nil {
				return
			}
			for _, elts := range structElts(f.Value) {
				eachField(elts, func(ef *ast.Field) {
					if _, isPattern := ef.Label.(*ast.ListLit); isPattern {
						patterns[section] = append(patterns[section], span{ef.Pos(), ef.End()})
						return
					}
					name, _, err := ast.LabelName(ef.Label)
					if k := [2]string{section, name}; err == nil && !decl[k].IsValid() {
						decl[k] = cuePos(ef.Label.Pos())
					}
				})
			}
		})
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

// declPos is where the deepest prefix of path is declared among decls (looking into
// embedded struct literals and unifications with them, as appflowc init writes).
func declPos(decls []ast.Decl, path []string) token.Pos {
	if len(path) == 0 {
		return token.NoPos
	}
	found := token.NoPos
	eachField(decls, func(f *ast.Field) {
		if found.IsValid() {
			return
		}
		if name, _, err := ast.LabelName(f.Label); err != nil || name != path[0] {
			return
		}
		for _, elts := range structElts(f.Value) {
			if p := declPos(elts, path[1:]); p.IsValid() {
				found = p
				return
			}
		}
		found = f.Label.Pos()
	})
	return found
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
		// A schema the config imports is not where the user can fix things: its
		// positions are dropped (an error left with none is placed at the user's
		// declaration of its path: placeUnpositioned).
		ps = slices.DeleteFunc(ps, inSchema)
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
