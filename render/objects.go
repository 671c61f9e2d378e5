package render

import "github.com/appflowc/appflowc/manifest"

// Object is one rendered Kubernetes object (manifest.Object: the cluster side imports
// that package, not the compiler).
type Object = manifest.Object

// ToMap converts a typed object to plain JSON values with the noise pruned.
func ToMap(obj any) (map[string]any, error) { return manifest.ToMap(obj) }
