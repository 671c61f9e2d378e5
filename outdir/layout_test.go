package outdir

import "github.com/appflowc/appflowc/manifest"

// The layout render writes, as the tests write it by hand.
type File = manifest.File

const (
	KustomizationFile = manifest.KustomizationFile
	headerMark        = manifest.HeaderMark
)
