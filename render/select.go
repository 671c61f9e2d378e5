package render

import (
	"fmt"
	"sort"
	"strings"
)

// Select keeps the objects of the named entries ("applications/web" or
// "applications.web") and everything they depend on: objects of no entry (the library,
// its RBAC). Unknown names are an error that lists the entries there are.
func Select(objs []Object, entries []string) ([]Object, error) {
	want := map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(strings.Replace(e, "/", ".", 1))
		if e != "" {
			want[e] = true
		}
	}
	known := map[string]bool{}
	for _, o := range objs {
		if o.Entry != "" {
			known[o.Entry] = true
		}
	}
	var unknown []string
	for e := range want {
		if !known[e] {
			unknown = append(unknown, e)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(known))
		for e := range known {
			names = append(names, strings.Replace(e, ".", "/", 1))
		}
		sort.Strings(names)
		return nil, fmt.Errorf("--select: no entry %s in the config (entries: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	var out []Object
	for _, o := range objs {
		if o.Entry == "" || want[o.Entry] {
			out = append(out, o)
		}
	}
	return out, nil
}
