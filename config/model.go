package config

import "github.com/appflowc/appflowc/diag"

// Config is a validated config with every default applied. Entries are sorted by name.
type Config struct {
	Appflow         Appflow
	Applications    []*Application
	ApplicationSets []*ApplicationSet
	Infra           []*Infra
	// WorkflowTemplates are the user's own templates, rendered next to the library.
	WorkflowTemplates []*UserTemplate
	// ExternalTemplates are templates that live only in the cluster, declared so that
	// references to them are checked offline; nothing is rendered for them.
	ExternalTemplates []*ExternalTemplate
	// Pipelines chain templates into one Workflow (a CronWorkflow when scheduled).
	Pipelines []*Pipeline
	// Patches are kustomize patches applied to the rendered objects, in config order.
	Patches []Patch
	// Tree is the unified input, kept so that later stages can point at user positions.
	Tree *Tree
}

// Appflow holds project settings.
type Appflow struct {
	// Namespace where WorkflowTemplates and Workflows live.
	Namespace string
	// ArgoCDNamespace where Applications and ApplicationSets are created.
	ArgoCDNamespace string
	// ServiceAccount the workflows run as.
	ServiceAccount string
	// DestinationServer is used when an application names neither server nor name.
	DestinationServer string
	// ActiveDeadlineSeconds bounds every workflow run.
	ActiveDeadlineSeconds int64
	Images                Images
	// TTL deletes finished workflows after this many seconds; failed ones are kept
	// longer, to debug them.
	TTL TTL
	// PodGC is when finished workflow pods are deleted (Argo's podGC strategy).
	PodGC string
	// Resources bound every pod the library runs.
	Resources Resources
	// RequireLimits makes vet refuse user templates whose containers have no CPU and
	// memory limits.
	RequireLimits bool
	// TemplateResources are per-template bounds (appflow.resources.templates), each
	// already merged over Resources.
	TemplateResources map[string]Resources
}

// LibraryTemplates name the WorkflowTemplates of appflowc's library (the ones
// appflow.resources.templates may name); a test keeps them equal to the library's.
var LibraryTemplates = []string{"application-create", "applicationset-create", "infra-provision"}

// TTL is a Workflow's ttlStrategy, in seconds.
type TTL struct {
	AfterSuccess, AfterFailure int64
}

// Resources are a container's requests and limits (Kubernetes quantities).
type Resources struct {
	Requests ResourceList `json:"requests"`
	Limits   ResourceList `json:"limits"`
}

// ResourceList is CPU and memory.
type ResourceList struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Images are the pinned (tag and digest) images that library steps run.
type Images struct {
	// Shell runs the input-validation and script steps.
	Shell string
}

// Application is one Argo CD Application.
type Application struct {
	Name        string
	Pos         diag.Pos
	Project     string
	Labels      []KV      // on the entry's Workflow; apply -l selects by them
	Schedule    *Schedule // runs the Workflow on a schedule (a CronWorkflow)
	Source      Source
	Destination Destination
	SyncPolicy  SyncPolicy
}

// Source is where an application's manifests come from.
type Source struct {
	RepoURL        string
	Chart          string // Helm repository chart; exclusive with Path
	Path           string // Git directory; exclusive with Chart
	TargetRevision string
	Helm           Helm
}

// Helm holds Helm options of a source.
type Helm struct {
	ValueFiles []string
	Parameters []KV // sorted by name
	Values     string
}

// KV is a name/value pair kept in a stable order.
type KV struct{ Name, Value string }

// Destination is the cluster and namespace an application deploys to.
type Destination struct {
	Server    string
	Name      string
	Namespace string
}

// SyncPolicy is an Argo CD sync policy.
type SyncPolicy struct {
	Automated       bool
	SelfHeal        bool
	Prune           bool
	CreateNamespace bool
}

// ApplicationSet is one Argo CD ApplicationSet over environments.
type ApplicationSet struct {
	Name                        string
	Pos                         diag.Pos
	Project                     string
	Labels                      []KV      // on the entry's Workflow; apply -l selects by them
	Schedule                    *Schedule // runs the Workflow on a schedule (a CronWorkflow)
	Source                      Source
	Generator                   string // "list" or "git"
	Git                         *GitGenerator
	Environments                []Environment
	SyncPolicy                  SyncPolicy
	PreserveResourcesOnDeletion bool
}

// GitGenerator is the git generator of an ApplicationSet.
type GitGenerator struct {
	RepoURL     string
	Revision    string
	Directories []string
	Files       []string
	// Checkout is a local working copy used by `render --expand` to preview generated
	// Applications offline.
	Checkout string
}

// Environment is one target of an ApplicationSet.
type Environment struct {
	Name       string
	Cluster    string // a https:// server URL or a cluster name
	Namespace  string
	ValueFiles []string
	Parameters []KV
}

// Infra is a set of prerequisites in one namespace.
type Infra struct {
	Name       string
	Pos        diag.Pos
	Namespace  string
	Labels     []KV // on the namespace and on the entry's Workflow
	Schedule   *Schedule
	ConfigMaps []ConfigMap
	Secrets    []SecretRef
	Scripts    []Script
}

// ConfigMap is created by the infra-provision workflow.
type ConfigMap struct {
	Name string
	Data []KV
}

// SecretRef declares a Secret whose values come from the operator's machine at apply time.
// The config never holds the values themselves.
type SecretRef struct {
	Name string
	Type string
	Keys []SecretKey
}

// SecretKey names where one key's value is read from: exactly one of FromEnv or FromFile.
type SecretKey struct {
	Key      string
	FromEnv  string
	FromFile string
}

// Script is a custom step run by infra-provision.
type Script struct {
	Name    string
	Image   string
	Command []string
	Args    []string
	Env     []KV
}

// Patch is one kustomize patch: a strategic-merge patch or a JSON6902 operation list,
// applied to the objects its target selects.
type Patch struct {
	Pos    diag.Pos
	Target *PatchTarget
	Patch  string
}

// PatchTarget selects objects, with kustomize's selector fields.
type PatchTarget struct {
	Group, Version, Kind, Name, Namespace, LabelSelector, AnnotationSelector string
}
