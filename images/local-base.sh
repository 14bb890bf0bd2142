#!/usr/bin/env bash
# Assembles the two base images the Dockerfiles' default bases stand for, from Debian
# packages and the Node binary the npm `node` package ships, for machines that cannot pull
# from a container registry (the tests, CI). Called by images/build.sh --local-base; prints
# the image names as shell assignments:
#
#   NODE_BASE=localhost/kelos-base/node-bookworm:<key>     stands for node:24-bookworm-slim
#   DISTROLESS_BASE=localhost/kelos-base/node-distroless:<key>
#                                                         stands for distroless/nodejs24
#
# node-bookworm: `mmdebstrap --variant=minbase` Debian bookworm (apt, dpkg, a shell) with
#   Node in /usr/local/bin and npm in /usr/local/lib/node_modules, as in the node image.
# node-distroless: glibc, libstdc++ and libgcc only (`--variant=extract`, no package
#   manager, no shell), Node at /nodejs/bin/node, users root and nonroot (65532), as in
#   distroless.
#
# Each is built once per key (this script, the Node binary, the npm version, the suite) and
# kept in the buildah storage under $KELOS_IMAGES_CACHE (~/.cache/kelos-images).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=images/buildah-env.sh
. "$here/buildah-env.sh"

SUITE=bookworm
NPM_VERSION=11.6.2
MIRRORS=(
  "deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main"
)

node_bin="$root/node_modules/node/bin/node"
[ -x "$node_bin" ] || die "no Node binary at $node_bin: run npm ci first (the npm 'node' package ships it)"

key="$( { sha256sum "$0" "$node_bin" | cut -d' ' -f1; echo "$NPM_VERSION $SUITE"; } | sha256sum | cut -c1-16)"
node_base="localhost/kelos-base/node-bookworm:$key"
distroless_base="localhost/kelos-base/node-distroless:$key"

work="$(mktemp -d "${TMPDIR:-/tmp}/kelos-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Node without its debug symbols: 108 MB instead of 127 MB, and it runs the same.
node_stripped() {
  if [ ! -e "$work/node" ]; then
    cp "$node_bin" "$work/node"
    strip --strip-all "$work/node"
  fi
  echo "$work/node"
}

# Imports a root filesystem directory as a one-layer image.
import_rootfs() {
  local dir=$1 image=$2 user=$3
  shift 3
  tar --numeric-owner -C "$dir" --exclude='./dev/*' -cf "$work/rootfs.tar" .
  local ctr
  ctr="$(bh from scratch)"
  bh add "$ctr" "$work/rootfs.tar" / >/dev/null
  bh config --user "$user" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" "$ctr"
  bh commit -q --rm "$ctr" "$image" >/dev/null
  rm -f "$work/rootfs.tar"
}

if ! has_image "$node_base"; then
  log "assembling $node_base (mmdebstrap minbase $SUITE, Node, npm $NPM_VERSION)"
  (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  mmdebstrap --quiet --variant=minbase --format=directory \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "$SUITE" "$work/rootfs" "${MIRRORS[@]}"
  # As Debian's own images do (docker-clean): apt keeps no downloaded package, so an
  # `apt-get install` in a Dockerfile adds only what it installs.
  cat >"$work/rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
  install -m 0755 "$(node_stripped)" "$work/rootfs/usr/local/bin/node"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-*.tgz --strip-components=1 -C "$work/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb
  import_rootfs "$work/rootfs" "$node_base" 0:0 --cmd node
  rm -rf "$work/rootfs"
fi

if ! has_image "$distroless_base"; then
  log "assembling $distroless_base (glibc, libstdc++, Node)"
  mmdebstrap --quiet --variant=extract --format=directory --include=libc6,libstdc++6,libgcc-s1 \
    "$SUITE" "$work/rootfs" "${MIRRORS[@]}"
  r="$work/rootfs"
  # What distroless leaves out as well: the package manager's state, docs, charset
  # converters, glibc's tools.
  rm -rf "$r/var/lib/apt" "$r/var/cache/apt" "$r/var/lib/dpkg" "$r/etc/apt" "$r/etc/dpkg" \
    "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/locale" "$r/usr/share/lintian" \
    "$r/usr/lib/x86_64-linux-gnu/gconv" "$r/usr/bin" "$r/usr/sbin" "$r/sbin" "$r/usr/libexec"
  install -d -m 1777 "$r/tmp"
  install -d -m 0700 -o 65532 -g 65532 "$r/home/nonroot"
  install -d -m 0755 "$r/nodejs/bin"
  install -m 0755 "$(node_stripped)" "$r/nodejs/bin/node"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$r/etc/group"
  import_rootfs "$r" "$distroless_base" 65532:65532 --entrypoint '["/nodejs/bin/node"]'
  rm -rf "$r"
fi

echo "NODE_BASE=$node_base"
echo "DISTROLESS_BASE=$distroless_base"
