#!/usr/bin/env bash
# Builds the Lua health-check runner (test/argocd/lua-runner/main.go) against
# github.com/yuin/gopher-lua v1.1.2, the Lua Argo CD embeds, from the Go module proxy, into a
# cache outside the repository. Prints the binary's path as the last line of stdout.
#
# The go.mod lives here as go.mod.txt so the repository holds no Go module of its own (tools
# that walk the tree would pick it up); the build copies both files into the cache.
#
# Environment: KELOS_LUA_RUNNER_CACHE (default $HOME/.cache/kelos-lua-runner).
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -mod=mod"
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null 2>&1 || { echo "go not found (expected Go 1.26 at /usr/local/go)" >&2; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${KELOS_LUA_RUNNER_CACHE:-$HOME/.cache/kelos-lua-runner}"
SUM="$(cat "$HERE/main.go" "$HERE/go.mod.txt" | sha256sum | cut -c1-16)"
BIN="$CACHE/lua-health-runner-$SUM-$(go env GOVERSION)"
if [[ ! -x "$BIN" ]]; then
  SRC="$CACHE/src-$SUM"
  mkdir -p "$SRC"
  cp "$HERE/main.go" "$SRC/main.go"
  cp "$HERE/go.mod.txt" "$SRC/go.mod"
  (cd "$SRC" && go mod tidy >&2 && go build -trimpath -o "$BIN.tmp" . >&2)
  mv "$BIN.tmp" "$BIN"
fi
echo "$BIN"
