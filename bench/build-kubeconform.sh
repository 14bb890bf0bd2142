#!/usr/bin/env bash
# Builds kubeconform from the Go module proxy into a cache outside the repo and prints the
# binary's path on stdout. A second call reuses the cached binary. Progress and errors go
# to stderr; a non-zero exit means kubeconform could not be built (the reason is on stderr).
#
# Environment:
#   KELOS_BENCH_CACHE   cache directory (default: ~/.cache/kelos-bench)
#   KUBECONFORM_VERSION module version to build (default: latest)
#   GO                  the go binary (default: /usr/local/go/bin/go, else go on PATH)
set -euo pipefail

cache="${KELOS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kelos-bench}"
version="${KUBECONFORM_VERSION:-latest}"
bin="$cache/bin/kubeconform"
stamp="$cache/bin/kubeconform.version"

if [[ -x "$bin" && -f "$stamp" && ( "$version" == latest || "$(cat "$stamp")" == "$version" ) ]]; then
  echo "$bin"
  exit 0
fi

go="${GO:-/usr/local/go/bin/go}"
if [[ ! -x "$go" ]]; then
  go="$(command -v go || true)"
fi
if [[ -z "$go" ]]; then
  echo "build-kubeconform: no go toolchain (looked at /usr/local/go/bin/go and PATH)" >&2
  exit 1
fi

mkdir -p "$cache/bin" "$cache/gopath"
echo "build-kubeconform: building github.com/yannh/kubeconform/cmd/kubeconform@$version with $("$go" version)" >&2
# GOPATH in the cache keeps the module download out of the user's and the repo's trees;
# GOFLAGS=-mod=mod so that no vendor directory or workspace of the caller interferes.
(
  cd "$cache"
  GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPATH="$cache/gopath" GOBIN="$cache/bin" CGO_ENABLED=0 \
    "$go" install "github.com/yannh/kubeconform/cmd/kubeconform@$version" >&2
)
"$bin" -v >"$stamp" 2>/dev/null || echo "$version" >"$stamp"
echo "$bin"
