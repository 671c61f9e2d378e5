//go:build tools

// Package tools pins the Argo group of the local control plane: Argo Workflows' controller
// and helm, built on the Kubernetes 1.34 libraries Argo CD 3.2 pins (see ../build.sh), so
// the packages they share with Argo CD compile once.
package tools

import (
	_ "github.com/argoproj/argo-workflows/v3/cmd/workflow-controller"
	_ "helm.sh/helm/v3/cmd/helm"
)
