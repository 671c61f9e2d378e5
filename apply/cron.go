package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CronWorkflowsGVR is the Argo CronWorkflow resource.
var CronWorkflowsGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "cronworkflows"}

// CronSummary is one row of `appflowc list --cron`.
type CronSummary struct {
	Name          string    `json:"name"`
	Config        string    `json:"config,omitempty"`
	Kind          string    `json:"kind,omitempty"` // appflowc.dev/kind label
	Schedules     []string  `json:"schedules"`
	Timezone      string    `json:"timezone,omitempty"`
	Suspended     bool      `json:"suspended"`
	LastScheduled time.Time `json:"lastScheduled,omitzero"`
	Active        int       `json:"active"`
	// Runs are its Workflows, newest first (from the cron-workflow label Argo sets).
	Runs []WorkflowSummary `json:"runs,omitempty"`
}

// CronSummaryOf is what list --cron shows of a CronWorkflow read or watched.
func CronSummaryOf(u *unstructured.Unstructured) CronSummary {
	s := CronSummary{Name: u.GetName(), Config: u.GetLabels()["appflowc.dev/config"], Kind: u.GetLabels()["appflowc.dev/kind"], Timezone: str(u.Object, "spec", "timezone")}
	s.Schedules, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "schedules")
	if old := str(u.Object, "spec", "schedule"); old != "" { // before Argo 3.6
		s.Schedules = append(s.Schedules, old)
	}
	s.Suspended, _, _ = unstructured.NestedBool(u.Object, "spec", "suspend")
	s.LastScheduled, _ = time.Parse(time.RFC3339, str(u.Object, "status", "lastScheduledTime"))
	active, _, _ := unstructured.NestedSlice(u.Object, "status", "active")
	s.Active = len(active)
	return s
}

// ListCronWorkflows lists the CronWorkflows of namespace matching selector, by name.
func (c *Client) ListCronWorkflows(ctx context.Context, namespace, selector string) ([]CronSummary, error) {
	items, err := c.listAll(ctx, CronWorkflowsGVR, namespace, selector)
	if err != nil {
		return nil, fmt.Errorf("list cronworkflows in %s: %w", namespace, err)
	}
	out := make([]CronSummary, 0, len(items))
	for _, u := range items {
		out = append(out, CronSummaryOf(u))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CronStatus reads one CronWorkflow and its runs.
func (c *Client) CronStatus(ctx context.Context, namespace, name string) (*CronSummary, error) {
	u, err := c.dyn.Resource(CronWorkflowsGVR).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("CronWorkflow/%s/%s: %w", namespace, name, err)
	}
	s := CronSummaryOf(u)
	if s.Runs, err = c.ListWorkflows(ctx, namespace, "workflows.argoproj.io/cron-workflow="+name, ""); err != nil {
		return nil, err
	}
	return &s, nil
}

// Schedule is the schedules for display.
func (s CronSummary) Schedule() string { return strings.Join(s.Schedules, "; ") }
