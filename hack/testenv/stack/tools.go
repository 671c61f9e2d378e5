//go:build tools

// Package tools pins what the stack group of the local control plane is built from: one
// version set (Kubernetes 1.37 libraries, the same as appflowc's client-go), so the
// packages these binaries share compile once. See ../build.sh.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
