// Package render compiles a validated config into Kubernetes objects: the WorkflowTemplate
// library, its RBAC, and one Workflow per config entry; it validates them offline with
// Argo's own validator and encodes them deterministically, one object per file (the
// package outdir stores the files).
package render
