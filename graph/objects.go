package graph

import (
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/manifest"
)

// Entry is the graph of one Workflow (or CronWorkflow) a config renders.
type Entry struct {
	Entry  string // the config entry: applications.web
	Object manifest.Object
	Graph  *Graph
	Err    error // the Workflow could not be drawn (a template it names is not among objs)
}

// OfObjects draws each Workflow and CronWorkflow among objs, resolved through the
// WorkflowTemplates and ClusterWorkflowTemplates among them, in their order.
func OfObjects(objs []manifest.Object) []Entry {
	templates := map[string]*wfv1.WorkflowTemplate{}
	for _, o := range objs {
		switch wt := o.Obj.(type) {
		case *wfv1.WorkflowTemplate:
			templates[wt.Name] = wt
		case *wfv1.ClusterWorkflowTemplate:
			templates[ClusterKey(wt.Name)] = &wfv1.WorkflowTemplate{ObjectMeta: wt.ObjectMeta, Spec: wt.Spec}
		}
	}
	var out []Entry
	for _, o := range objs {
		wf, ok := o.Obj.(*wfv1.Workflow)
		if cw, isCron := o.Obj.(*wfv1.CronWorkflow); isCron { // a scheduled entry or pipeline: what each run does
			wf, ok = &wfv1.Workflow{Spec: cw.Spec.WorkflowSpec}, true
		}
		if !ok {
			continue
		}
		g, err := FromWorkflow(strings.TrimSuffix(o.Name, "-"), wf, templates)
		out = append(out, Entry{Entry: o.Entry, Object: o, Graph: g, Err: err})
	}
	return out
}
