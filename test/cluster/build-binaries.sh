#!/usr/bin/env bash
# Builds the real control-plane binaries for the cluster test tier (kube-apiserver,
# kube-controller-manager and etcd) from the Go module proxy, into a cache outside the repo.
#
# Usage:
#   build-binaries.sh                         build if needed; print the binary dir as the last stdout line
#   build-binaries.sh --force                 rebuild even if the cached binaries look right
#   build-binaries.sh --print-env             print K8S_VERSION / ETCD_VERSION / GO_VERSION / BIN_DIR, build nothing
#   build-binaries.sh --print-k8s-module-dir  print the k8s.io/kubernetes module dir in the Go module cache
#                                             (downloads the module if needed; holds api/openapi-spec/v3/*.json)
#
# Environment:
#   KELOS_TESTENV_CACHE   cache root (default: $HOME/.cache/kelos-testenv)
#   KELOS_K8S_VERSION     Kubernetes release to build (default: the pin below)
#   KELOS_ETCD_VERSION    etcd release to build (default: the pin below)
#
# Progress and timings go to stderr so stdout stays machine-readable.
#
# Why wrapper modules: k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them
# with replace directives that only apply inside its own repo, so `go install ...@v1.x` cannot
# work. A throwaway module that replaces each staging module with its published v0.<minor>.<patch>
# tag resolves entirely through the proxy. etcd's server module has the same problem.
set -euo pipefail

# Pinned releases. 1.36 is the line whose go.mod matches the Go 1.26 toolchain on our machines.
K8S_VERSION="${KELOS_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${KELOS_ETCD_VERSION:-v3.6.16}"

# Never let Go fetch a different toolchain: a release that needs a newer Go must fail loudly.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi

log() { printf '[build-binaries %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found (expected Go 1.26 at /usr/local/go)"
GO_VERSION="$(go env GOVERSION)"

CACHE_ROOT="${KELOS_TESTENV_CACHE:-$HOME/.cache/kelos-testenv}"
BIN_DIR="$CACHE_ROOT/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-${GO_VERSION}"

# Runs a step and reports its wall time, so slow CI builds can be diagnosed from the log.
step() {
  local name="$1"
  shift
  local start=$SECONDS
  log "step '$name' ..."
  "$@"
  log "step '$name' done in $((SECONDS - start))s"
}

# Prints the module cache dir of a module@version, downloading it if necessary.
module_dir() {
  local json
  # Run outside any module so the repo's own go.mod (if one ever appears) cannot interfere.
  json="$(cd / && go mod download -json "$1")" || die "go mod download $1 failed: $json"
  local dir
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$dir" && -d "$dir" ]] || die "could not find the module dir of $1 in: $json"
  printf '%s\n' "$dir"
}

# True when the binary exists and reports the wanted version.
has_version() {
  local bin="$1" want="$2"
  [[ -x "$bin" ]] || return 1
  local got
  # No `| head` here: with pipefail, a binary that prints more lines than head reads (etcd)
  # can die of SIGPIPE and make a good cache look stale.
  got="$("$bin" --version 2>&1)" || return 1
  [[ "$got" == *"$want"* ]]
}

binaries_ok() {
  has_version "$BIN_DIR/kube-apiserver" "Kubernetes $K8S_VERSION" &&
    has_version "$BIN_DIR/kube-controller-manager" "Kubernetes $K8S_VERSION" &&
    has_version "$BIN_DIR/etcd" "etcd Version: ${ETCD_VERSION#v}"
}

case "${1:-}" in
  --print-env)
    printf 'K8S_VERSION=%s\nETCD_VERSION=%s\nGO_VERSION=%s\nBIN_DIR=%s\n' \
      "$K8S_VERSION" "$ETCD_VERSION" "$GO_VERSION" "$BIN_DIR"
    exit 0
    ;;
  --print-k8s-module-dir)
    module_dir "k8s.io/kubernetes@$K8S_VERSION"
    exit 0
    ;;
  --force | "") ;;
  *) die "unknown argument: $1 (see the header of $0)" ;;
esac
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

mkdir -p "$CACHE_ROOT"
# Serialise builds: `npm run cluster:up` and a vitest run may both ask at once, and two
# cold builds on 2 cores would each take twice as long.
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build.lock; waiting"
  flock 9
fi

if [[ $FORCE == 0 ]] && binaries_ok; then
  log "cached binaries in $BIN_DIR report $K8S_VERSION / etcd $ETCD_VERSION; skipping build"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

# The caches take a few GB on a cold build; fail with a clear message instead of a half-written binary.
avail_kb="$(df -Pk "$CACHE_ROOT" | awk 'NR==2 {print $4}')"
(( avail_kb > 4 * 1024 * 1024 )) || die "less than 4 GiB free under $CACHE_ROOT (have $((avail_kb / 1024)) MiB)"

TOTAL_START=$SECONDS
log "building Kubernetes $K8S_VERSION + etcd $ETCD_VERSION with $GO_VERSION into $BIN_DIR"

WORK="$(mktemp -d "$CACHE_ROOT/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/out"
mkdir -p "$STAGE" "$WORK/k8s" "$WORK/etcd"

k8s_minor="${K8S_VERSION#v1.}"
k8s_minor="${k8s_minor%%.*}"
staging_version="v0.${K8S_VERSION#v1.}"

prepare_k8s_module() {
  local json gomod
  json="$(cd / && go mod download -json "k8s.io/kubernetes@$K8S_VERSION")" ||
    die "go mod download k8s.io/kubernetes@$K8S_VERSION failed: $json"
  gomod="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -f "$gomod" ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION in: $json"
  # The staging list drifts between releases (1.36 added streaming and cri-streaming), so
  # derive it from the release's own go.mod instead of hard-coding it.
  local staging
  staging="$(sed -e 's/^require[[:space:]]*//' "$gomod" |
    awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' | sort -u)"
  [[ -n "$staging" ]] || die "found no staging modules required at v0.0.0 in $gomod"
  log "replacing $(printf '%s\n' "$staging" | wc -l) staging modules with $staging_version"
  (
    cd "$WORK/k8s"
    go mod init local.test/kelos-testenv-k8s >/dev/null 2>&1
    local args=()
    for m in $staging; do args+=("-replace=$m=$m@$staging_version"); done
    go mod edit "${args[@]}"
    go get -tool \
      "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION"
    # Fetch exactly the modules the two commands import, so download time is reported
    # separately from compile time (plain `go mod download` would fetch test-only modules too).
    go list -deps k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager >/dev/null
  )
}

k8s_ldflags() {
  local date commit
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # The proxy records the release commit for most tags; fall back to nothing rather than a lie.
  commit="$(cd / && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)",\{0,1\}$/\1/p' | head -n1)" || true
  local flags="-s -w"
  # Both packages carry version vars, exactly as k/k's hack/lib/version.sh stamps them;
  # without them /version reports v0.0.0-master+$Format:%H$.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
    [[ -n "$commit" ]] && flags+=" -X $pkg.gitCommit=$commit"
  done
  printf '%s' "$flags"
}

build_k8s_binary() {
  (cd "$WORK/k8s" && go build -trimpath -ldflags "$(k8s_ldflags)" -o "$STAGE/$1" "k8s.io/kubernetes/cmd/$1")
}

prepare_etcd_module() {
  # A separate module, so etcd's own requirements cannot shift kube-apiserver's etcd client
  # versions through minimal version selection.
  (
    cd "$WORK/etcd"
    go mod init local.test/kelos-testenv-etcd >/dev/null 2>&1
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go list -deps go.etcd.io/etcd/server/v3 >/dev/null
  )
}

build_etcd() {
  # Name the output explicitly: the package path would otherwise name the binary "v3".
  (cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3)
}

step "resolve k8s.io/kubernetes@$K8S_VERSION modules" prepare_k8s_module
step "resolve go.etcd.io/etcd/server/v3@$ETCD_VERSION modules" prepare_etcd_module
step "build etcd" build_etcd
step "build kube-apiserver" build_k8s_binary kube-apiserver
step "build kube-controller-manager" build_k8s_binary kube-controller-manager

# Install only complete binaries, so an interrupted build never leaves a cache that looks valid.
mkdir -p "$BIN_DIR"
for b in etcd kube-apiserver kube-controller-manager; do
  mv -f "$STAGE/$b" "$BIN_DIR/$b"
done
binaries_ok || die "built binaries do not report the expected versions: $(
  "$BIN_DIR/kube-apiserver" --version 2>&1 | head -n1
) / $("$BIN_DIR/etcd" --version 2>&1 | head -n1)"

for b in etcd kube-apiserver kube-controller-manager; do
  log "$(du -h "$BIN_DIR/$b" | cut -f1)  $b  ($(stat -c %s "$BIN_DIR/$b") bytes)"
done
log "total build time $((SECONDS - TOTAL_START))s"
printf '%s\n' "$BIN_DIR"
