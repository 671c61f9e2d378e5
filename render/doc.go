// Package render compiles a validated config into Kubernetes objects: the WorkflowTemplate
// library, its RBAC, and one Workflow per config entry; it validates them offline with
// Argo's own validator and writes them to disk deterministically and atomically.
package render
