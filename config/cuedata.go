package config

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/par"
)

// dataCUE reads CUE files that are plain data (struct and list literals of strings,
// numbers, booleans and null: no imports, references, definitions, constraints,
// defaults, comprehensions or interpolation) straight from their syntax, and unifies
// them: for such files that is all CUE's evaluation does (up to the order of fields, which
// nothing downstream depends on), and evaluation is most of the
// time and memory of a large config (a 10,000-entry config: ~1.9 s of CPU and most of
// the peak heap). ok is false when a file is not plain data or when any scalar is set
// twice (a conflict, an int meeting a float, or a repeat): the caller then evaluates
// them, for CUE's own semantics and messages.
func dataCUE(files []*ast.File) (n *Node, ok bool) {
	return readDataCUE(make([]File, len(files)), files, make([]*Node, len(files)), nil, nil, DefaultLimits().EvalMemory)
}

// readDataCUE is dataCUE over files of which some were read in an earlier run (each
// asts[i] is set to nil once read, so that its memory goes): for file
// i, either asts[i] (parsed now) or nodes[i] (its tree from memo, with its labels in
// memoLabels). Files read now and read without consulting the other files are kept in
// memo (may be nil).
// What is evaluated or copied in this process draws on a budget of evalMemory
// (evalcost.go).
func readDataCUE(files []File, asts []*ast.File, nodes []*Node, memoLabels [][]string, memo *fileMemo, evalMemory int64) (*Node, bool) {
	// Files are read on every core (each reader has its own cue.Context: one is not safe
	// for concurrent use), then unified in order.
	labels := &packageLabels{patterns: topPatterns(asts), budget: newEvalBudget(evalMemory)}
	if !labels.chargePatterns(asts) {
		return nil, false
	}
	// The package's labels that are also predeclared names (a reference to such a name
	// means the label, not the builtin), found first: each file's syntax is let go as
	// soon as it is read (the syntax of a large package was most of its reading's peak
	// heap).
	used := make([][]string, len(asts))
	par.Each(len(asts), func(i int) {
		switch {
		case asts[i] != nil:
			used[i] = predeclaredIn(fileLabels(asts[i]))
		case i < len(memoLabels):
			used[i] = predeclaredIn(memoLabels[i])
		}
	})
	labels.set = map[string]bool{}
	for _, u := range used {
		for _, l := range u {
			labels.set[l] = true
		}
	}
	var declined atomic.Bool
	par.Each(len(asts), func(i int) {
		if declined.Load() || asts[i] == nil {
			return
		}
		r := &dataReader{labels: labels}
		fn, ok := r.file(asts[i])
		if !ok {
			declined.Store(true)
			return
		}
		nodes[i] = fn
		if memo != nil && !r.consulted { // before unifying, which adds other files' fields
			memo.put("cue", files[i], cueRecord(files[i].Display, asts[i].PackageName(), fileLabels(asts[i]), fn))
		}
		asts[i] = nil
	})
	if declined.Load() {
		return nil, false
	}
	var root *Node
	for _, fn := range nodes {
		if root == nil {
			root = fn
		} else if !unifyData(root, fn) {
			return nil, false
		}
	}
	return root, root != nil
}

// packageLabels is what a package's readers share: which predeclared names it uses as
// labels, its pattern constraints, and its budget.
type packageLabels struct {
	set map[string]bool // predeclared names the package uses as labels
	// patterns are the package's top-level pattern constraints, by the field they
	// constrain (applications: [string]: {...}): see dataReader.patterned.
	patterns map[string][]*ast.Field
	// budget bounds what the package's readers build in this process.
	budget *evalBudget
}

// has reports whether the package uses name, a predeclared name, as a label.
func (p *packageLabels) has(name string) bool { return p.set[name] }

// predeclaredIn keeps the labels that are predeclared names.
func predeclaredIn(labels []string) []string {
	var out []string
	for _, l := range labels {
		if predeclared[l] {
			out = append(out, l)
		}
	}
	return out
}

// fileLabels lists the identifiers a file uses as labels (fields, aliases, lets).
func fileLabels(f *ast.File) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if id, ok := n.Label.(*ast.Ident); ok {
				add(id.Name)
			}
		case *ast.Alias:
			if n.Ident != nil {
				add(n.Ident.Name)
			}
		case *ast.LetClause:
			if n.Ident != nil {
				add(n.Ident.Name)
			}
		}
		return true
	}, nil)
	return out
}

// dataReader reads the files of one package. Besides plain data it accepts expressions
// that stand on their own (a comprehension over a literal list, say): each is evaluated by
// CUE alone, which gives what evaluating the package gives provided that nothing else in
// the package can reach into it or meet it — see selfContained and unifyData.
type dataReader struct {
	ctx       *cue.Context // made on first use
	labels    *packageLabels
	consulted bool // the reading depended on the labels of the package's other files
	// patternCopies are this reader's copies of the package's pattern constraints.
	patternCopies map[string][]ast.Decl
	// patternData is, by field, its one pattern constraint read as plain data when it
	// applies to every entry and is plain data (see mergeEntry); nil when not.
	patternData map[string]*Node
}

func (r *dataReader) file(f *ast.File) (*Node, bool) {
	n := &Node{Kind: Map, Pos: cuePos(f.Pos())}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.CommentGroup:
		case *ast.Field:
			if key, ok := fieldKey(d); ok && r.labels.patterns[key] != nil {
				if !r.patterned(n, key, d) {
					return nil, false
				}
				continue
			}
			if !r.field(n, d) {
				return nil, false
			}
		default: // imports, embeddings, lets, attributes, comprehensions
			return nil, false
		}
	}
	return n, true
}

// chargePatterns takes from the budget what applying the package's pattern constraints
// to its entries may build (each pattern's estimate times the entries it may meet),
// before anything is built: a pattern of a thousand fields over a thousand entries is
// left to the evaluator at once rather than found too big halfway.
func (p *packageLabels) chargePatterns(asts []*ast.File) bool {
	for key, pats := range p.patterns {
		entries := int64(0)
		for _, f := range asts {
			if f == nil {
				continue
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.Field); ok {
					if k, ok := fieldKey(fd); ok && k == key {
						if st, ok := fd.Value.(*ast.StructLit); ok {
							entries += int64(len(st.Elts))
						}
					}
				}
			}
		}
		for _, pf := range pats {
			vars := map[string]int64{}
			for _, e := range pf.Label.(*ast.ListLit).Elts {
				if a, ok := e.(*ast.Alias); ok && a.Ident != nil {
					vars[a.Ident.Name] = textCost(strings.Repeat(" ", 253)) // a name, at most
				}
			}
			for _, e := range pf.Label.(*ast.ListLit).Elts {
				if a, ok := e.(*ast.Alias); ok {
					e = a.Expr
				}
				if _, ok := estimate(e, nil); !ok {
					return false
				}
			}
			n, ok := estimate(pf.Value, vars)
			if !ok || !p.budget.take(mulCost(n, entries)) {
				return false
			}
		}
	}
	return true
}

// topPatterns finds the top-level fields that hold pattern constraints, the way CUE
// users write defaults for every entry: applications: [string]: {...}.
func topPatterns(files []*ast.File) map[string][]*ast.Field {
	var out map[string][]*ast.Field
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			key, ok := fieldKey(fd)
			st, isStruct := fd.Value.(*ast.StructLit)
			if !ok || !isStruct {
				continue
			}
			for _, e := range st.Elts {
				if pf, ok := e.(*ast.Field); ok {
					if _, isPattern := pf.Label.(*ast.ListLit); isPattern {
						if out == nil {
							out = map[string][]*ast.Field{}
						}
						out[key] = append(out[key], pf)
					}
				}
			}
		}
	}
	return out
}

// fieldKey is a regular field's name: an identifier or a quoted string.
func fieldKey(f *ast.Field) (string, bool) {
	if f.Constraint != token.ILLEGAL || len(f.Attrs) > 0 {
		return "", false
	}
	switch l := f.Label.(type) {
	case *ast.Ident:
		if l.Name == "" || l.Name[0] == '#' || l.Name[0] == '_' {
			return "", false
		}
		return l.Name, true
	case *ast.BasicLit:
		if l.Kind != token.STRING {
			return "", false
		}
		s, err := literal.Unquote(l.Value)
		return s, err == nil
	}
	return "", false
}

// patterned adds the top-level field f (key), which the package's pattern constraints
// apply to, evaluating each of its entries on its own with those constraints: the entry
// is {patterns..., entry} evaluated alone, which is what evaluating the whole package
// gives it, provided that the constraints and the entry refer to nothing outside
// themselves (CUE's compiler resolves every reference inside that struct, or the
// reading declines), that every entry is written once in the package (a second
// writing declines in unifyData, as for any evaluated value), and that every field of
// key is such an entry. Entries are independent: a large config's are evaluated on
// every core, a file each, instead of as one package (10,000 entries: ~0.9 s of
// evaluation on one core). TestDataCUEIsEvaluation holds it to the package's evaluation.
func (r *dataReader) patterned(n *Node, key string, f *ast.Field) bool {
	st, ok := f.Value.(*ast.StructLit)
	if !ok {
		return false
	}
	r.consulted = true // the reading depends on the patterns of every file
	if r.patternCopies == nil {
		r.patternCopies = map[string][]ast.Decl{}
	}
	pats, ok := r.patternCopies[key]
	if !ok {
		for _, pf := range r.labels.patterns[key] {
			if !r.selfContained(pf.Value) || !cheap(pf.Value) || !r.selfContainedLabel(pf) {
				return false
			}
			// The compiler resolves identifiers in the syntax it is given, writing to
			// it: each reader compiles its own copy of the shared constraints.
			pats = append(pats, copyAST(pf).(ast.Decl))
		}
		// The constraints must compile on their own even where no entry meets them
		// (evaluation reports a reference it cannot resolve in any of them).
		if !r.compiles(&ast.StructLit{Elts: slices.Clip(pats)}) {
			return false
		}
		r.patternCopies[key] = pats
	}
	v := &Node{Kind: Map, Pos: cuePos(st.Lbrace), brace: cuePos(st.Lbrace)}
	for _, d := range st.Elts {
		switch d := d.(type) {
		case *ast.CommentGroup:
		case *ast.Field:
			if _, isPattern := d.Label.(*ast.ListLit); isPattern {
				continue // applied to every entry, below
			}
			ek, ok := fieldKey(d)
			if !ok || !r.selfContained(d.Value) || !cheap(d.Value) {
				return false
			}
			ev, ok := r.mergeEntry(key, d)
			if !ok {
				if ev, ok = r.evalEntry(pats, ek, d); !ok {
					return false
				}
			}
			if v.field(ek) != nil {
				return false // written twice: evaluation answers
			}
			v.indexIfLarge()
			v.appendField(&Field{Key: ek, KeyPos: cuePos(d.Label.Pos()), Value: ev})
		default:
			return false
		}
	}
	if !v.Pos.IsValid() && len(st.Elts) > 0 { // as in data: a: b: 1 opens at b
		v.Pos, v.brace = cuePos(st.Elts[0].Pos()), cuePos(st.Elts[0].Pos())
	}
	v.Pos = cuePos(f.Label.Pos())
	return r.addField(n, key, v)
}

// copyAST copies the syntax tree n (its nodes, lists and expressions; positions and
// comments are shared, as nothing writes them) with identifiers unresolved, so that
// compiling the copy resolves them in the copy.
func copyAST(n ast.Node) ast.Node {
	return copyValue(reflect.ValueOf(n)).Interface().(ast.Node)
}

var identType = reflect.TypeFor[ast.Ident]()

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return v
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem()) // every field, unexported ones (comments) shared
		if v.Elem().Type() == identType {
			id := c.Interface().(*ast.Ident)
			id.Node, id.Scope = nil, nil
			return c
		}
		for i := range c.Elem().NumField() {
			f := c.Elem().Field(i)
			if !c.Elem().Type().Field(i).IsExported() || !f.CanSet() {
				continue
			}
			f.Set(copyValue(f))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := copyValue(v.Elem())
		out := reflect.New(v.Type()).Elem()
		out.Set(c)
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i)))
		}
		return c
	}
	return v
}

// selfContainedLabel checks a pattern's label ([string], [N=string], [=~"^p"]) as
// selfContained checks an expression.
func (r *dataReader) selfContainedLabel(pf *ast.Field) bool {
	l := pf.Label.(*ast.ListLit)
	for _, e := range l.Elts {
		if a, ok := e.(*ast.Alias); ok {
			e = a.Expr
		}
		if !r.selfContained(e) {
			return false
		}
	}
	return true
}

// mergeEntry is evalEntry for the common case of plain data (the bench's, and the way
// CUE users write shared fields): a field's one pattern constraint applies to every
// entry ([string] or [_]) and is plain data, and so is the entry. Their unification is
// then the union of their fields, provided that no scalar or list is set by both (the
// reading declines those, as unifyData does, and evalEntry answers): a copy of the
// pattern's tree merged with the entry's, without CUE (~60 µs an entry with it).
func (r *dataReader) mergeEntry(key string, entry *ast.Field) (*Node, bool) {
	if r.patternData == nil {
		r.patternData = map[string]*Node{}
	}
	pd, seen := r.patternData[key]
	if !seen {
		if pats := r.labels.patterns[key]; len(pats) == 1 && appliesToAll(pats[0]) {
			// A pattern's fields are placed as evaluation places them: at their labels.
			if n, ok := r.data(pats[0].Value); ok && n.Kind == Map {
				pd = n
			}
		}
		r.patternData[key] = pd
	}
	if pd == nil {
		return nil, false
	}
	e, ok := r.data(entry.Value)
	if !ok || e.Kind != Map {
		return nil, false
	}
	// The pattern is unified into the entry: where both write a struct, evaluation
	// places it at the pattern's brace, as unifyData places a struct written twice at
	// the later one.
	if !unifyData(e, copyNode(pd)) {
		return nil, false
	}
	e.Pos = pd.brace   // and so it places the entry's own struct
	e.evaluated = true // written once: unifyData declines to meet it again
	return e, true
}

// appliesToAll reports whether a pattern constraint's label is [string] or [_].
func appliesToAll(pf *ast.Field) bool {
	l := pf.Label.(*ast.ListLit)
	if len(l.Elts) != 1 {
		return false
	}
	id, ok := l.Elts[0].(*ast.Ident)
	return ok && (id.Name == "string" || id.Name == "_")
}

// copyNode copies a tree read as data.
func copyNode(n *Node) *Node {
	c := *n
	c.index = nil
	if n.Fields != nil {
		c.Fields = make([]*Field, len(n.Fields))
		for i, f := range n.Fields {
			fc := *f
			fc.Value = copyNode(f.Value)
			c.Fields[i] = &fc
		}
	}
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = copyNode(it)
		}
	}
	return &c
}

// compiles reports whether e compiles and evaluates without error on its own.
func (r *dataReader) compiles(e ast.Expr) bool {
	if r.ctx == nil {
		r.ctx = cuecontext.New()
	}
	return r.ctx.BuildExpr(e).Err() == nil
}

// evalEntry evaluates one entry with the patterns that apply to it.
func (r *dataReader) evalEntry(pats []ast.Decl, key string, entry *ast.Field) (*Node, bool) {
	// The entry and the patterns it meets, estimated together (their disjunctions
	// combine); names are at most 253 bytes (the decoder refuses longer ones anyway).
	if len(key) > 253 {
		return nil, false
	}
	exprs := []ast.Expr{entry.Value}
	vars := map[string]int64{}
	for _, p := range pats {
		pf := p.(*ast.Field)
		for _, e := range pf.Label.(*ast.ListLit).Elts {
			if a, ok := e.(*ast.Alias); ok && a.Ident != nil {
				vars[a.Ident.Name] = textCost(key)
			}
		}
		exprs = append(exprs, pf.Value)
	}
	cost, ok := estimate(&ast.ListLit{Elts: exprs}, vars)
	if !ok {
		return nil, false
	}
	if !r.labels.budget.take(cost) {
		return nil, false // left to the bounded evaluator
	}
	if r.ctx == nil {
		r.ctx = cuecontext.New()
	}
	// Compiling resolves identifiers in the syntax, and a resolution left from the
	// entry before would be taken as given: each entry compiles copies of its own.
	elts := make([]ast.Decl, 0, len(pats)+1)
	for _, p := range pats {
		elts = append(elts, copyAST(p).(ast.Decl))
	}
	st := &ast.StructLit{Elts: append(elts, entry)}
	v := r.ctx.BuildExpr(st)
	if v.Err() != nil {
		return nil, false
	}
	ev := v.LookupPath(cue.MakePath(cue.Str(key)))
	if !ev.Exists() || ev.Validate(cue.Concrete(true), cue.Final()) != nil {
		return nil, false
	}
	var errs diag.List
	n := fromCUE(ev, nil, &errs)
	if len(errs) > 0 || n.Kind != Map {
		// An entry that is not a struct is placed by evaluation at its value, not its
		// label: evaluation answers (the decoder refuses it anyway).
		return nil, false
	}
	n.evaluated = true
	return n, true
}

// field adds a plain-data field to the struct n (unifying a repeated key).
func (r *dataReader) field(n *Node, f *ast.Field) bool {
	key, ok := fieldKey(f)
	if !ok {
		return false
	}
	v, ok := r.value(f.Value)
	if !ok {
		return false
	}
	// Evaluated CUE places a field's value at the field: so do we, for the same messages.
	v.Pos = cuePos(f.Label.Pos())
	return r.addField(n, key, v)
}

// addField adds the value v of key to the struct n, unifying it with what n holds.
func (r *dataReader) addField(n *Node, key string, v *Node) bool {
	if existing := n.field(key); existing != nil {
		if !unifyData(existing.Value, v) {
			return false
		}
		if v.Kind == Map { // as in unifyData: a struct written twice sits at the later brace
			existing.KeyPos, existing.Value.Pos, existing.Value.brace = v.brace, v.brace, v.brace
		}
		return true
	}
	// The lookup above must stay cheap in a struct of many fields (100,000 took 18 s).
	n.indexIfLarge()
	n.appendField(&Field{Key: key, KeyPos: v.Pos, Value: v})
	return true
}

func (r *dataReader) value(e ast.Expr) (*Node, bool) {
	if n, ok := r.data(e); ok {
		return n, true
	}
	return r.eval(e)
}

// data reads e if it is plain data.
func (r *dataReader) data(e ast.Expr) (*Node, bool) {
	switch e := e.(type) {
	case *ast.StructLit:
		n := &Node{Kind: Map, Pos: cuePos(e.Lbrace), brace: cuePos(e.Lbrace)}
		for _, d := range e.Elts {
			switch d := d.(type) {
			case *ast.Field:
				if !r.field(n, d) {
					return nil, false
				}
			case *ast.CommentGroup:
			default:
				return nil, false
			}
		}
		if !n.Pos.IsValid() && len(n.Fields) > 0 { // a: b: 1 has no braces: it opens at b
			n.Pos, n.brace = n.Fields[0].KeyPos, n.Fields[0].KeyPos
		}
		return n, true
	case *ast.ListLit:
		n := &Node{Kind: List, Pos: cuePos(e.Lbrack), brace: cuePos(e.Lbrack)}
		for _, it := range e.Elts {
			v, ok := r.value(it)
			if !ok {
				return nil, false
			}
			n.Items = append(n.Items, v)
		}
		return n, true
	case *ast.BasicLit:
		pos := cuePos(e.ValuePos)
		switch e.Kind {
		case token.STRING:
			s, err := literal.Unquote(e.Value)
			if err != nil {
				return nil, false
			}
			return &Node{Kind: String, Pos: pos, Str: s}, true
		case token.TRUE, token.FALSE:
			return &Node{Kind: Bool, Pos: pos, Bool: e.Kind == token.TRUE}, true
		case token.NULL:
			return &Node{Kind: Null, Pos: pos}, true
		case token.INT, token.FLOAT:
			var ni literal.NumInfo
			if err := literal.ParseNum(e.Value, &ni); err != nil {
				return nil, false
			}
			if ni.IsInt() {
				i, err := strconv.ParseInt(ni.String(), 10, 64)
				if err != nil {
					return nil, false // out of range: evaluation reports it
				}
				return &Node{Kind: Int, Pos: pos, Int: i}, true
			}
			f, err := strconv.ParseFloat(ni.String(), 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, false // out of range: evaluation reports it
			}
			return &Node{Kind: Float, Pos: pos, Float: f}, true
		}
	}
	return nil, false // references, operators, interpolations, defaults, disjunctions...
}

// eval evaluates an expression that is not plain data on its own, when that gives what
// the package's evaluation gives: it refers to nothing outside itself (CUE's compiler
// finds every reference inside it, and none of the predeclared names it uses is a label
// of the package, which would shadow them) and evaluates to concrete data. The result is
// marked, so that unifyData declines to unify it with anything else (a closed struct or a
// default inside it would behave differently there).
func (r *dataReader) eval(e ast.Expr) (*Node, bool) {
	switch e.(type) {
	case *ast.BasicLit, *ast.Ident, *ast.SelectorExpr, *ast.IndexExpr:
		return nil, false // a bad literal or a reference: evaluation answers
	}
	if !r.selfContained(e) || !cheap(e) {
		return nil, false
	}
	if n, ok := estimate(e, nil); !ok || !r.labels.budget.take(n) {
		return nil, false // left to the bounded evaluator
	}
	if r.ctx == nil {
		r.ctx = cuecontext.New()
	}
	v := r.ctx.BuildExpr(e)
	if v.Err() != nil || v.Validate(cue.Concrete(true), cue.Final()) != nil {
		return nil, false
	}
	var errs diag.List
	n := fromCUE(v, nil, &errs)
	if len(errs) > 0 {
		return nil, false
	}
	n.evaluated = true
	return n, true
}

// maxCheapIterations bounds the iterations of the comprehensions cheap accepts.
const maxCheapIterations = 10_000

// cheap reports whether evaluating e alone, here in the parent process, costs little:
// its comprehensions iterate over literal lists or structs whose sizes multiply to at
// most maxCheapIterations, and it repeats nothing with '*' (CUE multiplies strings and
// lists; multiplying number literals is fine). Anything else is evaluated with the rest of the package in the bounded
// evaluator process (evalproc.go) — the same result, at a bounded cost.
func cheap(e ast.Expr) bool {
	ok, iterations := true, 1
	ast.Walk(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			// CUE repeats strings, bytes and lists with '*'; numbers only multiply.
			if n.Op == token.MUL && !(numeric(n.X) && numeric(n.Y)) {
				ok = false
			}
		case *ast.ForClause:
			size := -1
			switch src := n.Source.(type) {
			case *ast.ListLit:
				size = len(src.Elts)
			case *ast.StructLit:
				size = len(src.Elts)
			}
			if size < 0 || iterations*max(size, 1) > maxCheapIterations {
				ok = false
			} else {
				iterations *= max(size, 1)
			}
		}
		return ok
	}, nil)
	return ok
}

// numeric reports whether e is a number literal, or an arithmetic expression of them.
func numeric(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.INT || e.Kind == token.FLOAT
	case *ast.UnaryExpr:
		return numeric(e.X)
	case *ast.ParenExpr:
		return numeric(e.X)
	case *ast.BinaryExpr:
		return (e.Op == token.ADD || e.Op == token.SUB || e.Op == token.MUL || e.Op == token.QUO) && numeric(e.X) && numeric(e.Y)
	}
	return false
}

// predeclared are CUE's predeclared identifiers: in the package, a label of the same name
// would be what they refer to; alone, the builtin.
var predeclared = func() map[string]bool {
	m := map[string]bool{}
	// cuelang.org/go/internal/core/compile/predeclared.go (v0.17): the types, builtins
	// and ranges; each is also reachable as __name, which selfContained refuses anyway.
	for _, n := range []string{"bool", "bytes", "float", "int", "number", "string", "null", "error",
		"len", "close", "and", "or", "div", "mod", "quo", "rem", "matchN", "matchIf", "self",
		"rune", "int8", "int16", "int32", "int64", "int128", "uint", "uint8", "uint16", "uint32", "uint64", "uint128",
		"float32", "float64"} {
		m[n] = true
	}
	return m
}()

// selfContained rejects expressions that use a predeclared name the package also uses as
// a label, or that name an import (imports are not in scope when evaluated alone, so
// the compiler would refuse them anyway; this says why).
func (r *dataReader) selfContained(e ast.Expr) bool {
	ok := true
	ast.Walk(e, func(n ast.Node) bool {
		id, isIdent := n.(*ast.Ident)
		if !ok || !isIdent {
			return ok
		}
		if predeclared[id.Name] {
			r.consulted = true
		}
		if strings.HasPrefix(id.Name, "__") || (predeclared[id.Name] && r.labels.has(id.Name)) {
			ok = false
		}
		return ok
	}, nil)
	return ok
}

// unifyData unifies b into a as CUE unifies data: structs field by field, lists of equal
// length element by element; a scalar meeting anything declines.
func unifyData(a, b *Node) bool {
	switch {
	case a.evaluated || b.evaluated: // see dataReader.eval
		return false
	case a.Kind == Map && b.Kind == Map:
		a.indexIfLarge() // thousands of entries under one key, from many files
		for _, bf := range b.Fields {
			if af := a.field(bf.Key); af != nil {
				if !unifyData(af.Value, bf.Value) {
					return false
				}
				switch bf.Value.Kind {
				case Map: // evaluation places a struct written twice at the later brace
					af.KeyPos, af.Value.Pos, af.Value.brace = bf.Value.brace, bf.Value.brace, bf.Value.brace
				case List: // and a list at the later bracket
					af.KeyPos, af.Value.Pos, af.Value.brace = bf.Value.brace, bf.Value.brace, bf.Value.brace
				}
				continue
			}
			a.appendField(bf)
		}
		return true
	case a.Kind == List && b.Kind == List:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !unifyData(a.Items[i], b.Items[i]) {
				return false
			}
			if b.Items[i].Kind == Map { // a struct written twice sits at the later brace
				a.Items[i].Pos, a.Items[i].brace = b.Items[i].brace, b.Items[i].brace
			}
		}
		return true
	}
	// A scalar set twice (even to the same value): evaluation places it at one of the
	// two, by rules of its own; let it answer.
	return false
}
