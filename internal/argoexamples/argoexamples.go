// Package argoexamples reads the examples of the argo-workflows module in go.mod, for the
// tests that hold appflowc to Argo: render's peer suite and the CLI's examples test.
package argoexamples

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	"go.yaml.in/yaml/v3"
	apierr "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsyaml "sigs.k8s.io/yaml"
)

// Example is one Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow
// document of the examples.
type Example struct {
	File, Kind, Name string         // File relative to examples/, slash-separated
	Obj              map[string]any // as JSON decodes it
	JSON             []byte
}

// Load reads every such document. home, when set, is the HOME the go command finds its
// module cache from (tests may have replaced the process's).
func Load(home string) ([]Example, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3")
	if home != "" {
		cmd.Env = append(os.Environ(), "HOME="+home)
	}
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return nil, fmt.Errorf("locate argo-workflows: %v %s", err, out)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "examples")
	var objs []Example
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil // not YAML we can read (a few examples are templates of text)
			}
			kind, _ := doc["kind"].(string)
			switch kind {
			case "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow":
			default:
				continue
			}
			y, _ := yaml.Marshal(doc)
			raw, err := sigsyaml.YAMLToJSON(y)
			if err != nil {
				return err
			}
			var obj map[string]any
			if err := json.Unmarshal(raw, &obj); err != nil {
				return err
			}
			meta, _ := obj["metadata"].(map[string]any)
			name, _ := meta["name"].(string)
			if name == "" {
				name, _ = meta["generateName"].(string)
			}
			rel, _ := filepath.Rel(dir, p)
			objs = append(objs, Example{File: filepath.ToSlash(rel), Kind: kind, Name: name, Obj: obj, JSON: raw})
		}
		return nil
	})
	return objs, err
}

// Templates are WorkflowTemplates by name, as Argo's validation looks them up.
type Templates map[string]*wfv1.WorkflowTemplate

func (g Templates) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if t, ok := g[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, apierr.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "workflowtemplates"}, name)
}

// ClusterTemplates are ClusterWorkflowTemplates by name.
type ClusterTemplates map[string]*wfv1.ClusterWorkflowTemplate

func (g ClusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := g[name]; ok {
		return t.DeepCopy(), nil
	}
	return nil, apierr.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "clusterworkflowtemplates"}, name)
}

// ArgoVerdict is Argo's own offline validation of the example (lint mode), with wts and
// cwts as the cluster's templates: nil when Argo accepts it.
func ArgoVerdict(e Example, wts Templates, cwts ClusterTemplates) error {
	lint := validate.ValidateOpts{Lint: true}
	tmpl := validate.ValidateOpts{Lint: true, WorkflowTemplateValidation: true}
	switch e.Kind {
	case "Workflow":
		var wf wfv1.Workflow
		if err := json.Unmarshal(e.JSON, &wf); err != nil {
			return err
		}
		return validate.ValidateWorkflow(wts, cwts, &wf, nil, lint)
	case "WorkflowTemplate":
		var wt wfv1.WorkflowTemplate
		if err := json.Unmarshal(e.JSON, &wt); err != nil {
			return err
		}
		return validate.ValidateWorkflowTemplate(wts, cwts, &wt, nil, tmpl)
	case "ClusterWorkflowTemplate":
		var cwt wfv1.ClusterWorkflowTemplate
		if err := json.Unmarshal(e.JSON, &cwt); err != nil {
			return err
		}
		return validate.ValidateClusterWorkflowTemplate(wts, cwts, &cwt, nil, tmpl)
	default:
		var cw wfv1.CronWorkflow
		if err := json.Unmarshal(e.JSON, &cw); err != nil {
			return err
		}
		return validate.ValidateCronWorkflow(context.Background(), wts, cwts, &cw, nil)
	}
}

// Verdict says a verdict for people: "valid", or the error.
func Verdict(err error) string {
	if err == nil {
		return "valid"
	}
	return err.Error()
}
