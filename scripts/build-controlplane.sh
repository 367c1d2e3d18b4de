#!/usr/bin/env bash
# Builds the real Kubernetes control plane the end-to-end tests run on: kube-apiserver and
# kube-controller-manager from k8s.io/kubernetes, and etcd from go.etcd.io/etcd, at the
# versions pinned in tools/controlplane/go.mod. The binaries go to a cache shared by every
# clone on the machine, keyed by those versions and the Go version, so a second clone (or
# CI in a fresh clone) reuses them. Prints the directory on its last line.
set -euo pipefail
cd "$(dirname "$0")/../tools/controlplane"

version_of() { awk -v m="$1" '$1 == m { print $2; exit }' go.mod; }
k8s=$(version_of k8s.io/kubernetes)
etcd=$(version_of go.etcd.io/etcd/server/v3)
gover=$(go env GOVERSION)
cache_root=${KEYFERRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keyferry}
dest="$cache_root/controlplane/kubernetes-$k8s-etcd-$etcd-$gover"
bins=(kube-apiserver kube-controller-manager etcd)

missing=()
for b in "${bins[@]}"; do [ -x "$dest/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "control plane: Kubernetes $k8s, etcd $etcd: cached (warm, 0 s)" >&2
  echo "$dest"
  exit 0
fi

mkdir -p "$dest"
# One build at a time per cache entry: parallel test runs or clones wait for the first.
exec 9>"$dest.lock"
flock 9
missing=()
for b in "${bins[@]}"; do [ -x "$dest/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "control plane: Kubernetes $k8s, etcd $etcd: cached (built by a concurrent run)" >&2
  echo "$dest"
  exit 0
fi
start=$(date +%s)
echo "control plane: building Kubernetes $k8s and etcd $etcd with $gover into $dest (cold build: ~20 min on 2 cores)" >&2
echo "control plane: downloading modules" >&2
go mod download
i=0
for b in "${missing[@]}"; do
  i=$((i + 1))
  ldflags=-s
  case "$b" in
    etcd) pkg=./etcd ;;
    *)
      pkg=k8s.io/kubernetes/cmd/$b
      # What `hack/lib/version.sh` stamps in a release build, so /version and kubectl report the release.
      minor=${k8s#v1.}; minor=${minor%%.*}
      for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $v.gitVersion=$k8s -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
      done ;;
  esac
  echo "control plane: [$i/${#missing[@]}] building $b ($(( $(date +%s) - start )) s so far)" >&2
  # -v names each package as it compiles; print a count every 200 so progress stays readable.
  go build -ldflags="$ldflags" -v -o "$dest/$b.tmp" "$pkg" 2>&1 \
    | awk -v b="$b" '{ n++ } n % 200 == 0 { printf "control plane:   %s: %d packages compiled\n", b, n > "/dev/stderr" } /^#|error|cannot/ { print > "/dev/stderr" }'
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || { echo "control plane: building $b failed" >&2; exit "$status"; }
  mv "$dest/$b.tmp" "$dest/$b"
done
echo "control plane: built in $(( $(date +%s) - start )) s (cold)" >&2
echo "$dest"
