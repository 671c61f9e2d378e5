package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/diskcache"
	"github.com/appflowc/appflowc/internal/par"
	"github.com/appflowc/appflowc/library"
	"github.com/appflowc/appflowc/manifest"
)

// Labels and annotations appflowc puts on what it renders.
const (
	LabelManagedBy   = manifest.LabelManagedBy
	ManagedBy        = manifest.ManagedBy
	LabelConfig      = "appflowc.dev/config"
	LabelKind        = "appflowc.dev/kind"
	AnnotationSource = "appflowc.dev/source"
	inClusterServer  = "https://kubernetes.default.svc"
)

// Settings maps the config's appflow block to the library's settings.
func Settings(a config.Appflow) library.Settings {
	var s library.Settings
	s.Namespace, s.ArgoCDNamespace, s.ServiceAccount = a.Namespace, a.ArgoCDNamespace, a.ServiceAccount
	s.DestinationServer, s.ActiveDeadlineSeconds = a.DestinationServer, a.ActiveDeadlineSeconds
	s.Images.Shell = a.Images.Shell
	s.PodGC = a.PodGC
	s.Resources.Requests = library.Quantities{CPU: a.Resources.Requests.CPU, Memory: a.Resources.Requests.Memory}
	s.Resources.Limits = library.Quantities{CPU: a.Resources.Limits.CPU, Memory: a.Resources.Limits.Memory}
	return s
}

// Build compiles cfg into objects in a stable order: library templates, RBAC, then one
// Workflow per entry (applications, applicationSets, infra; each sorted by name).
func Build(ctx context.Context, cfg *config.Config, cache *diskcache.Cache) ([]Object, error) {
	wts, err := library.Templates(Settings(cfg.Appflow), cache)
	if err != nil {
		return nil, fmt.Errorf("render library: %w", err)
	}
	var objs []Object
	for _, wt := range wts {
		wt = wt.DeepCopy()
		if r, ok := cfg.Appflow.TemplateResources[wt.Name]; ok {
			if err := bound(wt, r); err != nil {
				return nil, fmt.Errorf("render %s: %w", wt.Name, err)
			}
		}
		objs = append(objs, Object{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate", Namespace: wt.Namespace, Name: wt.Name, Obj: wt})
	}
	for _, ut := range cfg.WorkflowTemplates {
		o, err := userTemplate(cfg, ut)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	objs = append(objs, rbac(cfg.Appflow)...)
	if len(cfg.Pipelines) > 0 {
		ifaces := interfaces(objs, cfg)
		var errs diag.List
		for _, pl := range cfg.Pipelines {
			o, perrs := pipelineObjects(cfg, pl, ifaces)
			if len(perrs) > 0 {
				errs = append(errs, perrs...)
				continue
			}
			objs = append(objs, o)
		}
		if len(errs) > 0 {
			return nil, errs.Sort()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Each entry's Workflow depends on the entry and the settings alone: built on every
	// core, in the config's order.
	apps, sets, infra := cfg.Applications, cfg.ApplicationSets, cfg.Infra
	entries := make([]Object, len(apps)+len(sets)+len(infra))
	par.Each(len(entries), func(i int) {
		switch {
		case i < len(apps):
			a := apps[i]
			entries[i] = workflow(cfg, "application", a.Name, a.Pos, a.Labels, a.Schedule, library.ApplicationCreate, applicationParams(cfg, a))
		case i < len(apps)+len(sets):
			a := sets[i-len(apps)]
			entries[i] = workflow(cfg, "applicationset", a.Name, a.Pos, a.Labels, a.Schedule, library.ApplicationSetCreate, applicationSetParams(cfg, a))
		default:
			in := infra[i-len(apps)-len(sets)]
			entries[i] = workflow(cfg, "infra", in.Name, in.Pos, in.Labels, in.Schedule, library.InfraProvision, infraParams(in))
		}
	})
	objs = append(objs, entries...)
	return objs, nil
}

// userTemplate is a WorkflowTemplate of the user's, next to the library's: the spec as
// written (already checked against Argo's schema), labelled as appflowc's.
func userTemplate(cfg *config.Config, ut *config.UserTemplate) (Object, error) {
	wt := &wfv1.WorkflowTemplate{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate"},
		ObjectMeta: metav1.ObjectMeta{Name: ut.Name, Namespace: cfg.Appflow.Namespace,
			Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelKind: "workflowtemplate"},
			Annotations: map[string]string{AnnotationSource: cfg.Tree.RelPath(ut.Pos.File)}},
	}
	if ut.Description != "" {
		wt.Annotations["workflows.argoproj.io/description"] = ut.Description
	}
	data, err := json.Marshal(ut.Spec)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&wt.Spec)
	}
	if err != nil {
		return Object{}, diag.List{{Pos: ut.Pos, Path: "workflowTemplates." + ut.Name + ".spec", Msg: "not an Argo WorkflowSpec: " + err.Error(),
			Hint: "see Argo's field reference: https://argo-workflows.readthedocs.io/en/latest/fields/"}}
	}
	locate := func(msg string) (diag.Pos, string) {
		n, p := config.ArgoErrorAt(ut.SpecNode, msg)
		if n == nil {
			return ut.Pos, "workflowTemplates." + ut.Name
		}
		return n.Pos, config.JoinPath(append([]string{"workflowTemplates", ut.Name, "spec"}, p...))
	}
	o := Object{APIVersion: "argoproj.io/v1alpha1", Kind: "WorkflowTemplate", Namespace: wt.Namespace, Name: wt.Name,
		Source: ut.Pos, SourceRel: cfg.Tree.RelPath(ut.Pos.File), Entry: "workflowTemplates." + ut.Name, Obj: wt, Locate: locate}
	if ut.ClusterScope {
		// A ClusterWorkflowTemplate is the same spec without a namespace. The workflows
		// that use it need no rights for that (Argo's controller reads it with its own
		// ClusterRole), so no RBAC is rendered for it; applying it needs cluster-scoped
		// create/patch, which apply's pre-flight checks like any other right.
		wt.Namespace = ""
		wt.Labels[LabelKind] = "clusterworkflowtemplate"
		o.Kind, o.Namespace = "ClusterWorkflowTemplate", ""
		o.Obj = &wfv1.ClusterWorkflowTemplate{TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "ClusterWorkflowTemplate"},
			ObjectMeta: wt.ObjectMeta, Spec: wt.Spec}
	}
	return o, nil
}

// bound sets a template's own resource bounds (appflow.resources.templates) on every pod
// it runs, where the library put the defaults: script containers, and the executor's
// main container of resource steps through podSpecPatch.
func bound(wt *wfv1.WorkflowTemplate, r config.Resources) error {
	res, err := requirements(r)
	if err != nil {
		return err
	}
	// The same JSON (and key order) as the library's CUE json.Marshal.
	type quantities struct {
		CPU    string `json:"cpu"`
		Memory string `json:"memory"`
	}
	type bounds struct {
		Requests quantities `json:"requests"`
		Limits   quantities `json:"limits"`
	}
	type container struct {
		Name      string `json:"name"`
		Resources bounds `json:"resources"`
	}
	patch, err := json.Marshal(map[string][]container{"containers": {{Name: "main", Resources: bounds{
		Requests: quantities{r.Requests.CPU, r.Requests.Memory}, Limits: quantities{r.Limits.CPU, r.Limits.Memory}}}}})
	if err != nil {
		return err
	}
	for i := range wt.Spec.Templates {
		t := &wt.Spec.Templates[i]
		switch {
		case t.Script != nil:
			t.Script.Resources = res
		case t.Resource != nil:
			t.PodSpecPatch = string(patch)
		}
	}
	return nil
}

func entryPath(kind, name string) string {
	switch kind {
	case "application":
		return "applications." + name
	case "applicationset":
		return "applicationSets." + name
	}
	return "infra." + name
}

var generatePrefix = map[string]string{"application": "app-", "applicationset": "appset-", "infra": "infra-"}

// workflow is the Workflow of one entry; the entry's labels go on it (after appflowc's
// own, which the config cannot set), so that apply -l and list -l find it.
func workflow(cfg *config.Config, kind, name string, pos diag.Pos, entryLabels []config.KV, schedule *config.Schedule, tmpl string, params []wfv1.Parameter) Object {
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: generatePrefix[kind] + name + "-",
			Namespace:    cfg.Appflow.Namespace,
			Labels:       runLabels(entryLabels, name, kind),
			Annotations:  map[string]string{AnnotationSource: cfg.Tree.RelPath(pos.File)},
		},
		Spec: wfv1.WorkflowSpec{
			WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: tmpl},
			Arguments:           wfv1.Arguments{Parameters: params},
			TTLStrategy:         ttlStrategy(cfg.Appflow),
			PodGC:               &wfv1.PodGC{Strategy: wfv1.PodGCStrategy(cfg.Appflow.PodGC)},
		},
	}
	if schedule != nil { // the entry's Workflow, run by Argo on schedule
		cw := scheduled(wf, schedule)
		return Object{APIVersion: "argoproj.io/v1alpha1", Kind: "CronWorkflow", Namespace: cfg.Appflow.Namespace, Name: cw.Name,
			Source: pos, SourceRel: cfg.Tree.RelPath(pos.File), Entry: entryPath(kind, name), Obj: cw}
	}
	return Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow", Namespace: cfg.Appflow.Namespace, Name: wf.GenerateName,
		Source: pos, SourceRel: cfg.Tree.RelPath(pos.File), Entry: entryPath(kind, name), Obj: wf}
}

// runLabels are the labels of an entry's or pipeline's runs: the config's, then
// appflowc's own (which the config cannot set), so that apply -l and list -l find them.
func runLabels(entry []config.KV, name, kind string) map[string]string {
	labels := map[string]string{}
	for _, l := range entry {
		labels[l.Name] = l.Value
	}
	labels[LabelManagedBy], labels[LabelConfig], labels[LabelKind] = ManagedBy, name, kind
	return labels
}

// ttlStrategy deletes finished runs on their own; failed ones stay longer, for debugging.
func ttlStrategy(a config.Appflow) *wfv1.TTLStrategy {
	return &wfv1.TTLStrategy{SecondsAfterSuccess: ptr(int32(a.TTL.AfterSuccess)), SecondsAfterFailure: ptr(int32(a.TTL.AfterFailure))}
}

// resourceList parses CPU and memory quantities (already checked by config).
func resourceList(l config.ResourceList) (corev1.ResourceList, error) {
	cpu, err1 := resource.ParseQuantity(l.CPU)
	mem, err2 := resource.ParseQuantity(l.Memory)
	return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}, errors.Join(err1, err2)
}

// requirements are r as a container's resources.
func requirements(r config.Resources) (corev1.ResourceRequirements, error) {
	req, err1 := resourceList(r.Requests)
	lim, err2 := resourceList(r.Limits)
	return corev1.ResourceRequirements{Requests: req, Limits: lim}, errors.Join(err1, err2)
}

func param(name, value string) wfv1.Parameter {
	return wfv1.Parameter{Name: name, Value: wfv1.AnyStringPtr(value)}
}

// mustJSON encodes values built here from validated config; maps encode with sorted keys.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("render: encode %T: %v", v, err)) // only our own types reach here
	}
	return string(b)
}

type argoSyncPolicy struct {
	Automated   *argoAutomated `json:"automated,omitempty"`
	SyncOptions []string       `json:"syncOptions,omitempty"`
}
type argoAutomated struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

func syncPolicyJSON(sp config.SyncPolicy) string {
	var p argoSyncPolicy
	if sp.Automated {
		p.Automated = &argoAutomated{Prune: sp.Prune, SelfHeal: sp.SelfHeal}
	}
	if sp.CreateNamespace {
		p.SyncOptions = []string{"CreateNamespace=true"}
	}
	return mustJSON(p)
}

func kvMap(kv []config.KV) map[string]string {
	m := make(map[string]string, len(kv))
	for _, p := range kv {
		m[p.Name] = p.Value
	}
	return m
}

func sourceKind(s config.Source) (kind, chartPath string) {
	if s.Chart != "" {
		return "chart", s.Chart
	}
	return "path", s.Path
}

func applicationParams(cfg *config.Config, a *config.Application) []wfv1.Parameter {
	kind, cp := sourceKind(a.Source)
	dest := a.Destination.Server
	if dest == "" {
		dest = a.Destination.Name
	}
	return []wfv1.Parameter{
		param("app_name", a.Name),
		param("namespace", a.Destination.Namespace),
		param("repo_url", a.Source.RepoURL),
		param("chart_path", cp),
		param("values_file", strings.Join(a.Source.Helm.ValueFiles, ",")),
		param("sync_policy", syncPolicyJSON(a.SyncPolicy)),
		param("destination_cluster", dest),
		param("helm_parameters", mustJSON(kvMap(a.Source.Helm.Parameters))),
		param("source_kind", kind),
		param("target_revision", a.Source.TargetRevision),
		param("project", a.Project),
		param("helm_values", a.Source.Helm.Values),
		param("create_namespace", fmt.Sprint(a.Destination.Server == inClusterServer)),
		param("wait_healthy", fmt.Sprint(a.SyncPolicy.Automated)),
		param("argocd_namespace", cfg.Appflow.ArgoCDNamespace),
	}
}

// EnvironmentJSON is one element of applicationset-create's environments parameter.
type EnvironmentJSON struct {
	Name       string            `json:"name"`
	Cluster    string            `json:"cluster"`
	Namespace  string            `json:"namespace"`
	ValueFiles []string          `json:"valueFiles"`
	Parameters map[string]string `json:"parameters"`
}

func applicationSetParams(cfg *config.Config, a *config.ApplicationSet) []wfv1.Parameter {
	kind, cp := sourceKind(a.Source)
	envs := make([]EnvironmentJSON, 0, len(a.Environments))
	for _, e := range a.Environments {
		vf := e.ValueFiles
		if vf == nil {
			vf = []string{}
		}
		envs = append(envs, EnvironmentJSON{Name: e.Name, Cluster: e.Cluster, Namespace: e.Namespace, ValueFiles: vf, Parameters: kvMap(e.Parameters)})
	}
	git := map[string]any{}
	if a.Git != nil {
		dirs, files := a.Git.Directories, a.Git.Files
		if dirs == nil {
			dirs = []string{}
		}
		if files == nil {
			files = []string{}
		}
		git = map[string]any{"repoURL": a.Git.RepoURL, "revision": a.Git.Revision, "directories": dirs, "files": files}
	}
	return []wfv1.Parameter{
		param("appset_name", a.Name),
		param("repo_url", a.Source.RepoURL),
		param("chart_path", cp),
		param("environments", mustJSON(envs)),
		param("generator_type", a.Generator),
		param("sync_policy", syncPolicyJSON(a.SyncPolicy)),
		param("source_kind", kind),
		param("target_revision", a.Source.TargetRevision),
		param("project", a.Project),
		param("git_generator", mustJSON(git)),
		param("preserve_resources", fmt.Sprint(a.PreserveResourcesOnDeletion)),
		param("wait_healthy", fmt.Sprint(a.SyncPolicy.Automated && a.Generator == "list")),
		param("argocd_namespace", cfg.Appflow.ArgoCDNamespace),
	}
}

// SecretRefJSON is one element of infra-provision's secrets parameter: names and keys only.
type SecretRefJSON struct {
	Name string   `json:"name"`
	Keys []string `json:"keys"`
}

// ScriptJSON is one element of infra-provision's custom_scripts parameter.
type ScriptJSON struct {
	Name    string            `json:"name"`
	Image   string            `json:"image"`
	Command []string          `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

func infraParams(in *config.Infra) []wfv1.Parameter {
	secrets := make([]SecretRefJSON, 0, len(in.Secrets))
	for _, s := range in.Secrets {
		keys := make([]string, 0, len(s.Keys))
		for _, k := range s.Keys {
			keys = append(keys, k.Key)
		}
		sort.Strings(keys)
		secrets = append(secrets, SecretRefJSON{Name: s.Name, Keys: keys})
	}
	type configMapJSON struct {
		Name string            `json:"name"`
		Data map[string]string `json:"data"`
	}
	cms := make([]configMapJSON, 0, len(in.ConfigMaps))
	for _, c := range in.ConfigMaps {
		cms = append(cms, configMapJSON{Name: c.Name, Data: kvMap(c.Data)})
	}
	scripts := make([]ScriptJSON, 0, len(in.Scripts))
	for _, s := range in.Scripts {
		args := s.Args
		if args == nil {
			args = []string{}
		}
		scripts = append(scripts, ScriptJSON{Name: s.Name, Image: s.Image, Command: s.Command, Args: args, Env: kvMap(s.Env)})
	}
	return []wfv1.Parameter{
		param("namespace", in.Namespace),
		param("secrets", mustJSON(secrets)),
		param("configmaps", mustJSON(cms)),
		param("custom_scripts", mustJSON(scripts)),
		param("namespace_labels", mustJSON(kvMap(in.Labels))),
	}
}

// rbac is the ServiceAccount the library runs as and exactly the rights its steps use.
func rbac(a config.Appflow) []Object {
	labels := map[string]string{LabelManagedBy: ManagedBy}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: a.ServiceAccount, Namespace: a.Namespace, Labels: labels}}
	roleName := "appflowc-workflows"
	cr := &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: roleName, Labels: labels},
		Rules: []rbacv1.PolicyRule{
			// Applications and ApplicationSets: created, verified, and removed by cleanup.
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications", "applicationsets"}, Verbs: []string{"create", "delete", "get", "list", "patch", "watch"}},
			// Destination and infra namespaces are created or labelled, never deleted.
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"create", "get", "list", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "delete", "get", "list", "patch"}},
			// Secrets are only verified: appflowc apply creates them, workflows never see values they need not.
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}},
		}}
	crb := &rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: roleName + "-" + a.Namespace, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: roleName},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: a.ServiceAccount, Namespace: a.Namespace}}}
	// The Argo executor in each pod reports step results through WorkflowTaskResults.
	role := &rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: "appflowc-executor", Namespace: a.Namespace, Labels: labels},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}}}}
	rb := &rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "appflowc-executor", Namespace: a.Namespace, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "appflowc-executor"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: a.ServiceAccount, Namespace: a.Namespace}}}
	return []Object{
		{APIVersion: "v1", Kind: "ServiceAccount", Namespace: a.Namespace, Name: sa.Name, Obj: sa},
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: cr.Name, Obj: cr},
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: crb.Name, Obj: crb},
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: a.Namespace, Name: role.Name, Obj: role},
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: a.Namespace, Name: rb.Name, Obj: rb},
	}
}

func ptr[T any](v T) *T { return &v }
