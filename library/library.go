// Package library holds appflowc's WorkflowTemplate library, written in CUE, and turns it
// into Argo's typed WorkflowTemplates for a project's settings.
package library

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
)

//go:embed *.cue
var sources embed.FS

// Settings are the project values the library depends on (from the config's appflow block).
type Settings struct {
	Namespace             string `json:"namespace"`
	ArgoCDNamespace       string `json:"argocdNamespace"`
	ServiceAccount        string `json:"serviceAccount"`
	DestinationServer     string `json:"destinationServer"`
	ActiveDeadlineSeconds int64  `json:"activeDeadlineSeconds"`
	Images                struct {
		Shell string `json:"shell"`
	} `json:"images"`
}

// Names of the library's WorkflowTemplates.
const (
	ApplicationCreate    = "application-create"
	ApplicationSetCreate = "applicationset-create"
	InfraProvision       = "infra-provision"
)

var (
	mu    sync.Mutex
	cache = map[Settings][]*wfv1.WorkflowTemplate{}
)

// Templates returns the library for s, sorted by name. Results are cached per settings:
// evaluation costs milliseconds and every render needs it. Callers must not modify them.
func Templates(s Settings) ([]*wfv1.WorkflowTemplate, error) {
	mu.Lock()
	defer mu.Unlock()
	if t, ok := cache[s]; ok {
		return t, nil
	}
	t, err := evaluate(s)
	if err != nil {
		return nil, err
	}
	cache[s] = t
	return t, nil
}

func evaluate(s Settings) ([]*wfv1.WorkflowTemplate, error) {
	ctx := cuecontext.New()
	inst := build.NewContext().NewInstance("", nil)
	names, _ := fs.Glob(sources, "*.cue")
	sort.Strings(names)
	for _, n := range names {
		src, _ := sources.ReadFile(n)
		f, err := parser.ParseFile("library/"+n, src)
		if err != nil {
			return nil, fmt.Errorf("library %s: %w", n, err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return nil, fmt.Errorf("library %s: %w", n, err)
		}
	}
	v := ctx.BuildInstance(inst)
	v = v.FillPath(cue.ParsePath("settings"), s)
	wts := v.LookupPath(cue.ParsePath("workflowTemplates"))
	if err := wts.Validate(cue.Concrete(true)); err != nil {
		return nil, fmt.Errorf("library: %s", cueerrors.Details(err, nil))
	}
	it, err := wts.Fields()
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	var out []*wfv1.WorkflowTemplate
	for it.Next() {
		data, err := it.Value().MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("library %s: %w", it.Selector(), err)
		}
		var wt wfv1.WorkflowTemplate
		if err := StrictJSON(data, &wt); err != nil {
			return nil, fmt.Errorf("library %s: %w", it.Selector(), err)
		}
		out = append(out, &wt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// StrictJSON decodes data into v rejecting unknown fields: Argo's validator does not
// notice a misspelt field, so decoding must.
func StrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
