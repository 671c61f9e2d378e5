package render

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/config"
)

// stubImage is the image of a declared template's stub. A stub is never rendered or
// run: it exists so that Argo's offline validation, which resolves every templateRef
// through a getter, finds a template with the declared inputs and outputs.
const stubImage = "declared.appflowc.invalid/stub:0"

// declaredSpec is the WorkflowSpec of the stub of a declared template: per declared
// template a container with exactly the declared inputs (a default where one is
// declared, so Argo's argument check sees which are required) and outputs.
func declaredSpec(et *config.ExternalTemplate) wfv1.WorkflowSpec {
	spec := wfv1.WorkflowSpec{Entrypoint: et.Entrypoint}
	for _, e := range et.Templates {
		t := wfv1.Template{Name: e.Name, Container: &corev1.Container{Image: stubImage, Command: []string{"true"}}}
		for _, p := range e.Parameters {
			wp := wfv1.Parameter{Name: p.Name}
			if p.Default != nil {
				wp.Default = wfv1.AnyStringPtr(*p.Default)
			}
			for _, v := range p.Enum {
				wp.Enum = append(wp.Enum, wfv1.AnyString(v))
			}
			t.Inputs.Parameters = append(t.Inputs.Parameters, wp)
		}
		for _, a := range e.Artifacts {
			t.Inputs.Artifacts = append(t.Inputs.Artifacts, wfv1.Artifact{Name: a, Path: "/stub/inputs/" + a})
		}
		for _, p := range e.OutputParameters {
			t.Outputs.Parameters = append(t.Outputs.Parameters, wfv1.Parameter{Name: p, ValueFrom: &wfv1.ValueFrom{Path: "/stub/outputs/" + p}})
		}
		for _, a := range e.OutputArtifacts {
			t.Outputs.Artifacts = append(t.Outputs.Artifacts, wfv1.Artifact{Name: a, Path: "/stub/outputs/" + a})
		}
		spec.Templates = append(spec.Templates, t)
	}
	return spec
}

// declared are the stubs of a config's declared templates, by scope and name.
type declared struct {
	namespaced map[string]*wfv1.WorkflowTemplate
	cluster    map[string]*wfv1.ClusterWorkflowTemplate
}

// declaredStubs builds the stubs of ext; namespaced ones live in namespace.
func declaredStubs(ext []*config.ExternalTemplate, namespace string) declared {
	d := declared{namespaced: map[string]*wfv1.WorkflowTemplate{}, cluster: map[string]*wfv1.ClusterWorkflowTemplate{}}
	for _, et := range ext {
		meta := metav1.ObjectMeta{Name: et.Name}
		if et.ClusterScope {
			d.cluster[et.Name] = &wfv1.ClusterWorkflowTemplate{ObjectMeta: meta, Spec: declaredSpec(et)}
		} else {
			meta.Namespace = namespace
			d.namespaced[et.Name] = &wfv1.WorkflowTemplate{ObjectMeta: meta, Spec: declaredSpec(et)}
		}
	}
	return d
}
