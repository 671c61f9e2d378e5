package outdir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/manifest"
)

// IsOutputDir reports whether dir was written by render.
func IsOutputDir(dir string) bool {
	k, err := readOutputFile(filepath.Join(dir, manifest.KustomizationFile), nil)
	return err == nil && bytes.HasPrefix(k, []byte(manifest.HeaderMark))
}

// LoadDir reads the objects of a render output directory (previews excluded), so that
// what was reviewed is exactly what gets applied.
func LoadDir(dir string) ([]manifest.Object, error) {
	if !IsOutputDir(dir) {
		return nil, fmt.Errorf("%s is not a directory written by appflowc render", dir)
	}
	files := map[string][]byte{}
	err := walkFiles(dir, func(p, rel string, d fs.DirEntry) error {
		data, err := readOutputFile(p, d)
		var odd *oddFile
		if errors.As(err, &odd) {
			return fmt.Errorf("%s is %s: a render directory holds regular files only, as render writes them (render it again)", p, odd.what)
		}
		files[rel] = data
		return err
	})
	if err != nil {
		return nil, err
	}
	var paths []string
	for p := range files {
		if p != manifest.KustomizationFile && !strings.HasPrefix(p, manifest.PreviewDir+"/") && strings.HasSuffix(p, ".yaml") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var objs []manifest.Object
	for _, p := range paths {
		var m map[string]any
		if err := yaml.Unmarshal(files[p], &m); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, p), err)
		}
		meta, _ := m["metadata"].(map[string]any)
		s := func(k string) string { v, _ := meta[k].(string); return v }
		name := s("name")
		if name == "" {
			name = s("generateName")
		}
		apiVersion, _ := m["apiVersion"].(string)
		kind, _ := m["kind"].(string)
		if apiVersion == "" || kind == "" || name == "" {
			return nil, fmt.Errorf("read %s: not a Kubernetes object (apiVersion, kind and name are required)", filepath.Join(dir, p))
		}
		o := manifest.Object{APIVersion: apiVersion, Kind: kind, Namespace: s("namespace"), Name: name, Obj: m}
		o.SourceRel, o.Entry = headerEntry(files[p])
		objs = append(objs, o)
	}
	return objs, nil
}

// headerEntry reads the config file and entry an output file's header names (written by
// header), so that apply --select and -l work on a render directory too.
func headerEntry(data []byte) (source, entry string) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte(manifest.HeaderMark+" from "))
	if !ok {
		return "", ""
	}
	rest, ok = bytes.CutSuffix(rest, []byte(". Do not edit."))
	if !ok || !bytes.HasSuffix(rest, []byte(")")) {
		return "", ""
	}
	open := bytes.LastIndex(rest, []byte(" ("))
	if open < 0 {
		return "", ""
	}
	return string(rest[:open]), string(rest[open+2 : len(rest)-1])
}
