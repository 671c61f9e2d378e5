package render

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/internal/benchgen"
)

// TestWorkflowEncodingIsTheLongWay: entries' Workflows encoded without maps
// (appendWorkflow) are byte for byte what yaml.v3 writes of their ToMap, for the
// Workflows of every example and of a generated config, and for 20,000 variants of
// them with tricky label keys, label values, parameter names and values, TTLs and GC
// strategies; and those of the examples and the generated config take the short way wherever
// the map encoder does.
func TestWorkflowEncodingIsTheLongWay(t *testing.T) {
	wfs, short := plainWorkflowVariants(t, 20000)
	for i, wf := range wfs {
		m, err := ToMap(wf)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encodeYAMLv3(m)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendWorkflow(nil, wf)
		if !ok {
			// Only where the map encoder steps aside too (a multi-line value is a block
			// scalar, written by yaml.v3).
			if _, mapOK := appendYAML(nil, m); mapOK && i < short {
				t.Errorf("Workflow %s took the long way", wf.GenerateName)
			}
			continue
		}
		if string(got) != string(want) {
			t.Fatalf("Workflow %d: without maps\n%s\nyaml.v3 of ToMap\n%s", i, got, want)
		}
	}
}

// TestPlainShapeKeyIsTheJSONKey: two entries' Workflows share a shape key written from
// their fields exactly when they share the key written through JSON, over the variants
// above; one holding "{{" is not cacheable either way.
func TestPlainShapeKeyIsTheJSONKey(t *testing.T) {
	wfs, _ := plainWorkflowVariants(t, 3000)
	plain, byJSON := map[string]int{}, map[string]int{}
	for i, wf := range wfs {
		pk, pok := plainShapeKey(wf)
		jk, jok := jsonShapeKey(wf)
		if pok != jok {
			t.Fatalf("Workflow %d: cacheable %v from its fields, %v through JSON", i, pok, jok)
		}
		if !pok {
			continue
		}
		pi, pseen := plain[pk]
		ji, jseen := byJSON[jk]
		if pseen != jseen || pi != ji {
			t.Fatalf("Workflow %d: its fields' key matches Workflow %d (%v), its JSON key matches Workflow %d (%v):\n%s\n%s", i, pi, pseen, ji, jseen, pk, jk)
		}
		if !pseen {
			plain[pk], byJSON[jk] = i, i
		}
	}
	if len(plain) < 50 {
		t.Fatalf("only %d shapes among the variants", len(plain))
	}
}

// plainWorkflowVariants returns the entries' Workflows of every example and of a
// generated config (the first short of them), then n variants of them.
func plainWorkflowVariants(t *testing.T, n int) (wfs []*wfv1.Workflow, short int) {
	t.Helper()
	collect := func(in config.Input) {
		res, err := Render(context.Background(), in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if wf := plainWorkflow(o.Obj); wf != nil {
				wfs = append(wfs, wf)
			}
		}
	}
	dirs, _ := filepath.Glob("../examples/*")
	for _, d := range dirs {
		collect(config.Input{FS: os.DirFS(d), Paths: []string{"."}})
	}
	gen := t.TempDir()
	if err := benchgen.Write(gen, 300, "cue"); err != nil {
		t.Fatal(err)
	}
	collect(config.Input{FS: os.DirFS(gen), Paths: []string{"."}})
	short = len(wfs)
	if short < 300 {
		t.Fatalf("only %d plain Workflows", short)
	}
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string { return trickyStrings[r.IntN(len(trickyStrings))] }
	key := func() string { return trickyKeys[r.IntN(len(trickyKeys))] }
	for range n {
		wf := wfs[r.IntN(short)].DeepCopy()
		switch r.IntN(8) {
		case 0:
			wf.Labels = map[string]string{}
			for range r.IntN(4) {
				wf.Labels[key()] = str()
			}
		case 1:
			wf.Annotations = map[string]string{key(): str()}
			if r.IntN(2) == 0 {
				wf.Annotations = nil
			}
		case 2:
			ps := wf.Spec.Arguments.Parameters
			if len(ps) > 0 {
				i := r.IntN(len(ps))
				ps[i].Name = str()
				ps[i].Value = wfv1.AnyStringPtr(str())
				if r.IntN(4) == 0 {
					ps[i].Value = nil
				}
			}
		case 3:
			wf.Spec.Arguments.Parameters = nil
		case 4:
			v := int32(r.IntN(3) * 3600)
			wf.Spec.TTLStrategy = &wfv1.TTLStrategy{}
			switch r.IntN(4) {
			case 0:
				wf.Spec.TTLStrategy.SecondsAfterCompletion = &v
			case 1:
				wf.Spec.TTLStrategy.SecondsAfterFailure, wf.Spec.TTLStrategy.SecondsAfterSuccess = &v, &v
			case 2:
				wf.Spec.TTLStrategy = nil
			}
		case 5:
			wf.Spec.PodGC = []*wfv1.PodGC{nil, {}, {Strategy: wfv1.PodGCOnWorkflowCompletion}}[r.IntN(3)]
		case 6:
			wf.Spec.WorkflowTemplateRef = []*wfv1.WorkflowTemplateRef{nil, {}, {Name: str()}}[r.IntN(3)]
		case 7:
			wf.GenerateName, wf.Namespace, wf.Kind, wf.APIVersion = str(), str(), "", str()
		}
		wfs = append(wfs, wf)
	}
	return wfs, short
}

// TestFilesOnlyWritesTheSameFiles: a render that lets its objects go as it encodes them
// (render -o) writes the very files of one that keeps them, and keeps none.
func TestFilesOnlyWritesTheSameFiles(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*")
	gen := t.TempDir()
	if err := benchgen.Write(gen, 300, "cue"); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(dirs, gen) {
		in := config.Input{FS: os.DirFS(d), Paths: []string{"."}}
		kept, err := Render(context.Background(), in, Options{Expand: true})
		if err != nil {
			t.Fatal(err)
		}
		only, err := Render(context.Background(), in, Options{Expand: true, FilesOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if only.Objects != nil || len(kept.Objects) == 0 {
			t.Errorf("%s: FilesOnly kept %d objects; without it, %d", d, len(only.Objects), len(kept.Objects))
		}
		if len(only.Files) != len(kept.Files) {
			t.Fatalf("%s: %d files, %d without FilesOnly", d, len(only.Files), len(kept.Files))
		}
		for i := range kept.Files {
			if only.Files[i].Path != kept.Files[i].Path || string(only.Files[i].Data) != string(kept.Files[i].Data) {
				t.Errorf("%s: %s differs with FilesOnly", d, kept.Files[i].Path)
			}
		}
	}
}
