package config

import (
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
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
	var root *Node
	for _, f := range files {
		fn, ok := dataFile(f)
		if !ok {
			return nil, false
		}
		if root == nil {
			root = fn
		} else if !unifyData(root, fn) {
			return nil, false
		}
	}
	return root, root != nil
}

func dataFile(f *ast.File) (*Node, bool) {
	n := &Node{Kind: Map, Pos: cuePos(f.Pos())}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.CommentGroup:
		case *ast.Field:
			if !dataField(n, d) {
				return nil, false
			}
		default: // imports, embeddings, lets, attributes, comprehensions
			return nil, false
		}
	}
	return n, true
}

// dataField adds a plain-data field to the struct n (unifying a repeated key).
func dataField(n *Node, f *ast.Field) bool {
	if f.Constraint != token.ILLEGAL || len(f.Attrs) > 0 {
		return false
	}
	var key string
	switch l := f.Label.(type) {
	case *ast.Ident:
		if l.Name == "" || l.Name[0] == '#' || l.Name[0] == '_' {
			return false
		}
		key = l.Name
	case *ast.BasicLit:
		if l.Kind != token.STRING {
			return false
		}
		s, err := literal.Unquote(l.Value)
		if err != nil {
			return false
		}
		key = s
	default:
		return false
	}
	v, ok := dataValue(f.Value)
	if !ok {
		return false
	}
	// Evaluated CUE places a field's value at the field: so do we, for the same messages.
	v.Pos = cuePos(f.Label.Pos())
	if existing := n.field(key); existing != nil {
		if !unifyData(existing.Value, v) {
			return false
		}
		if v.Kind == Map { // as in unifyData: a struct written twice sits at the later brace
			existing.KeyPos, existing.Value.Pos, existing.Value.brace = v.brace, v.brace, v.brace
		}
		return true
	}
	n.Fields = append(n.Fields, &Field{Key: key, KeyPos: v.Pos, Value: v})
	return true
}

func dataValue(e ast.Expr) (*Node, bool) {
	switch e := e.(type) {
	case *ast.StructLit:
		n := &Node{Kind: Map, Pos: cuePos(e.Lbrace), brace: cuePos(e.Lbrace)}
		for _, d := range e.Elts {
			switch d := d.(type) {
			case *ast.Field:
				if !dataField(n, d) {
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
		n := &Node{Kind: List, Pos: cuePos(e.Lbrack)}
		for _, it := range e.Elts {
			v, ok := dataValue(it)
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
			if err != nil {
				return nil, false
			}
			return &Node{Kind: Float, Pos: pos, Float: f}, true
		}
	}
	return nil, false // references, operators, interpolations, defaults, disjunctions...
}

// unifyData unifies b into a as CUE unifies data: structs field by field, lists of equal
// length element by element; a scalar meeting anything declines.
func unifyData(a, b *Node) bool {
	switch {
	case a.Kind == Map && b.Kind == Map:
		for _, bf := range b.Fields {
			if af := a.field(bf.Key); af != nil {
				if !unifyData(af.Value, bf.Value) {
					return false
				}
				if bf.Value.Kind == Map { // evaluation places a struct written twice at the later brace
					af.KeyPos, af.Value.Pos, af.Value.brace = bf.Value.brace, bf.Value.brace, bf.Value.brace
				}
				continue
			}
			a.Fields = append(a.Fields, bf)
			if a.index != nil {
				a.index[bf.Key] = bf
			}
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
		}
		return true
	}
	// A scalar set twice (even to the same value): evaluation places it at one of the
	// two, by rules of its own; let it answer.
	return false
}
