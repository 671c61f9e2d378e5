// Package policy holds the security rules every workflow appflowc renders obeys: images
// pinned by tag and digest, no Argo template expression pasted into shell source, pods
// that run as non-root without privileges, and CPU and memory limits where the config
// requires them. The rules are written once, over plain values (what a config's spec
// reads as, and what a rendered object encodes to), so that the config is checked at
// the field that breaks them and the final objects — after kustomize patches, which can
// change anything — are checked again by the same code.
package policy

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// Violation is a broken rule: where (a path of keys and list indexes below what was
// checked), what, and how to fix it.
type Violation struct {
	Path []string
	Msg  string
	Hint string
}

// Options select the rules that depend on the config.
type Options struct {
	// RequireLimits requires CPU and memory limits on every main container
	// (appflow.requireLimits).
	RequireLimits bool
}

const (
	pinHint   = "pin both a tag and a digest: registry/repo:1.2.3@sha256:<64 hex>"
	shellHint = `pass the value through env: env: [{name: VALUE, value: "{{inputs.parameters.x}}"}] and use "$VALUE"`
	rootHint  = "appflowc runs workflow pods as non-root without privileges: remove the setting; the image must run as a non-root user"
)

var pinned = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64}$`)
})

// Image checks an image reference: a tag and a digest, never latest (a tag alone can be
// moved under a reviewed config).
func Image(s string) *Violation {
	switch {
	case strings.Contains(s, ":latest"):
		return &Violation{Msg: fmt.Sprintf("image %q uses the mutable tag latest", s), Hint: "pin a version tag and its digest: registry/repo:1.2.3@sha256:<64 hex>"}
	case !pinned().MatchString(s):
		return &Violation{Msg: fmt.Sprintf("image %q is not pinned by tag and digest", s), Hint: pinHint}
	}
	return nil
}

// shells run their arguments as source: a "{{...}}" there is injection.
var shells = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"}

// Spec checks an Argo WorkflowSpec (of a Workflow, a WorkflowTemplate or a CronWorkflow's
// workflowSpec) given as plain values. Violations are sorted by path.
func Spec(spec map[string]any, opts Options) []Violation {
	c := &checker{opts: opts}
	c.spec(spec, nil)
	slices.SortStableFunc(c.out, func(a, b Violation) int { return strings.Compare(strings.Join(a.Path, "."), strings.Join(b.Path, ".")) })
	return c.out
}

// Object checks a rendered object given as plain values (its kind's spec, where it has
// one with containers); paths start at the object's root.
func Object(kind string, obj map[string]any, opts Options) []Violation {
	spec, _ := obj["spec"].(map[string]any)
	var at []string
	switch kind {
	case "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate":
		at = []string{"spec"}
	case "CronWorkflow":
		spec, _ = spec["workflowSpec"].(map[string]any)
		at = []string{"spec", "workflowSpec"}
	default:
		return nil
	}
	if spec == nil {
		return nil
	}
	vs := Spec(spec, opts)
	for i := range vs {
		vs[i].Path = append(append([]string(nil), at...), vs[i].Path...)
	}
	return vs
}

type checker struct {
	opts Options
	out  []Violation
}

func (c *checker) add(p []string, hint, format string, args ...any) {
	c.out = append(c.out, Violation{Path: append([]string(nil), p...), Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func at(p []string, more ...string) []string { return append(append([]string(nil), p...), more...) }

func (c *checker) spec(spec map[string]any, p []string) {
	c.securityContext(spec["securityContext"], at(p, "securityContext"))
	c.podSpecPatch(spec, p)
	// templateDefaults is merged into every template by Argo: a container setting there
	// applies to all of them.
	if td, ok := spec["templateDefaults"].(map[string]any); ok {
		c.template(td, at(p, "templateDefaults"), 0)
	}
	if ts, ok := spec["templates"].([]any); ok {
		for i, t := range ts {
			if tm, ok := t.(map[string]any); ok {
				c.template(tm, at(p, "templates", strconv.Itoa(i)), 0)
			}
		}
	}
}

// template checks one template and the inline templates of its steps and tasks (Argo runs
// those too), to a bounded depth.
func (c *checker) template(t map[string]any, p []string, depth int) {
	if depth > 16 {
		c.add(p, "define the template at the top level and refer to it by name", "inline templates nested too deeply to check")
		return
	}
	c.securityContext(t["securityContext"], at(p, "securityContext"))
	c.podSpecPatch(t, p)
	for _, kind := range []string{"container", "script"} {
		if ct, ok := t[kind].(map[string]any); ok {
			c.container(ct, at(p, kind), kind)
		}
	}
	for _, list := range [][]string{{"containerSet", "containers"}, {"initContainers"}, {"sidecars"}} {
		var v any = t
		for _, k := range list {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		if cs, ok := v.([]any); ok {
			for j, ct := range cs {
				if cm, ok := ct.(map[string]any); ok {
					c.container(cm, at(p, append(list, strconv.Itoa(j))...), list[0])
				}
			}
		}
	}
	if groups, ok := t["steps"].([]any); ok {
		for i, g := range groups {
			steps, _ := g.([]any)
			for j, s := range steps {
				if in, ok := mapAt(s, "inline"); ok {
					c.template(in, at(p, "steps", strconv.Itoa(i), strconv.Itoa(j), "inline"), depth+1)
				}
			}
		}
	}
	if dag, ok := t["dag"].(map[string]any); ok {
		tasks, _ := dag["tasks"].([]any)
		for i, task := range tasks {
			if in, ok := mapAt(task, "inline"); ok {
				c.template(in, at(p, "dag", "tasks", strconv.Itoa(i), "inline"), depth+1)
			}
		}
	}
}

func mapAt(v any, key string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	r, ok := m[key].(map[string]any)
	return r, ok
}

// container checks one container: its image, its securityContext, shell injection and
// (for main containers, when required) limits. kind is where it sits: "container",
// "script", "containerSet", "initContainers", "sidecars" or "podSpecPatch".
func (c *checker) container(ct map[string]any, p []string, kind string) {
	if img, ok := ct["image"].(string); ok {
		if v := Image(img); v != nil {
			c.add(at(p, "image"), v.Hint, "%s", v.Msg)
		}
	}
	c.securityContext(ct["securityContext"], at(p, "securityContext"))
	if kind == "script" {
		if src, ok := ct["source"].(string); ok && strings.Contains(src, "{{") {
			c.add(at(p, "source"), shellHint, "Argo template expression in script source (it is pasted into the script before the shell reads it)")
		}
	}
	if kind == "container" || kind == "script" || kind == "containerSet" {
		if cmd, ok := ct["command"].([]any); ok && len(cmd) > 0 {
			if first, ok := cmd[0].(string); ok && slices.Contains(shells, path.Base(first)) {
				for _, field := range []string{"command", "args"} {
					l, _ := ct[field].([]any)
					for j, a := range l {
						if s, ok := a.(string); ok && strings.Contains(s, "{{") {
							c.add(at(p, field, strconv.Itoa(j)), shellHint, "Argo template expression in the %s of a shell (%s)", field, path.Base(first))
						}
					}
				}
			}
		}
	}
	if c.opts.RequireLimits && (kind == "container" || kind == "script" || kind == "containerSet") {
		var missing []string
		limits, _ := mapAt(ct["resources"], "limits")
		for _, r := range []string{"cpu", "memory"} {
			if _, ok := limits[r]; !ok {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			c.add(at(p, "resources", "limits"), "set resources: {limits: {cpu: ..., memory: ...}} (appflow.requireLimits is on)", "no %s limit", strings.Join(missing, " or "))
		}
	}
}

// securityContext refuses what would run as root or privileged.
func (c *checker) securityContext(v any, p []string) {
	sc, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, bad := range []struct {
		key  string
		test func(any) bool
	}{
		{"privileged", func(v any) bool { b, ok := v.(bool); return ok && b }},
		{"allowPrivilegeEscalation", func(v any) bool { b, ok := v.(bool); return ok && b }},
		{"runAsNonRoot", func(v any) bool { b, ok := v.(bool); return ok && !b }},
		{"runAsUser", func(v any) bool { n, ok := number(v); return ok && n == 0 }},
	} {
		if v, ok := sc[bad.key]; ok && bad.test(v) {
			c.add(at(p, bad.key), rootHint, "%s: %s would run as root or privileged", bad.key, scalar(v))
		}
	}
}

// podSpecPatch is applied by Argo to the pod it builds, so it could undo every rule here:
// a patch that is JSON or YAML (parameters inside its string values included) is checked like
// the containers and pod settings it sets; one that only an Argo expression turns into
// JSON cannot be checked, and is refused. (The library's own are such expressions; the
// final objects' check accepts them only unchanged from the library.)
func (c *checker) podSpecPatch(owner map[string]any, p []string) {
	s, ok := owner["podSpecPatch"].(string)
	if !ok {
		return
	}
	pp := at(p, "podSpecPatch")
	var patch map[string]any
	if err := yaml.Unmarshal([]byte(s), &patch); err != nil || patch == nil {
		if strings.Contains(s, "{{") {
			c.add(pp, "write it as JSON or YAML, with parameters only inside string values, or set the fields directly in the template", "podSpecPatch built by an Argo expression cannot be checked")
		} else {
			c.add(pp, "write the podSpecPatch as a JSON or YAML object, as Argo reads it", "podSpecPatch is not an object")
		}
		return
	}
	c.securityContext(patch["securityContext"], at(pp, "securityContext"))
	for _, list := range []string{"containers", "initContainers"} {
		cs, _ := patch[list].([]any)
		for j, ct := range cs {
			if cm, ok := ct.(map[string]any); ok {
				c.container(cm, at(pp, list, strconv.Itoa(j)), "podSpecPatch")
			}
		}
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	}
	if n, ok := number(v); ok {
		return strconv.FormatFloat(n, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
