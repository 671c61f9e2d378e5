package config

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/par"
)

// Defaults of the appflow settings; the CUE schema in cue/ declares the same (a test keeps them equal).
const (
	DefaultNamespace         = "argo"
	DefaultArgoCDNamespace   = "argocd"
	DefaultServiceAccount    = "argo-workflow-sa"
	DefaultDestinationServer = "https://kubernetes.default.svc"
	DefaultDeadlineSeconds   = 1800
	DefaultTTLAfterSuccess   = 3600   // an hour
	DefaultTTLAfterFailure   = 604800 // a week: failed runs are for debugging
	DefaultPodGC             = "OnPodSuccess"
	maxTTL                   = 31536000
	// DefaultShellImage is busybox 1.37.0, pinned by its published index digest.
	DefaultShellImage = "docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e"
)

// MaxEntryName bounds application, applicationSet and infra names so that every name
// derived from them (generateName plus Argo's 5-character suffix, label values,
// "<appset>-<env>" Applications) stays within Kubernetes' 63-character limit.
const MaxEntryName = 50

// Load reads, unifies and validates a config.
func Load(ctx context.Context, in Input) (*Config, error) {
	t, err := LoadTree(ctx, in)
	if err != nil {
		return nil, err
	}
	return Decode(t)
}

// Decode validates a tree and builds the Config. All problems are reported at once.
func Decode(t *Tree) (*Config, error) {
	c, errs := DecodeAll(t)
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// DecodeAll is Decode for a caller that goes on to compile and validate what it can: with
// problems of the security policy only (an unpinned image, a template expression in a
// command), the Config is complete and comes back beside them, so that the later
// stages (Argo's validation above all) report in the same run. With any other problem
// the Config is nil.
func DecodeAll(t *Tree) (*Config, diag.List) {
	d := &decoder{}
	c := d.config(t.Root)
	if len(d.errs) > 0 {
		return nil, append(d.errs, d.policy...).Sort()
	}
	c.Tree = t
	if len(d.policy) > 0 {
		return c, d.policy.Sort()
	}
	return c, nil
}

type decoder struct {
	errs diag.List
	// policy holds the security policy's complaints: the value is well-formed, only
	// not allowed; compiling it harms nothing and shows what else is wrong.
	policy diag.List
}

// policyf reports a violation of the security policy (see decoder.policy).
func (d *decoder) policyf(n *Node, path []string, hint, format string, args ...any) {
	d.policy = append(d.policy, diagAt(n, path, hint, format, args...))
}

func (d *decoder) errorf(n *Node, path []string, hint, format string, args ...any) {
	d.errs = append(d.errs, diagAt(n, path, hint, format, args...))
}

func diagAt(n *Node, path []string, hint, format string, args ...any) diag.Diagnostic {
	pos := diag.Pos{}
	if n != nil {
		pos = n.Pos
	}
	return diag.Diagnostic{Pos: pos, Path: joinPath(path), Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// fields checks that n is a struct whose keys are all in allowed, reporting unknown keys
// with the nearest allowed name. It returns false when n is not a struct.
func (d *decoder) fields(n *Node, path []string, allowed ...string) bool {
	if n.Kind != Map {
		d.errorf(n, path, "write a struct here", "expected a struct, found %s", n.display())
		return false
	}
	for _, f := range n.Fields {
		ok := false
		for _, a := range allowed {
			if f.Key == a {
				ok = true
				break
			}
		}
		if ok {
			continue
		}
		hint := "allowed fields: " + strings.Join(allowed, ", ")
		if s := Suggest(f.Key, allowed); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		d.errs = append(d.errs, diag.Diagnostic{Pos: f.KeyPos, Path: joinPath(append(path, f.Key)), Msg: "unknown field", Hint: hint})
	}
	return true
}

// required reports a missing field at the position of the struct that lacks it.
func (d *decoder) required(n *Node, path []string, key, hint string) *Node {
	v := n.Get(key)
	if v == nil {
		d.errorf(n, append(path, key), hint, "missing required field")
	}
	return v
}

func (d *decoder) str(n *Node, path []string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != String {
		d.errorf(n, path, "quote the value", "expected a string, found %s", n.display())
		return "", false
	}
	return n.Str, true
}

// scalarStr accepts strings, numbers and booleans (Helm parameters and ConfigMap data are
// strings on the cluster, and YAML users write `replicas: 2`).
func (d *decoder) scalarStr(n *Node, path []string) (string, bool) {
	switch n.Kind {
	case String:
		return n.Str, true
	case Int:
		return strconv.FormatInt(n.Int, 10), true
	case Float:
		return strconv.FormatFloat(n.Float, 'g', -1, 64), true
	case Bool:
		return strconv.FormatBool(n.Bool), true
	}
	d.errorf(n, path, "use a string, number or boolean", "expected a scalar, found %s", n.display())
	return "", false
}

func (d *decoder) boolean(n *Node, path []string, def bool) bool {
	if n == nil {
		return def
	}
	if n.Kind != Bool {
		d.errorf(n, path, "use true or false", "expected a boolean, found %s", n.display())
		return def
	}
	return n.Bool
}

func (d *decoder) strList(n *Node, path []string, check func(*Node, []string, string)) []string {
	if n == nil {
		return nil
	}
	if n.Kind != List {
		d.errorf(n, path, `write a list, e.g. ["a", "b"]`, "expected a list of strings, found %s", n.display())
		return nil
	}
	var out []string
	for i, it := range n.Items {
		p := append(path, strconv.Itoa(i))
		if s, ok := d.str(it, p); ok {
			if check != nil {
				check(it, p, s)
			}
			out = append(out, s)
		}
	}
	return out
}

// strMap decodes a struct of scalars into sorted pairs, checking each key.
func (d *decoder) strMap(n *Node, path []string, checkKey func(*Node, []string, string)) []KV {
	return d.pairs(n, path, checkKey, d.scalarStr)
}

// stringMap is strMap for a struct whose values must be strings (label values,
// environment variables): a number or boolean is refused with hint, as the CUE schema
// refuses it, rather than turned into text.
func (d *decoder) stringMap(n *Node, path []string, checkKey func(*Node, []string, string), hint string) []KV {
	return d.pairs(n, path, checkKey, func(v *Node, p []string) (string, bool) {
		if v.Kind != String {
			d.errorf(v, p, hint, "expected a string, found %s", v.display())
			return "", false
		}
		return v.Str, true
	})
}

// pairs decodes a struct into sorted pairs: each key checked, each value read by value.
func (d *decoder) pairs(n *Node, path []string, checkKey func(*Node, []string, string), value func(*Node, []string) (string, bool)) []KV {
	if n == nil || !d.fieldsAny(n, path) {
		return nil
	}
	var out []KV
	for _, f := range n.SortedFields() {
		p := append(path, f.Key)
		if checkKey != nil {
			checkKey(&Node{Pos: f.KeyPos}, p, f.Key)
		}
		if v, ok := value(f.Value, p); ok {
			out = append(out, KV{Name: f.Key, Value: v})
		}
	}
	return out
}

func (d *decoder) fieldsAny(n *Node, path []string) bool {
	if n.Kind != Map {
		d.errorf(n, path, "write a struct here", "expected a struct, found %s", n.display())
		return false
	}
	return true
}

// Patterns compile on first use: package init runs on every start, pre-commit hooks included.
var (
	chartName    = lazyRegexp(`^[a-z0-9]([-a-z0-9._]*[a-z0-9])?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$`)
	secretType   = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9./-]*$`)
	dnsLabel     = lazyRegexp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = lazyRegexp(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	configKey    = lazyRegexp(`^[-._a-zA-Z0-9]+$`)
	envVarName   = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
	helmParam    = lazyRegexp(`^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$`)
	clusterName  = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)
	quantity     = lazyRegexp(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`) // the schema's #Quantity
	labelValue   = lazyRegexp(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	gitSSH       = lazyRegexp(`^git@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$`)
	bigInt       = lazyRegexp(`^[-+]?[0-9][0-9_]*$`)                       // YAML's integer syntax (decimal)
	radixInt     = lazyRegexp(`^[-+]?0(x[0-9a-fA-F_]+|o[0-7_]+|b[01_]+)$`) // YAML 1.2 hex, octal, binary
)

func (d *decoder) label(n *Node, path []string, s string, max int) {
	switch {
	case s == "":
		d.errorf(n, path, "use lower-case letters, digits and '-'", "must not be empty")
	case len(s) > max:
		d.errorf(n, path, fmt.Sprintf("shorten it to at most %d characters", max), "name %q is %d characters long", s, len(s))
	case !dnsLabel().MatchString(s):
		d.errorf(n, path, "use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)", "invalid name %q", s)
	}
}

func (d *decoder) subdomain(n *Node, path []string, s string) {
	switch {
	case len(s) > 253:
		d.errorf(n, path, "shorten it to at most 253 characters", "name is %d characters long", len(s))
	case !dnsSubdomain().MatchString(s):
		d.errorf(n, path, "use lower-case letters, digits, '-' and '.' (DNS-1123 subdomain)", "invalid name %q", s)
	}
}

func (d *decoder) config(root *Node) *Config {
	c := &Config{}
	if !d.fields(root, nil, "appflow", "applications", "applicationSets", "infra", "workflowTemplates", "externalTemplates", "pipelines", "patches") {
		return c
	}
	c.Appflow = d.appflow(root.Get("appflow"))
	// Entries, most of a large config, decode independently of each other: on every core.
	if n := root.Get("applications"); n != nil && d.fieldsAny(n, []string{"applications"}) {
		c.Applications = decodeEach(d, n.SortedFields(), func(d *decoder, f *Field) *Application { return d.application(f, &c.Appflow) })
	}
	if n := root.Get("applicationSets"); n != nil && d.fieldsAny(n, []string{"applicationSets"}) {
		c.ApplicationSets = decodeEach(d, n.SortedFields(), (*decoder).applicationSet)
	}
	if n := root.Get("infra"); n != nil && d.fieldsAny(n, []string{"infra"}) {
		c.Infra = decodeEach(d, n.SortedFields(), (*decoder).infra)
	}
	if n := root.Get("workflowTemplates"); n != nil && d.fieldsAny(n, []string{"workflowTemplates"}) {
		for _, f := range n.SortedFields() {
			c.WorkflowTemplates = append(c.WorkflowTemplates, d.userTemplate(f, &c.Appflow))
		}
	}
	if n := root.Get("externalTemplates"); n != nil {
		d.externalTemplates(n, c)
	}
	if n := root.Get("pipelines"); n != nil && d.fieldsAny(n, []string{"pipelines"}) {
		for _, f := range n.SortedFields() {
			c.Pipelines = append(c.Pipelines, d.pipeline(f))
		}
	}
	if n := root.Get("patches"); n != nil {
		c.Patches = d.patches(n, []string{"patches"})
	}
	return c
}

// decodeEach decodes each of fs with its own decoder, on every core; their findings
// join d's in the order of fs.
func decodeEach[T any](d *decoder, fs []*Field, decode func(*decoder, *Field) T) []T {
	out := make([]T, len(fs))
	ds := make([]decoder, len(fs))
	par.Each(len(fs), func(i int) { out[i] = decode(&ds[i], fs[i]) })
	for i := range ds {
		d.errs, d.policy = append(d.errs, ds[i].errs...), append(d.policy, ds[i].policy...)
	}
	return out
}

// labels decodes an entry's labels: Kubernetes label syntax, and none of the keys
// appflowc or Argo set themselves (they select what appflowc manages). A value is a
// string, as the schema's #LabelValue says: `tier: 1` is refused, not read as "1".
func (d *decoder) labels(n *Node, p []string) []KV {
	kvs := d.stringMap(n.Get("labels"), append(p, "labels"), d.labelKey, "label values are text: quote the value")
	for _, l := range kvs {
		at := n.Lookup("labels", l.Name)
		if !labelValue().MatchString(l.Value) || len(l.Value) > 63 {
			d.errorf(at, append(p, "labels", l.Name), "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", "invalid label value %q", l.Value)
		}
		if reservedLabel(l.Name) {
			d.errorf(at, append(p, "labels", l.Name), "appflowc and Argo set this label themselves; choose a key of your own, e.g. team", "reserved label key %q", l.Name)
		}
	}
	return kvs
}

func lazyRegexp(p string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(p) })
}

// suggest returns the allowed name closest to s, when it is close enough to be a typo.
// Suggest is the allowed name nearest to s (case-insensitive edit distance), or "" when
// none is close: the "did you mean" of every unknown-name message.
func Suggest(s string, allowed []string) string {
	best, bestD := "", 1<<30
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a
		}
		if dd := levenshtein(strings.ToLower(s), strings.ToLower(a)); dd < bestD {
			best, bestD = a, dd
		}
	}
	if bestD <= max(2, len(s)/3) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
