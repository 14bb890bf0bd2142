#!/usr/bin/env bash
# Builds the Kelos images with buildah, from the repository root, without a Docker engine:
#
#   images/build.sh [--local-base] [operator] [agent-base]     (default: both)
#
#   KELOS_IMAGE_PREFIX   registry/repository of our images (default ghcr.io/kelos-ts)
#   KELOS_IMAGE_TAG      tag (default v<version> of package.json, as every Kelos artifact)
#   KELOS_IMAGES_CACHE   buildah storage and caches (default ~/.cache/kelos-images)
#   SOURCE_DATE_EPOCH    when set, the image's created time and every file in its layers get
#                        this timestamp (buildah --timestamp), so a rebuild of the same inputs
#                        gives the same layers and digest (the release builds with 0)
#
# --local-base builds on bases assembled here from Debian packages and the npm `node`
# package (images/local-base.sh) instead of the pinned public images the Dockerfiles name,
# for machines that cannot pull from a registry; the agent base is then built without gh,
# whose apt repository is not Debian's. Without it, buildah pulls the default bases.
#
# Both images run the JavaScript `npm run build` emits into lib/, which is built first.
#
# An image whose inputs (Dockerfile, the files it copies, base, build arguments) are
# unchanged is not rebuilt: each build is also tagged localhost/kelos-build/<name>:<hash of
# the inputs>. Prints one line per image: `<name> <image> <uncompressed bytes> <built|cached>`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=images/buildah-env.sh
. "$here/buildah-env.sh"
cd "$root"

prefix="${KELOS_IMAGE_PREFIX:-ghcr.io/kelos-ts}"
tag="${KELOS_IMAGE_TAG:-v$(node -p 'require("./package.json").version')}"
local_base=false
names=()
for arg in "$@"; do
  case "$arg" in
    --local-base) local_base=true ;;
    operator | agent-base) names+=("$arg") ;;
    *) die "unknown argument: $arg (expected --local-base, operator, agent-base)" ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(operator agent-base)

NODE_BASE='' DISTROLESS_BASE=''
if $local_base; then
  eval "$("$here/local-base.sh")"
fi

# Files a Dockerfile copies from the build context (`COPY` without `--from`), hashed.
context_hash() {
  local dockerfile=$1
  awk '/^COPY[ \t]/ && !/--from=/ { n = 0; for (i = 2; i <= NF; i++) if ($i !~ /^--/) a[++n] = $i; for (i = 1; i < n; i++) print a[i] }' "$dockerfile" |
    sort -u | while read -r src; do find "$src" -type f; done | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64
}

# Uncompressed size: the layers of an image in containers-storage are stored as plain tars.
image_bytes() {
  skopeo inspect --raw "containers-storage:[vfs@$KELOS_IMAGES_CACHE/storage+$KELOS_IMAGES_CACHE/run]$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).layers.reduce((n,l)=>n+l.size,0)))'
}

# The host's npm registry and extra CA bundle, for `npm ci` in the build (a registry mirror,
# a TLS-intercepting proxy). Not part of the inputs: they change how packages are fetched,
# not which (the lockfile pins them).
npm_access() {
  local registry ca
  registry="$(npm config get registry 2>/dev/null || true)"
  ca="$(npm config get cafile 2>/dev/null || true)"
  case "$ca" in null | undefined | '') ca="${NODE_EXTRA_CA_CERTS:-}" ;; esac
  [ -n "$registry" ] && fetch+=(--build-arg "npm_config_registry=$registry")
  if [ -n "$ca" ] && [ -f "$ca" ]; then
    fetch+=(--volume "$ca:/run/kelos-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/kelos-build-ca.crt)
  fi
}

build() {
  local name=$1 dockerfile image args=() fetch=()
  case "$name" in
    operator)
      dockerfile=images/operator.Dockerfile
      image="$prefix/kelos-operator:$tag"
      $local_base && args+=(--build-arg "BUILD_BASE=$NODE_BASE" --build-arg "BASE=$DISTROLESS_BASE")
      npm_access
      ;;
    agent-base)
      dockerfile=images/agent-base.Dockerfile
      image="$prefix/agent-base:$tag"
      $local_base && args+=(--build-arg "BASE=$NODE_BASE" --build-arg INSTALL_GH=false)
      ;;
  esac
  [ -n "${SOURCE_DATE_EPOCH:-}" ] && args+=(--timestamp "$SOURCE_DATE_EPOCH")
  local inputs
  inputs="$({ sha256sum "$dockerfile" | cut -d' ' -f1; context_hash "$dockerfile"; printf '%s\n' "${args[@]}"; } | sha256sum | cut -c1-24)"
  local cache="localhost/kelos-build/$name:$inputs" how=cached
  if ! has_image "$cache"; then
    log "building $image from $dockerfile"
    bh bud --isolation chroot --network host -f "$dockerfile" "${args[@]}" "${fetch[@]}" \
      --label "dev.kelos.inputs=$inputs" -t "$cache" . >&2
    how=built
  fi
  bh tag "$cache" "$image"
  echo "$name $image $(image_bytes "$image") $how"
}

# The images run the JavaScript in lib/ (`npm run build`, scripts/build.ts), so it is built
# first; skipped when its inputs are the ones lib/ was last built from (tsc takes ~25 s).
build_lib() {
  local inputs stamp=lib/.build-inputs
  inputs="$(find src constructs policies -type f | LC_ALL=C sort |
    xargs sha256sum tsconfig.json tsconfig.build.json scripts/build.ts package-lock.json | sha256sum | cut -c1-64)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then return; fi
  log "building lib/ (npm run build)"
  npm run --silent build >&2
  echo "$inputs" >"$stamp"
}

build_lib
for n in "${names[@]}"; do build "$n"; done
