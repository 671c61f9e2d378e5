#!/usr/bin/env bash
# Builds the local control plane the integration tests run (make testenv; make test runs it
# before any test binary that needs it). Everything comes from the Go module proxy, built
# from two wrapper modules committed beside this script, each with its go.sum:
#   stack/  Kubernetes 1.37 (kube-apiserver, kube-controller-manager, kube-scheduler,
#           kubectl), etcd and kwok: one version set, the one appflowc's client-go uses,
#           so the packages they share compile once.
#   argo/   Argo Workflows' controller, Argo CD (only the three components the tests run)
#           and helm, on the Kubernetes 1.34 libraries Argo CD pins (Argo's controller
#           does not compile against 1.35+: its gRPC gateway needs gogo-protobuf types).
# The binaries land in a cache keyed on the modules' content and the Go version; a cache
# hit returns at once.
#
#   hack/testenv/build.sh            build what is missing, print the bin dir last
#   hack/testenv/build.sh --print    print the bin dir only (no build)
#   hack/testenv/build.sh --built    exit 0 if it is built, 1 if not (no build)
#
# Needs: go. Cold (empty module and build caches): ~15-20 min on 2 cores; warm: <1 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Bump when how the binaries are built changes (flags, layout) without the modules changing.
LAYOUT=2
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOWORK=off
key=$( { echo "layout $LAYOUT"; go env GOVERSION GOOS GOARCH
  for m in stack argo; do (cd "$here/$m" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort | xargs cat); done; } | sha256sum | cut -c1-16)
CACHE=${APPFLOWC_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appflowc/testenv}
OUT=$CACHE/$key; B=$OUT/bin; LOGS=$OUT/logs
if [ "${1:-}" = "--print" ]; then echo "$B"; exit 0; fi
if [ "${1:-}" = "--built" ]; then [ -f "$OUT/complete" ]; exit; fi
if [ -f "$OUT/complete" ]; then echo "$B"; exit 0; fi
mkdir -p "$B" "$LOGS"

# name|module dir|package|ldflags (@MOD@ is replaced with the version of the module named)
components=(
  "etcd-embed|stack|./etcd-embed|"
  "kube-apiserver|stack|k8s.io/kubernetes/cmd/kube-apiserver|@K8S@"
  "kube-controller-manager|stack|k8s.io/kubernetes/cmd/kube-controller-manager|@K8S@"
  "kube-scheduler|stack|k8s.io/kubernetes/cmd/kube-scheduler|@K8S@"
  "kubectl|stack|k8s.io/kubernetes/cmd/kubectl|@K8S@"
  "kwok|stack|sigs.k8s.io/kwok/cmd/kwok|"
  "workflow-controller|argo|github.com/argoproj/argo-workflows/v3/cmd/workflow-controller|-X github.com/argoproj/argo-workflows/v3.version=@github.com/argoproj/argo-workflows/v3@"
  "helm|argo|helm.sh/helm/v3/cmd/helm|-X helm.sh/helm/v3/internal/version.version=@helm.sh/helm/v3@ -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  "argocd|argo|./argocd|-X github.com/argoproj/argo-cd/v3/common.version=@github.com/argoproj/argo-cd/v3@"
)
total=${#components[@]}
T0=$(date +%s)
tty=false; [ -t 2 ] && tty=true
log() { $tty && printf '\r\033[K' >&2; echo "testenv: $*" >&2; }
fmt_t() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The job being waited on runs in its own process group (job control), so an interrupt of
# make (SIGINT, SIGTERM, SIGHUP) ends go and the compilers and linkers it started.
set -m
job=
cleanup() { [ -n "$job" ] && kill -TERM -- "-$job" 2>/dev/null; [ -n "$job" ] && wait "$job" 2>/dev/null; }
trap 'log "interrupted; stopping the build"; cleanup; exit 130' INT TERM HUP

# run NAME WHAT LOG CMD...: runs CMD with its output in LOG, printing progress (lines of
# LOG, counted as WHAT; elapsed time) until it ends; on failure names the step and shows
# the log's tail.
run() {
  local name=$1 what=$2 logf=$3; shift 3
  local t0 now pk
  t0=$(date +%s)
  "$@" >"$logf" 2>&1 &
  job=$!
  local last=$t0
  while kill -0 "$job" 2>/dev/null; do
    sleep 2 & wait $! || true
    now=$(date +%s)
    pk=$(grep -c -v -e '^go: ' -e '^#' "$logf" 2>/dev/null || true)
    if $tty; then
      printf '\r\033[K  %s: %s %s, %s (total %s)' "$name" "$pk" "$what" "$(fmt_t $((now - t0)))" "$(fmt_t $((now - T0)))" >&2
    elif [ $((now - last)) -ge 60 ]; then
      echo "testenv:   $name: $pk $what, $(fmt_t $((now - t0))) (total $(fmt_t $((now - T0))))" >&2
      last=$now
    fi
  done
  if ! wait "$job"; then
    job=
    log "FAILED: $name after $(fmt_t $(($(date +%s) - t0))); last lines of $logf:"
    tail -n 30 "$logf" | sed 's/^/  | /' >&2
    exit 1
  fi
  job=
}

version() { go -C "$here/$1" list -m -f '{{.Version}}' "$2"; }

log "building the local control plane into $OUT ($total components; logs in $LOGS)"
for m in stack argo; do
  # Fetch exactly the modules the builds need (go.sum pins them), as one visible step.
  pkgs=$(for c in "${components[@]}"; do IFS='|' read -r _ mod pkg _ <<<"$c"; if [ "$mod" = "$m" ]; then echo "$pkg"; fi; done)
  log "[$m] downloading modules"
  # shellcheck disable=SC2086
  run "download ($m)" "packages resolved" "$LOGS/download-$m.log" go -C "$here/$m" list -deps $pkgs
done
K8SV=$(version stack k8s.io/kubernetes); K8SMINOR=$(echo "${K8SV#v}" | cut -d. -f2)
K8SLD="-X k8s.io/component-base/version.gitVersion=$K8SV -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$K8SMINOR -X k8s.io/client-go/pkg/version.gitVersion=$K8SV -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$K8SMINOR"
i=0
for c in "${components[@]}"; do
  i=$((i + 1))
  IFS='|' read -r name mod pkg ld <<<"$c"
  if [ -x "$B/$name" ]; then log "[$i/$total] $name: cached"; continue; fi
  ld=${ld//@K8S@/$K8SLD}
  while [[ $ld =~ @([^@ ]+)@ ]]; do ld=${ld//${BASH_REMATCH[0]}/$(version "$mod" "${BASH_REMATCH[1]}")}; done
  rest=$(for r in "${components[@]:$i}"; do printf "%s " "${r%%|*}"; done)
  rest=${rest% }
  log "[$i/$total] building $name (then: ${rest:-nothing}; log: $LOGS/$name.log)"
  t1=$(date +%s)
  run "$name" "packages compiled" "$LOGS/$name.log" go -C "$here/$mod" build -v -ldflags "-s -w $ld" -o "$B/$name.tmp" "$pkg"
  mv "$B/$name.tmp" "$B/$name"
  log "[$i/$total] $name built in $(fmt_t $(($(date +%s) - t1))) (total $(fmt_t $(($(date +%s) - T0))))"
done
for n in argocd-applicationset-controller argocd-application-controller argocd-repo-server; do ln -sf argocd "$B/$n"; done

# The CRDs the stack installs come from the same module versions as the controllers.
moddir() { go -C "$here/argo" list -m -f '{{.Dir}}' "$1"; }
rm -rf "$OUT/argo-crds" "$OUT/argocd-crds"; mkdir -p "$OUT/argocd-crds"
cp -r "$(moddir github.com/argoproj/argo-workflows/v3)/manifests/base/crds" "$OUT/argo-crds"
cp "$(moddir github.com/argoproj/argo-cd/v3)"/manifests/crds/*-crd.yaml "$OUT/argocd-crds/"
chmod -R u+w "$OUT/argo-crds" "$OUT/argocd-crds"
touch "$OUT/complete"
log "ready in $(fmt_t $(($(date +%s) - T0))): $B"
echo "$B"
