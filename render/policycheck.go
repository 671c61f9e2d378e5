package render

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/policy"
)

// checkPatched applies the security policy to the objects as they will be written, after
// the config's patches: config checks see the user's templates before kustomize runs,
// and a patch can add a "{{…}}" to script source, privileged: true, runAsUser: 0 or an
// unpinned image to anything, the library's templates included. A violation the objects
// did not have before the patches is reported at the patch that introduced it (found by
// applying the patches one more at a time, on this error path only). Violations present
// before are the config checks' (reported at their field) or the library's own
// sanctioned settings (its podSpecPatch expressions), and stay as they were.
func checkPatched(before, after []Object, cfg *config.Config) diag.List {
	if len(cfg.Patches) == 0 {
		return nil
	}
	opts := policy.Options{RequireLimits: cfg.Appflow.RequireLimits}
	had := violationSet(before, opts)
	var fresh []keyedViolation
	var ids []string
	for _, o := range after {
		for _, k := range violationKeys(o, opts) {
			if !had[k.key] {
				fresh, ids = append(fresh, k), append(ids, o.ID())
			}
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// The first prefix of the patches whose result has a violation names its patch.
	by := make([]int, len(fresh))
	for i := range by {
		by[i] = len(cfg.Patches) - 1
	}
	for n := 1; n < len(cfg.Patches); n++ {
		partial, err := ApplyPatches(before, cfg.Patches[:n])
		if err != nil {
			break
		}
		set := violationSet(partial, opts)
		for i, k := range fresh {
			if set[k.key] && by[i] == len(cfg.Patches)-1 {
				by[i] = n - 1
			}
		}
	}
	var out diag.List
	for i, k := range fresh {
		p := by[i]
		out = append(out, diag.Diagnostic{Pos: cfg.Patches[p].Pos, Path: config.JoinPath([]string{"patches", strconv.Itoa(p)}),
			Msg:  fmt.Sprintf("after the patches, %s %s: %s", ids[i], config.JoinPath(k.v.Path), k.v.Msg),
			Hint: k.v.Hint + "; the policy applies to patched objects too"})
	}
	return out
}

func violationSet(objs []Object, opts policy.Options) map[string]bool {
	set := map[string]bool{}
	for _, o := range objs {
		for _, k := range violationKeys(o, opts) {
			set[k.key] = true
		}
	}
	return set
}

type keyedViolation struct {
	key string
	v   policy.Violation
}

// violationKeys are o's violations, each keyed by the object, the path, the message and
// the value there (so that a changed podSpecPatch is a new violation, an unchanged one not).
func violationKeys(o Object, opts policy.Options) []keyedViolation {
	m, err := ToMap(o.Obj)
	if err != nil {
		return nil
	}
	var out []keyedViolation
	for _, v := range policy.Object(o.Kind, m, opts) {
		val, _ := json.Marshal(valueAt(m, v.Path))
		out = append(out, keyedViolation{key: o.ID() + "\x00" + strings.Join(v.Path, ".") + "\x00" + v.Msg + "\x00" + string(val), v: v})
	}
	return out
}

func valueAt(v any, path []string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
