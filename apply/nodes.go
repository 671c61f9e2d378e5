package apply

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MaxNodeStatus bounds a workflow's node status once decompressed. Argo's controller
// compresses status.nodes into status.compressedNodes when the workflow would pass its
// size limit (1 MB by default) and offloads it to a database beyond that, so a real
// status is a few MB at most; a hostile one could inflate a small gzip into gigabytes.
const MaxNodeStatus = 64 << 20

// NodesOf is a workflow's status.nodes, from status.compressedNodes when Argo compressed
// them (as argo get and argo watch hydrate them). It does not copy: callers read only.
// A compressed status that does not decode, or decodes beyond MaxNodeStatus, reads as
// no nodes.
func NodesOf(u *unstructured.Unstructured) map[string]any {
	if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "nodes"); ok {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			return m
		}
	}
	s, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "compressedNodes")
	enc, _ := s.(string)
	if !ok || enc == "" {
		return nil
	}
	data, err := DecompressNodes(enc)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return m
}

// Hydrate puts a compressed node status into status.nodes, once per state read, so that
// the readers of that state (summary, progress, failure, tree, outcome) do not each
// decompress it again; what does not decode is left as it is (NodesOf reads no nodes).
// u must be the caller's own object: it is changed in place.
func Hydrate(u *unstructured.Unstructured) {
	if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "nodes"); ok {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			return
		}
	}
	status, _ := u.Object["status"].(map[string]any)
	if status == nil {
		return
	}
	if nodes := NodesOf(u); nodes != nil {
		status["nodes"] = nodes
		delete(status, "compressedNodes")
	}
}

// DecompressNodes is Argo's file.DecodeDecompressString (base64 of gzip) with the
// output bounded by MaxNodeStatus.
func DecompressNodes(enc string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("compressed node status: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("compressed node status: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, MaxNodeStatus+1))
	if err != nil {
		return nil, fmt.Errorf("compressed node status: %w", err)
	}
	if len(data) > MaxNodeStatus {
		return nil, fmt.Errorf("compressed node status: more than %d MiB once decompressed", MaxNodeStatus>>20)
	}
	return data, nil
}

// CompressNodes is Argo's file.CompressEncodeString: what status.compressedNodes holds.
func CompressNodes(data []byte) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}
