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

	"github.com/appflowc/appflowc/internal/diskcache"
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
	// PodGC is the podGC strategy of every library workflow.
	PodGC string `json:"podGC"`
	// Resources bound every container the library runs.
	Resources struct {
		Requests Quantities `json:"requests"`
		Limits   Quantities `json:"limits"`
	} `json:"resources"`
}

// Quantities are CPU and memory quantities.
type Quantities struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Names of the library's WorkflowTemplates.
const (
	ApplicationCreate    = "application-create"
	ApplicationSetCreate = "applicationset-create"
	InfraProvision       = "infra-provision"
)

var (
	mu   sync.Mutex
	memo = map[Settings][]*wfv1.WorkflowTemplate{}
)

// Templates returns the library for s, sorted by name. Results are cached per settings,
// in the process and in cache (nil: none), which keeps the evaluated JSON across runs:
// evaluation costs tens of milliseconds, a pre-commit vet's budget. Callers must not
// modify the result.
func Templates(s Settings, cache *diskcache.Cache) ([]*wfv1.WorkflowTemplate, error) {
	mu.Lock()
	defer mu.Unlock()
	if t, ok := memo[s]; ok {
		return t, nil
	}
	key, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var docs []json.RawMessage
	if data, ok := cache.Get("library", key); !ok || json.Unmarshal(data, &docs) != nil {
		if docs, err = evaluate(s); err != nil {
			return nil, err
		}
		if data, err := json.Marshal(docs); err == nil {
			cache.Put("library", data, key)
		}
	}
	var out []*wfv1.WorkflowTemplate
	for _, d := range docs {
		var wt wfv1.WorkflowTemplate
		if err := StrictJSON(d, &wt); err != nil {
			return nil, fmt.Errorf("library: %w", err)
		}
		out = append(out, &wt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	memo[s] = out
	return out, nil
}

// evaluate returns the library's templates for s as JSON documents.
func evaluate(s Settings) ([]json.RawMessage, error) {
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
	v = v.FillPath(cue.ParsePath("patterns"), shellPatterns())
	wts := v.LookupPath(cue.ParsePath("workflowTemplates"))
	if err := wts.Validate(cue.Concrete(true)); err != nil {
		return nil, fmt.Errorf("library: %s", cueerrors.Details(err, nil))
	}
	it, err := wts.Fields()
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	var out []json.RawMessage
	for it.Next() {
		data, err := it.Value().MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("library %s: %w", it.Selector(), err)
		}
		out = append(out, data)
	}
	return out, nil
}

// StrictJSON decodes data into v rejecting unknown fields: Argo's validator does not
// notice a misspelt field, so decoding must.
func StrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
