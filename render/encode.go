package render

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/appflowc/appflowc/internal/par"
	"github.com/appflowc/appflowc/manifest"
)

// File is one output file (manifest.File).
type File = manifest.File

// The output layout render writes and outdir reads back (manifest).
const (
	KustomizationFile = manifest.KustomizationFile
	headerMark        = manifest.HeaderMark
	previewDir        = manifest.PreviewDir
)

// FilePath is where an object is written: <kind>/<namespace or _cluster>/<name>.yaml.
// Workflows are named by their generateName without the trailing dash.
func FilePath(o Object) string {
	ns := o.Namespace
	if ns == "" {
		ns = "_cluster"
	}
	name := strings.TrimSuffix(o.Name, "-")
	p := path.Join(strings.ToLower(o.Kind), ns, name+".yaml")
	if o.Preview {
		p = path.Join(previewDir, p)
	}
	return p
}

// Encode turns objects into files plus the kustomization.yaml, sorted by path.
// Keys are sorted and the Go types' noise (status, creationTimestamp: null, empty
// structs) is pruned, so the same config always gives the same bytes.
func Encode(objs []Object) ([]File, error) {
	encs, err := encodeObjects(objs, false)
	if err != nil {
		return nil, err
	}
	return assemble(encs)
}

// encoded is one object's file and what assembling the directory needs to know of it;
// it is also what the entry cache keeps (incremental.go).
type encoded struct {
	File
	ID       string // the object's ID, for messages
	Entry    string // Object.Entry
	Workflow bool   // created, not applied: kustomization.yaml lists it in a comment
	Preview  bool   // for review only: not in kustomization.yaml
}

// encodeObjects encodes every object, on every core; with release, each object's typed
// value is let go (objs[i].Obj = nil) once encoded.
func encodeObjects(objs []Object, release bool) ([]encoded, error) {
	out := make([]encoded, len(objs))
	errs := make([]error, len(objs))
	par.Each(len(objs), func(i int) {
		o := objs[i]
		var data []byte
		if data, errs[i] = EncodeObject(o); errs[i] != nil {
			return
		}
		out[i] = encoded{File: File{Path: FilePath(o), Data: data}, ID: o.ID(), Entry: o.Entry, Workflow: o.Kind == "Workflow", Preview: o.Preview}
		if release {
			objs[i].Obj = nil
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// assemble checks that no two objects share a file, adds kustomization.yaml and sorts
// the files by path.
func assemble(encs []encoded) ([]File, error) {
	files := make([]File, 0, len(encs)+1)
	seen := make(map[string]string, len(encs))
	var resources, workflows []string
	for _, e := range encs {
		if prev, dup := seen[e.Path]; dup {
			return nil, fmt.Errorf("render: %s and %s would both be written to %s", prev, e.ID, e.Path)
		}
		seen[e.Path] = e.ID
		files = append(files, e.File)
		switch {
		case e.Workflow:
			workflows = append(workflows, e.Path)
		case !e.Preview:
			resources = append(resources, e.Path)
		}
	}
	sort.Strings(resources)
	var k bytes.Buffer
	k.WriteString(headerMark + ". Do not edit: change the config and run appflowc render.\n")
	k.WriteString("# preview/ holds the Applications that ApplicationSets will generate (for review; not applied).\n")
	if len(workflows) > 0 {
		// kustomize requires metadata.name, and Workflows use generateName: they are
		// created by appflowc apply (or kubectl create -f), never applied.
		k.WriteString("# Workflows (created, not applied: they use generateName):\n")
		sort.Strings(workflows)
		for _, w := range workflows {
			fmt.Fprintf(&k, "#   %s\n", w)
		}
	}
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "- %s\n", r)
	}
	files = append(files, File{Path: KustomizationFile, Data: k.Bytes()})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// EncodeObject writes one object as YAML with a header naming its source: the pruned
// map, sorted keys, 2-space indent, in yaml.v3's exact bytes (going through JSON and
// yaml.v2, as sigs.k8s.io/yaml does, cost a third of a 10,000-app render; yaml.v3's
// emitter another third, hence appendYAML).
func EncodeObject(o Object) ([]byte, error) {
	// The header is a comment line: what it names must not end the line. The config's
	// file and entry names are checked where they are read; this keeps it so whatever
	// calls EncodeObject.
	for _, s := range []string{o.SourceRel, o.Entry, o.Owner} {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) {
			return nil, fmt.Errorf("render %s: the header would carry a line break or control character: %q", o.ID(), s)
		}
	}
	b := make([]byte, 0, 2048)
	switch {
	case o.Preview:
		b = fmt.Appendf(b, "%s: preview of what ApplicationSet %s generates (from %s). Not applied.\n", headerMark, o.Owner, o.SourceRel)
	case o.Entry != "":
		b = fmt.Appendf(b, "%s from %s (%s). Do not edit.\n", headerMark, o.SourceRel, o.Entry)
	default:
		b = fmt.Appendf(b, "%s from its WorkflowTemplate library. Do not edit.\n", headerMark)
	}
	if wf := plainWorkflow(o.Obj); wf != nil {
		if out, ok := appendWorkflow(b, wf); ok {
			// The file is kept until it is written: without the buffer's spare half
			// (a large render's files were half of its peak heap).
			return bytes.Clone(out), nil
		}
	}
	m, err := ToMap(o.Obj)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", o.ID(), err)
	}
	body, err := encodeYAML(m)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", o.ID(), err)
	}
	return append(b[:len(b):len(b)], body...), nil
}

// encodeYAML is yaml.v3's encoding of m (2-space indent): through appendYAML when it
// covers m, else yaml.v3 itself.
func encodeYAML(m map[string]any) ([]byte, error) {
	if out, ok := appendYAML(make([]byte, 0, 2048), m); ok {
		return out, nil
	}
	return encodeYAMLv3(m)
}

func encodeYAMLv3(m map[string]any) ([]byte, error) {
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return body.Bytes(), nil
}

// WriteStream writes files as one multi-document YAML stream (kustomization.yaml left
// out): what `render -o -` and `install --print` print.
func WriteStream(w io.Writer, files []File) error {
	first := true
	for _, f := range files {
		if f.Path == KustomizationFile {
			continue
		}
		if !first {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		first = false
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	return nil
}
