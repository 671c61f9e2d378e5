package render

import (
	"fmt"

	"github.com/appflowc/appflowc/diag"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string // metadata.name, or metadata.generateName for Workflows
	// Source is the config position the object comes from; zero for library objects.
	Source diag.Pos
	// Entry is the config path of the entry, e.g. "applications.web"; empty for library objects.
	Entry string
	// SourceRel is Source's file relative to the config argument: what output records.
	SourceRel string
	// Preview marks objects written for review only (Applications an ApplicationSet will
	// generate); they are not listed in kustomization.yaml and never applied.
	Preview bool
	// Owner is the ApplicationSet a preview object belongs to.
	Owner string
	// Obj is the typed object (Argo or Kubernetes API types, or a map for Argo CD kinds).
	Obj any
	// Locate, for an object written in the config (a user template), finds where the
	// field an Argo validation error names is written: its position and config path.
	Locate func(argoMsg string) (diag.Pos, string)
}

// ID is "Kind/namespace/name", the form messages and change sets use.
func (o Object) ID() string {
	if o.Namespace == "" {
		return fmt.Sprintf("%s/%s", o.Kind, o.Name)
	}
	return fmt.Sprintf("%s/%s/%s", o.Kind, o.Namespace, o.Name)
}
