package render

import (
	"fmt"
	"sort"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
)

// Select keeps the objects of the named entries ("applications/web" or
// "applications.web") and everything they depend on: objects of no entry (the library,
// its RBAC) and the user's WorkflowTemplates. Unknown names are an error that lists the entries there are.
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
		// Templates (the library's and the user's) are what selected Workflows run.
		if o.Entry == "" || want[o.Entry] || strings.HasPrefix(o.Entry, "workflowTemplates.") {
			out = append(out, o)
		}
	}
	return out, nil
}

// SelectLabels keeps the entries whose Workflow's (or, for a scheduled entry, whose
// CronWorkflow's) labels (the entry's labels and appflowc's own) match selector, in
// kubectl's syntax, and what they depend on. When none matches, the error lists the
// labels the entries do carry, so that a typo shows.
func SelectLabels(objs []Object, selector string) ([]Object, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, fmt.Errorf("-l %q: %w", selector, err)
	}
	var entries []string
	carried := map[string]bool{}
	for _, o := range objs {
		if (o.Kind != "Workflow" && o.Kind != "CronWorkflow") || o.Entry == "" {
			continue
		}
		ls := objectLabels(o.Obj)
		if sel.Matches(labels.Set(ls)) {
			entries = append(entries, o.Entry)
		}
		for k, v := range ls {
			if k != "app.kubernetes.io/managed-by" && k != LabelConfig {
				carried[k+"="+v] = true
			}
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("-l %q: no entry's labels match (the entries carry: %s; and appflowc.dev/config=NAME)", selector, carriedText(carried))
	}
	return Select(objs, entries)
}

// carriedText lists label pairs sorted, at most 20 of them.
func carriedText(set map[string]bool) string {
	pairs := make([]string, 0, len(set))
	for p := range set {
		pairs = append(pairs, p)
	}
	sort.Strings(pairs)
	if len(pairs) > 20 {
		return strings.Join(pairs[:20], ", ") + fmt.Sprintf(" and %d more", len(pairs)-20)
	}
	return strings.Join(pairs, ", ")
}

// objectLabels reads metadata.labels of a typed Workflow or of an object read from disk.
func objectLabels(obj any) map[string]string {
	switch o := obj.(type) {
	case *wfv1.Workflow:
		return o.Labels
	case *wfv1.CronWorkflow:
		return o.Labels
	case map[string]any:
		meta, _ := o["metadata"].(map[string]any)
		raw, _ := meta["labels"].(map[string]any)
		out := make(map[string]string, len(raw))
		for k, v := range raw {
			out[k], _ = v.(string)
		}
		return out
	}
	return nil
}
