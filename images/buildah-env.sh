# Sourced by images/build.sh and images/local-base.sh: the tools, and one buildah storage.
#
# buildah runs without a daemon: as root, with the vfs storage driver (no overlay mounts
# needed) and chroot isolation (no runc, no cgroups), which works on a plain VM and in a CI
# runner. Everything it stores lives under $KELOS_IMAGES_CACHE, so a rerun reuses bases and
# unchanged images, and a CI cache of that directory carries them between runs.

KELOS_IMAGES_CACHE="${KELOS_IMAGES_CACHE:-$HOME/.cache/kelos-images}"
export KELOS_IMAGES_CACHE
BUILDAH_STORAGE=(--root "$KELOS_IMAGES_CACHE/storage" --runroot "$KELOS_IMAGES_CACHE/run" --storage-driver vfs)

log() { echo "images: $*" >&2; }
die() {
  echo "images: $*" >&2
  exit 1
}

bh() { buildah "${BUILDAH_STORAGE[@]}" "$@"; }
has_image() { bh inspect --type image "$1" >/dev/null 2>&1; }

# The tools come from Debian packages. A fresh machine (CI) gets them here; when they can be
# neither found nor installed the build fails: the image tests never skip.
ensure_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v strip >/dev/null || missing+=(binutils)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  if ! { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    --no-install-recommends "${missing[@]}" uidmap; } >&2; then
    die "cannot install ${missing[*]}: install them (Debian packages) and rerun"
  fi
}
ensure_tools
