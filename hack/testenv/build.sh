#!/usr/bin/env bash
# Builds the local control plane used by the integration tests, from the Go module proxy only,
# into a cache keyed on the version tuple. A cache hit returns at once.
#
#   hack/testenv/build.sh            build what is missing, print the bin dir
#   hack/testenv/build.sh --print    print the bin dir only (no build)
#
# Needs: go, openssl. Cold: ~35-40 min on 2 cores (Argo CD alone ~1000 CPU-s); warm: <1 s.
set -euo pipefail
K8S=v1.35.4; STG=v0.35.4; ARGO=v3.7.18; KWOK=v0.8.0; ETCD=v3.6.8; ARGOCD=v3.2.11; HELM=v3.18.4
KEY="k8s-$K8S.etcd-$ETCD.argo-$ARGO.kwok-$KWOK.argocd-$ARGOCD.helm-$HELM"
CACHE=${APPFLOWC_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appflowc/testenv}
OUT=$CACHE/$KEY; B=$OUT/bin; W=$OUT/work
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--print" ]; then echo "$B"; exit 0; fi
mkdir -p "$B" "$W"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "testenv: $*" >&2; }
have() { [ -x "$B/$1" ]; }
# Each wrapper module is written once; go.sum is kept in the cache so rebuilds are offline.

build_k8s() {
  have kube-apiserver && have kubectl && have kube-scheduler && have kube-controller-manager && return
  mkdir -p "$W/k8s"; cd "$W/k8s"
  if [ ! -f go.sum ]; then
    cp "$(go mod download -json k8s.io/kubernetes@$K8S | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')" k8s.mod
    { echo "module local/k8sbuild"; echo; echo "go 1.25.0"; echo; echo "require k8s.io/kubernetes $K8S"; echo; echo "replace (";
      sed -n '/^replace (/,/^)/p' k8s.mod | grep '=>' | awk -v v=$STG '{print "\t"$1" => "$1" "v}'; echo ")"; } > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n)\n' > tools.go
    go mod tidy
  fi
  V=${K8S#v}; MA=${V%%.*}; MI=$(echo "$V" | cut -d. -f2)
  LDV="-s -w -X k8s.io/component-base/version.gitVersion=$K8S -X k8s.io/component-base/version.gitMajor=$MA -X k8s.io/component-base/version.gitMinor=$MI -X k8s.io/client-go/pkg/version.gitVersion=$K8S -X k8s.io/client-go/pkg/version.gitMajor=$MA -X k8s.io/client-go/pkg/version.gitMinor=$MI"
  log "building kube-apiserver, kubectl, kube-scheduler, kube-controller-manager $K8S"
  go build -trimpath -ldflags="$LDV" -o "$B/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager
}

build_etcd() {
  have etcd-embed && return
  mkdir -p "$W/etcd"; cd "$W/etcd"; cp "$here/etcd/main.go" main.go
  [ -f go.sum ] || { printf 'module local/etcdembed\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' $ETCD > go.mod; go mod tidy; }
  log "building etcd $ETCD"; go build -trimpath -ldflags="-s -w" -o "$B/etcd-embed" .
}

build_argo() {
  have workflow-controller && return
  mkdir -p "$W/argo"; cd "$W/argo"
  if [ ! -f go.sum ]; then
    printf 'module local/argobuild\n\ngo 1.25.7\n\nrequire github.com/argoproj/argo-workflows/v3 %s\n\nreplace github.com/olekukonko/tablewriter => github.com/olekukonko/tablewriter v0.0.5\n' $ARGO > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/argoproj/argo-workflows/v3/cmd/workflow-controller"\n' > tools.go
    go mod tidy
  fi
  log "building workflow-controller $ARGO"
  go build -trimpath -ldflags="-s -w -X github.com/argoproj/argo-workflows/v3.version=$ARGO" -o "$B/workflow-controller" github.com/argoproj/argo-workflows/v3/cmd/workflow-controller
  # The CRDs the tests install come from the same module version.
  rm -rf "$OUT/argo-crds"; cp -r "$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)/manifests/base/crds" "$OUT/argo-crds"; chmod -R u+w "$OUT/argo-crds"
}

build_kwok() {
  have kwok && return
  mkdir -p "$W/kwok"; cd "$W/kwok"
  if [ ! -f go.sum ]; then
    printf 'module local/kwokbuild\n\ngo 1.26.0\n\nrequire sigs.k8s.io/kwok %s\n' $KWOK > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kwok/cmd/kwok"\n' > tools.go
    go mod tidy
  fi
  log "building kwok $KWOK"; go build -trimpath -ldflags="-s -w" -o "$B/kwok" sigs.k8s.io/kwok/cmd/kwok
}

build_argocd() {
  have argocd && return
  mkdir -p "$W/argocd"; cd "$W/argocd"
  if [ ! -f go.sum ]; then
    M=$(go mod download -json github.com/argoproj/argo-cd/v3@$ARGOCD | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
    # Copy every replace of Argo CD's own go.mod except local paths (they cannot be wrapped).
    { echo "module local/argocdbuild"; echo; echo "go $(awk '/^go /{print $2}' "$M")"; echo; echo "require github.com/argoproj/argo-cd/v3 $ARGOCD"; echo;
      echo "replace ("; sed -n '/^replace (/,/^)/p' "$M" | grep '=>' | grep -v '=> \.'; echo ")"; } > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/argoproj/argo-cd/v3/cmd"\n' > tools.go
    go mod tidy
  fi
  log "building argocd $ARGOCD"
  go build -trimpath -ldflags="-s -w -X github.com/argoproj/argo-cd/v3/common.version=${ARGOCD#v} -X github.com/argoproj/argo-cd/v3/common.gitTag=$ARGOCD" -o "$B/argocd.tmp" github.com/argoproj/argo-cd/v3/cmd
  mv "$B/argocd.tmp" "$B/argocd"
  for n in argocd-applicationset-controller argocd-application-controller argocd-repo-server; do ln -sf argocd "$B/$n"; done
  rm -rf "$OUT/argocd-crds"; mkdir -p "$OUT/argocd-crds"
  cp "$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)"/manifests/crds/*-crd.yaml "$OUT/argocd-crds/"; chmod -R u+w "$OUT/argocd-crds"
}

build_helm() {
  have helm && return
  mkdir -p "$W/helm"; cd "$W/helm"
  if [ ! -f go.sum ]; then
    printf 'module local/helmbuild\n\ngo 1.24.0\n\nrequire helm.sh/helm/v3 %s\n' $HELM > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' > tools.go
    go mod tidy
  fi
  log "building helm $HELM"
  go build -trimpath -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM -X helm.sh/helm/v3/internal/version.gitTreeState=clean" -o "$B/helm" helm.sh/helm/v3/cmd/helm
}

T0=$(date +%s)
build_etcd; build_k8s; build_argo; build_kwok; build_helm; build_argocd
log "ready in $(( $(date +%s) - T0 ))s: $B"
echo "$B"
