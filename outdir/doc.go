// Package outdir is the storage of render's output directory: writing a tree of files
// atomically (a temporary tree swapped in whole, unchanged files hard-linked from the
// previous render), reading it back (render --check, apply DIR) as untrusted input, and
// comparing it with a new render. It knows the layout (manifest) and nothing of how the
// files were compiled.
package outdir
