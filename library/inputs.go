package library

import (
	"regexp"
	"strings"
	"sync"
)

// Input is a kind of value the library's templates take as a parameter, with the pattern
// their validate-inputs step requires of it at run time (a POSIX extended regular
// expression: the step checks it with grep -E; the same text is an RE2 expression for
// Go). vet requires the same of every config value that becomes such a parameter
// (Accepts), so that no config vet passes is refused when its workflow runs: the patterns
// are written here once, and the library's shell gets them from here.
type Input struct {
	// Shell is the variable the validate-inputs script keeps the pattern in.
	Shell   string
	Pattern string
	// Says what a value must be, for messages.
	Says string
}

// The kinds of input.
var (
	Name = Input{"NAME_RE", `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`,
		"lower-case letters, digits and '-', starting and ending with a letter or digit"}
	URL = Input{"URL_RE", `^(https://|oci://|ssh://)[^[:space:]"'{}]+$|^git@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$`,
		"an https://, oci://, ssh:// or git@host:path URL without spaces, quotes or braces"}
	Cluster = Input{"CLUSTER_RE", `^https://[^[:space:]"'{}]+$|^[A-Za-z0-9][A-Za-z0-9._-]*$`,
		"an https:// API server URL without spaces, quotes or braces, or a cluster name of letters, digits, '.', '_' and '-'"}
	Path = Input{"PATH_RE", `^[A-Za-z0-9_.][A-Za-z0-9_./-]*$`,
		"a path of letters, digits, '_', '.', '/' and '-'"}
	Revision = Input{"REV_RE", `^[A-Za-z0-9_.*^~=<>|, +/@#-]+$`,
		"a version, version range, branch, tag or commit of letters, digits and _ . * ^ ~ = < > | , + / @ # - or space"}
	Bool = Input{"BOOL_RE", `^(true|false)$`, "true or false"}
)

// Inputs are every kind, in the order the script defines them.
var Inputs = []Input{Name, URL, Cluster, Path, Revision, Bool}

var compiled sync.Map // pattern -> *regexp.Regexp

// Accepts reports whether value passes the run-time check of its kind: the pattern, no
// Argo template expression, one line — what the validate-inputs script's check() does.
func (in Input) Accepts(value string) bool {
	re, ok := compiled.Load(in.Pattern)
	if !ok {
		re, _ = compiled.LoadOrStore(in.Pattern, regexp.MustCompile(in.Pattern))
	}
	return re.(*regexp.Regexp).MatchString(value) && !strings.Contains(value, "{{") && !strings.Contains(value, "\n")
}

// shellPatterns are the input patterns as the library's CUE receives them: shell
// assignments, each pattern single-quoted.
func shellPatterns() map[string]string {
	m := map[string]string{}
	for _, in := range Inputs {
		m[in.Shell] = in.Shell + "='" + strings.ReplaceAll(in.Pattern, "'", `'"'"'`) + "'"
	}
	return m
}
