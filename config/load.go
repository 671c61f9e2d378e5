package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/confine"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/par"
	yaml "go.yaml.in/yaml/v3"
)

// Input names the files of one config. Paths are fs.FS paths: files, or directories whose
// config files (not subdirectories) are read.
type Input struct {
	FS    fs.FS
	Paths []string
	// DisplayRoot is prefixed to FS paths in messages (e.g. "/" when FS is rooted at "/").
	DisplayRoot string
	// Cache, when set, keeps what reading each file gave across runs, so that a file
	// unchanged since is not read again (fileMemo).
	Cache *diskcache.Cache
	// Limits bound the cost of reading the config (zero: DefaultLimits). FS should be
	// confined to the config root (confine.FS) when the files are untrusted.
	Limits Limits

	// budget counts the bytes read against Limits.MaxTotalSize (set by LoadTree).
	budget *readBudget
}

// limits are in.Limits with defaults filled in.
func (in Input) limits() Limits { return in.Limits.withDefaults() }

// readFile reads one file of the config: a regular file of at most MaxFileSize bytes,
// counted against MaxTotalSize. display names it in errors.
func (in Input) readFile(name, display string) ([]byte, error) {
	l := in.limits()
	data, err := confine.ReadFile(in.FS, name, l.MaxFileSize)
	if errors.Is(err, confine.ErrTooLarge) {
		return nil, &limitError{Pos: diag.Pos{File: display}, Msg: fmt.Sprintf("the file is larger than %s", bytesText(l.MaxFileSize)),
			Hint: "split it into smaller files, or raise the bound with --max-file-size"}
	}
	if err != nil {
		return nil, err
	}
	if !in.budget.take(len(data)) {
		return nil, &limitError{Pos: diag.Pos{File: display}, Msg: fmt.Sprintf("the config's files together are larger than %s", bytesText(l.MaxTotalSize)),
			Hint: "raise the bound with --max-total-size"}
	}
	return data, nil
}

// limitError is an exceeded bound, reported as a diagnostic at the file.
type limitError diag.Diagnostic

func (e *limitError) Error() string { return diag.Diagnostic(*e).String() }

// checkName refuses file names outside a safe set: a config file's name is written into
// rendered output (the header and the appflowc.dev/source annotation) and printed in
// diagnostics, so a name with a newline, a control or bidi character, a quote or a
// parenthesis could forge output structure or terminal text.
func checkName(dir, name string) error {
	ok := name != ""
	for i, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && strings.ContainsRune("._-+@=,", r):
		case i == 0 && r == '_':
		default:
			ok = false
		}
	}
	if ok {
		return nil
	}
	return &limitError{Pos: diag.Pos{File: dir}, Msg: fmt.Sprintf("file name %s has characters appflowc does not accept in config file names", strconv.QuoteToASCII(name)),
		Hint: "rename it with letters, digits and . _ - + @ = , only: names are written into rendered output"}
}

// Location names where this config is, for caches that keep one record set per config:
// the working directory, the display root and the paths.
func (in Input) Location() []byte {
	wd, _ := os.Getwd()
	b := []byte("wd=" + wd + "\x00root=" + in.DisplayRoot + "\x00")
	for _, p := range in.Paths {
		b = append(append(b, p...), 0)
	}
	return b
}

// Extensions of the files that make up a config. *.libsonnet files are only read when imported.
var configExts = map[string]bool{".cue": true, ".yaml": true, ".yml": true, ".json": true, ".jsonnet": true}

// File is one input file that contributed to a config.
type File struct {
	Path    string // FS path
	Display string // path in messages
	// Rel is the path relative to the argument that named it (a directory's file name, or a
	// file argument's base name): what rendered output records, so the bytes do not depend
	// on where or how the command was run.
	Rel  string
	Data []byte
}

// Files expands in.Paths to the sorted list of config files, read into memory.
func (in Input) Files() ([]File, error) {
	if len(in.Paths) == 0 {
		return nil, errors.New("no config path given (pass a directory or files)")
	}
	var names []string
	rel := map[string]string{}
	seen := map[string]bool{}
	var errs diag.List
	nameErr := func(err error) {
		var le *limitError
		if errors.As(err, &le) {
			errs = append(errs, diag.Diagnostic(*le))
		}
	}
	for _, p := range in.Paths {
		p = path.Clean(p)
		st, err := fs.Stat(in.FS, p)
		if err != nil {
			return nil, fmt.Errorf("read config %s: %w", in.DisplayRoot+p, unwrapPathErr(err))
		}
		if !st.IsDir() {
			if !configExts[path.Ext(p)] {
				return nil, fmt.Errorf("read config %s: unsupported file type %q (use .cue, .yaml, .yml, .json or .jsonnet)", in.DisplayRoot+p, path.Ext(p))
			}
			if err := checkName(in.DisplayRoot+path.Dir(p), path.Base(p)); err != nil {
				nameErr(err)
				continue
			}
			if !seen[p] {
				seen[p] = true
				names = append(names, p)
				rel[p] = path.Base(p)
			}
			continue
		}
		ents, err := fs.ReadDir(in.FS, p)
		if err != nil {
			return nil, fmt.Errorf("read config %s: %w", in.DisplayRoot+p, unwrapPathErr(err))
		}
		n := 0
		for _, e := range ents {
			if e.IsDir() || !configExts[path.Ext(e.Name())] || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			n++
			if err := checkName(in.DisplayRoot+p, e.Name()); err != nil {
				nameErr(err)
				continue
			}
			if f := path.Join(p, e.Name()); !seen[f] {
				seen[f] = true
				names = append(names, f)
				rel[f] = e.Name()
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("read config %s: no .cue, .yaml, .yml, .json or .jsonnet files in this directory", in.DisplayRoot+p)
		}
	}
	sort.Strings(names)
	files := make([]File, 0, len(names))
	for _, n := range names {
		data, err := in.readFile(n, in.DisplayRoot+n)
		var le *limitError
		switch {
		case errors.As(err, &le):
			errs = append(errs, diag.Diagnostic(*le))
			continue
		case errors.Is(err, confine.ErrOutside):
			errs = append(errs, diag.Diagnostic{Pos: diag.Pos{File: in.DisplayRoot + n}, Msg: "the file is a symbolic link that leads outside the config root",
				Hint: "config files are read from inside the config root only: replace the link with the file, or pass --root DIR to read under a wider directory"})
			continue
		case errors.Is(err, confine.ErrNotRegular):
			errs = append(errs, diag.Diagnostic{Pos: diag.Pos{File: in.DisplayRoot + n}, Msg: fmt.Sprintf("%v", unwrapPathErr(err)),
				Hint: "config files must be regular files"})
			continue
		case err != nil:
			return nil, fmt.Errorf("read config %s: %w", in.DisplayRoot+n, unwrapPathErr(err))
		}
		files = append(files, File{Path: n, Display: in.DisplayRoot + n, Rel: rel[n], Data: data})
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	return files, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Tree is the unified, positioned config tree of all input files.
type Tree struct {
	Root  *Node
	Files []File
	// FS is the config's file system (confined to its root when read from disk), for what
	// rendering reads besides the config files: --expand's Git checkouts.
	FS fs.FS
}

// Sub is the directory rel (a slash path relative to the directory of the config file
// displayed as file) as a file system inside the config's FS: a path that leaves the
// config root is an error.
func (t *Tree) Sub(file, rel string) (fs.FS, error) {
	for _, f := range t.Files {
		if f.Display != file {
			continue
		}
		p := path.Clean(path.Join(path.Dir(f.Path), rel))
		if !fs.ValidPath(p) || t.FS == nil {
			return nil, fmt.Errorf("%s: outside the config root", rel)
		}
		return fs.Sub(t.FS, p)
	}
	return nil, fmt.Errorf("%s: no config file %s", rel, file)
}

// LoadTree reads every file of in and unifies them into one tree. Problems in the
// user's files come back as a diag.List error; other failures (I/O) as plain errors.
func LoadTree(ctx context.Context, in Input) (*Tree, error) {
	in.budget = &readBudget{limit: in.limits().MaxTotalSize}
	files, err := in.Files()
	if err != nil {
		return nil, err
	}
	var errs diag.List
	var cueFiles []File
	// Files parse independently: do it on every core, keeping file order in the result.
	parsed := make([][]*Node, len(files))
	perr := make([]diag.List, len(files))
	cueIndex := map[int]bool{}
	for i, f := range files {
		if path.Ext(f.Path) == ".cue" {
			cueIndex[i] = true
		}
	}
	var memo *fileMemo
	if in.Cache != nil {
		memo = newFileMemo(in.Cache, in.Location())
	}
	maxDepth := in.limits().MaxDepth
	for i, f := range files {
		if d := checkNesting(f.Display, f.Data, syntaxOf(f.Path), maxDepth); d != nil {
			perr[i] = diag.List{*d} // and not parsed
		}
	}
	par.Each(len(files), func(i int) {
		f := files[i]
		if len(perr[i]) > 0 {
			return
		}
		switch path.Ext(f.Path) {
		case ".yaml", ".yml", ".json":
			if rec, ok := memo.get("yaml", f); ok {
				if docs, err := readYAMLRecord(rec, f.Display); err == nil {
					parsed[i] = docs
					return
				}
			}
			data := f.Data
			var shifts columnShifts
			if path.Ext(f.Path) == ".json" {
				if d, bad := jsonErr(f.Display, f.Data); bad {
					perr[i] = diag.List{d}
					return
				}
				data, shifts = yamlSafeJSON(f.Data)
			}
			parsed[i], perr[i] = parseYAML(f.Display, data, maxDepth)
			shifts.apply(parsed[i], perr[i])
			if len(perr[i]) == 0 {
				memo.put("yaml", f, yamlRecord(f.Display, parsed[i]))
			}
		case ".jsonnet":
			n, ds := evalJsonnet(ctx, in, f)
			perr[i] = ds
			if n != nil {
				parsed[i] = []*Node{n}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var roots []*Node
	for i := range files {
		errs = append(errs, perr[i]...)
		roots = append(roots, parsed[i]...)
	}
	for i, f := range files {
		if cueIndex[i] && len(perr[i]) == 0 {
			cueFiles = append(cueFiles, f)
		}
	}
	if len(cueFiles) > 0 && len(cueFiles) == len(cueIndex) { // a package short of a file is not evaluated
		n, ds := evalCUE(ctx, cueFiles, memo, in.limits())
		errs = append(errs, ds...)
		if n != nil {
			// CUE files first: they are where most users keep the bulk of a config.
			roots = append([]*Node{n}, roots...)
		}
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	root := &Node{Kind: Map, Pos: diag.Pos{File: files[0].Display}}
	for _, r := range roots {
		if r.Kind == Null {
			continue // an empty YAML document
		}
		if r.Kind != Map {
			errs = append(errs, diag.Diagnostic{Pos: r.Pos, Msg: "a config file must hold a struct (mapping) at the top level, found " + r.Kind.String(),
				Hint: "start the file with top-level keys such as applications:, applicationSets:, infra: or appflow:"})
			continue
		}
		root = merge(root, r, nil, &errs)
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	memo.save()
	return &Tree{Root: root, Files: files, FS: in.FS}, nil
}

// RelPath returns the Rel path of the file displayed as display, or display itself.
func (t *Tree) RelPath(display string) string {
	for _, f := range t.Files {
		if f.Display == display {
			return f.Rel
		}
	}
	return display
}

// syntaxOf is how checkNesting reads a file, by its extension.
func syntaxOf(name string) syntax {
	switch path.Ext(name) {
	case ".cue":
		return syntaxCUE
	case ".jsonnet", ".libsonnet":
		return syntaxJsonnet
	}
	return syntaxYAML
}

// parseYAML converts every document of a YAML (or JSON, which is YAML) file; values
// nested more than maxDepth deep (by indentation: brackets were bounded before) are an
// error.
func parseYAML(name string, data []byte, maxDepth int) ([]*Node, diag.List) {
	var out []*Node
	var errs diag.List
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlErr(name, data, err))
			break
		}
		ya := &yamlAliases{active: map[*yaml.Node]bool{}, maxDepth: maxDepth}
		out = append(out, ya.convert(name, &doc, nil, &errs))
	}
	return out, errs
}

// yamlErr places a yaml.v3 syntax error where the problem is. yaml.v3 keeps its error
// marks to itself and names a line only, and often not the problem's: the line where the
// enclosing construct began, counted from 0 for parser errors (an unclosed "[" on line 3
// is reported at line 2; go-yaml/yaml#542, #704), or none at all. locateYAMLErr finds
// the place; the line yaml.v3 names is used only where it cannot.
func yamlErr(name string, data []byte, err error) diag.Diagnostic {
	pos := diag.Pos{File: name}
	hint := "fix the YAML/JSON syntax"
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			fmt.Sscanf(rest[:i], "%d", &pos.Line)
			msg = rest[i+2:]
		}
	}
	if at, ok := longKeyCause(data, err); ok {
		return diag.Diagnostic{Pos: posAt(name, data, at), Msg: fmt.Sprintf("a key longer than %d characters", maxKey),
			Hint: "shorten it: keys here are names, and the YAML parser takes keys of up to 1024 characters"}
	}
	if at, ok := locateYAMLErr(data); ok {
		pos = posAt(name, data, at)
		if data[at] == '\t' {
			hint = "indent with spaces: YAML allows no tabs there"
		}
	}
	return diag.Diagnostic{Pos: pos, Msg: "syntax error: " + msg, Hint: hint}
}

// maxKey is yaml.v3's limit on a key's length (YAML's on a simple key). A longer key,
// valid JSON or not, fails with an error about a missing ':' or ',' and no line.
const maxKey = 1024

// longKey finds, in a file the YAML parser refused, a key longer than maxKey: a quoted
// string followed by ':', or a plain key ending a line's leading run of text at ": ".
// It is linear in data and runs only on the error path.
func longKey(data []byte) (start, end int, ok bool) {
	lineStart := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			lineStart = i + 1
		case '"', '\'':
			j := i + 1
			for j < len(data) && data[j] != c && data[j] != '\n' {
				if c == '"' && data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) || data[j] != c {
				continue
			}
			k := j + 1
			for k < len(data) && (data[k] == ' ' || data[k] == '\t') {
				k++
			}
			if j-i-1 > maxKey && k < len(data) && data[k] == ':' {
				return i, j + 1, true
			}
			i = j
		default:
			if i != lineStart {
				continue
			}
			start := i
			for start < len(data) && (data[start] == ' ' || data[start] == '-') {
				start++
			}
			end := bytes.IndexByte(data[start:], '\n')
			if end < 0 {
				end = len(data) - start
			}
			line := data[start : start+end]
			if k := bytes.Index(line, []byte(": ")); k > maxKey && bytes.IndexAny(line[:k], "\"'{[#") < 0 {
				return start, start + k, true
			}
		}
	}
	return 0, 0, false
}

// longKeyCause returns where a key longer than maxKey is, when it is what made the
// parser fail: with the key shortened, the parser's error (err) goes away or changes.
// A long line that only looks like a key (in a block scalar) leaves err as it was.
func longKeyCause(data []byte, err error) (int, bool) {
	start, end, ok := longKey(data)
	if !ok {
		return 0, false
	}
	short := slices.Concat(data[:start], []byte("k"), data[end:])
	if e := decodeYAMLStream(short); e != nil && e.Error() == err.Error() {
		return 0, false
	}
	return start, true
}

// maxLocate bounds the files locateYAMLErr searches: each probe parses a prefix again,
// ~20 probes for a file of thousands of lines (about 1 s at this size).
const maxLocate = 512 << 10

// locateYAMLErr returns the offset of the problem in data, which yaml.v3 refuses. Its
// parser streams, so every prefix of the input that reaches the problem fails with the
// very same error, line included, and a shorter one fails otherwise or not at all: the
// shortest such prefix ends at the problem (the token the parser could not take, or the
// first one inside what was left unclosed). It is found by bisection, lines first.
func locateYAMLErr(data []byte) (at int, ok bool) {
	if len(data) > maxLocate {
		return 0, false
	}
	// The prefixes are read after an empty line: yaml.v3 names the problem's line
	// instead of the construct's when the construct starts on its line 0, which would
	// make every prefix ending on the last line fail alike (a byte order mark stays first).
	bom := 0
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		bom = 3
	}
	probe := slices.Concat(data[:bom], []byte("\n"), data[bom:])
	full := decodeYAMLStream(probe)
	if full == nil {
		return 0, false
	}
	same := func(n int) bool { // does data[:n] fail as the whole does?
		if n < bom {
			return false
		}
		e := decodeYAMLStream(probe[:n+1])
		return e != nil && e.Error() == full.Error()
	}
	// The ends of the lines (past the newline), then of the data, where same holds.
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	k := sort.Search(len(ends), func(k int) bool { return same(ends[k]) })
	if k == len(ends) {
		return 0, false
	}
	start := 0
	if k > 0 {
		start = ends[k-1]
	}
	// The shortest prefix ending in line k is data[:start+1+i] for the smallest i.
	return start + sort.Search(ends[k]-start-1, func(i int) bool { return same(start + 1 + i) }), true
}

// posAt is the position of data[at]. A column counts characters, as yaml.v3's do, and
// not a byte order mark, which editors do not show.
func posAt(name string, data []byte, at int) diag.Pos {
	start := bytes.LastIndexByte(data[:at], '\n') + 1
	line := bytes.Count(data[:start], []byte("\n")) + 1
	if start == 0 && bytes.HasPrefix(data[:at], []byte("\uFEFF")) {
		start = 3
	}
	return diag.Pos{File: name, Line: line, Col: utf8.RuneCount(data[start:at]) + 1}
}

// jsonErr checks a .json file as JSON. The YAML parser that reads it takes more than
// JSON (trailing commas, comments, bare strings), which other tools then refuse, and
// says less precisely where JSON goes wrong: encoding/json names the byte. An empty
// file stays an empty config, as in YAML.
func jsonErr(name string, data []byte) (diag.Diagnostic, bool) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a byte order mark, as some editors write
	if json.Valid(data) || len(bytes.TrimSpace(data)) == 0 {
		return diag.Diagnostic{}, false
	}
	var v json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &v); !errors.As(err, &se) {
		return diag.Diagnostic{}, false // not a syntax error: let the YAML parser speak
	}
	// Offset counts the bytes read, the offending one included.
	return diag.Diagnostic{Pos: posAt(name, data, max(int(se.Offset)-1, 0)), Msg: "syntax error: " + se.Error(), Hint: "fix the JSON syntax"}, true
}

// decodeYAMLStream returns the first error decoding every document of data gives.
func decodeYAMLStream(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// yamlAliases guards alias expansion: a self-referencing alias would recurse forever, and
// nested aliases can expand exponentially ("billion laughs").
type yamlAliases struct {
	active   map[*yaml.Node]bool
	expanded int
	maxDepth int
	deep     bool // reported values nesting beyond maxDepth
}

// maxAliasNodes bounds the nodes produced through aliases in one document.
const maxAliasNodes = 100_000

func (ya *yamlAliases) convert(name string, n *yaml.Node, path []string, errs *diag.List) *Node {
	return ya.fromYAML(name, n, path, errs)
}

// outOfRange refuses an integer beyond 64 bits: it would reach Helm as a float
// (1e+20) or as text, where CUE refuses it.
func outOfRange(pos diag.Pos, path []string, text string) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "integer out of range",
		Hint: `use a value that fits in 64 bits, or quote it to keep it as text: "` + text + `"`}
}

// nonFinite refuses NaN and the infinities: no Kubernetes or Helm value takes them, and
// JSON cannot carry them (render wrote "NaN"; vet failed without a position).
func nonFinite(pos diag.Pos, path []string, text string) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "not a finite number: " + text,
		Hint: `use a finite number, or quote it to keep it as text: "` + text + `"`}
}

// unsupportedTag refuses a tag plainTag does not accept, on a value or a key.
func unsupportedTag(pos diag.Pos, path []string, tag string) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: fmt.Sprintf("YAML tag %s is not supported", tag),
		Hint: "remove the tag: appflowc reads plain YAML data only: strings, numbers, booleans, null, lists and mappings"}
}

// plainTag reports whether an explicit YAML tag names plain data.
func plainTag(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
		return true
	}
	return false
}

func (ya *yamlAliases) fromYAML(name string, n *yaml.Node, path []string, errs *diag.List) *Node {
	pos := diag.Pos{File: name, Line: n.Line, Col: n.Column}
	if len(path) > ya.maxDepth {
		if !ya.deep {
			ya.deep = true
			*errs = append(*errs, diag.Diagnostic{Pos: pos, Msg: fmt.Sprintf("values nest more than %d levels deep", ya.maxDepth),
				Hint: "flatten the structure, or raise the bound with --max-depth"})
		}
		return &Node{Kind: Null, Pos: pos}
	}
	if len(ya.active) > 0 {
		// Every node built inside an alias expansion counts: nested aliases multiply.
		ya.expanded++
		if ya.expanded > maxAliasNodes {
			if ya.expanded == maxAliasNodes+1 {
				*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "YAML aliases expand to too many values", Hint: "write the values out, or use CUE for reuse"})
			}
			return &Node{Kind: Null, Pos: pos}
		}
	}
	if n.Style&yaml.TaggedStyle != 0 && !plainTag(n.ShortTag()) {
		// A custom tag (!vault, !include) is an instruction appflowc does not carry out,
		// and !!binary is bytes it would pass on as base64 text: either would reach the
		// output as something other than what the author meant.
		*errs = append(*errs, unsupportedTag(pos, path, n.Tag))
		return &Node{Kind: Null, Pos: pos}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &Node{Kind: Null, Pos: pos}
		}
		return ya.fromYAML(name, n.Content[0], path, errs)
	case yaml.AliasNode:
		if ya.active[n.Alias] {
			*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "YAML alias refers to itself", Hint: "remove the recursive alias"})
			return &Node{Kind: Null, Pos: pos}
		}
		ya.active[n.Alias] = true
		v := ya.fromYAML(name, n.Alias, path, errs)
		delete(ya.active, n.Alias)
		return v
	case yaml.MappingNode:
		out := &Node{Kind: Map, Pos: pos}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kpos := diag.Pos{File: name, Line: k.Line, Col: k.Column}
			if k.Kind != yaml.ScalarNode {
				*errs = append(*errs, diag.Diagnostic{Pos: kpos, Path: joinPath(path), Msg: "keys must be strings", Hint: "quote the key"})
				continue
			}
			if k.Style&yaml.TaggedStyle != 0 && !plainTag(k.ShortTag()) {
				*errs = append(*errs, unsupportedTag(kpos, path, k.Tag))
				continue
			}
			if k.Tag == "!!merge" {
				*errs = append(*errs, diag.Diagnostic{Pos: kpos, Path: joinPath(path), Msg: "YAML merge keys (<<) are not supported",
					Hint: "write the fields out, or use CUE for shared values"})
				continue
			}
			if prev := out.field(k.Value); prev != nil {
				*errs = append(*errs, diag.Diagnostic{Pos: kpos, Path: joinPath(append(path, k.Value)), Msg: "key set twice in the same mapping",
					Hint: fmt.Sprintf("first set at %s; remove one", prev.KeyPos), Related: []diag.Pos{prev.KeyPos}})
				continue
			}
			val := ya.fromYAML(name, v, append(path, k.Value), errs)
			// The duplicate check above looks keys up: index a large mapping (a mapping
			// of 100,000 keys made it quadratic, ~30 s).
			out.indexIfLarge()
			out.appendField(&Field{Key: k.Value, KeyPos: kpos, Value: val})
		}
		return out
	case yaml.SequenceNode:
		out := &Node{Kind: List, Pos: pos}
		for i, c := range n.Content {
			out.Items = append(out.Items, ya.fromYAML(name, c, append(path, fmt.Sprint(i)), errs))
		}
		return out
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return &Node{Kind: Null, Pos: pos}
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return &Node{Kind: Bool, Pos: pos, Bool: b}
			}
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return &Node{Kind: Int, Pos: pos, Int: i}
			}
			if !bigInt().MatchString(n.Value) && !radixInt().MatchString(n.Value) {
				*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "tagged !!int but not an integer: " + n.Value,
					Hint: "remove the tag, or write an integer"})
				return &Node{Kind: String, Pos: pos, Str: n.Value}
			}
			*errs = append(*errs, outOfRange(pos, path, n.Value))
			return &Node{Kind: String, Pos: pos, Str: n.Value}
		case "!!float":
			if bigInt().MatchString(n.Value) {
				// yaml.v3 resolves an integer beyond 64 bits as a float: 99999999999999999999
				// would reach Helm as "1e+20". The CUE readers refuse it; so does this one.
				*errs = append(*errs, outOfRange(pos, path, n.Value))
				return &Node{Kind: String, Pos: pos, Str: n.Value}
			}
			var f float64
			if err := n.Decode(&f); err == nil {
				if math.IsInf(f, 0) || math.IsNaN(f) {
					*errs = append(*errs, nonFinite(pos, path, n.Value))
					return &Node{Kind: String, Pos: pos, Str: n.Value}
				}
				return &Node{Kind: Float, Pos: pos, Float: f}
			}
		}
		if n.Style == 0 && radixInt().MatchString(n.Value) {
			// A plain hex, octal or binary integer beyond 64 bits, which yaml.v3 leaves
			// as text.
			*errs = append(*errs, outOfRange(pos, path, n.Value))
		}
		return &Node{Kind: String, Pos: pos, Str: n.Value}
	}
	*errs = append(*errs, diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: "unsupported YAML node"})
	return &Node{Kind: Null, Pos: pos}
}
