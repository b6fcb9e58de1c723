#!/usr/bin/env bash
# Builds the local test images from Debian's busybox-static, with bash-static as /bin/bash: no
# registry is reachable here.
# Usage: bash tools/test-images.sh [--force]
set -euo pipefail

IMAGE="tork/busybox:latest"
# Stand-ins for the images the seed README's examples name.
ALIASES=("ubuntu:mantic" "alpine:3.18.3" "busybox:latest")
BUSYBOX="${BUSYBOX:-/bin/busybox}"
BASH_STATIC="${BASH_STATIC:-/bin/bash-static}"
# Bump when the image's content changes: an image with another version is rebuilt without --force.
VERSION=2
VERSION_LABEL="tork.test-image.version"

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help)
      echo "usage: $0 [--force]"
      exit 0
      ;;
    *)
      echo "unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

has_image() {
  [[ "$(docker image inspect --format "{{index .Config.Labels \"$VERSION_LABEL\"}}" "$1" 2>/dev/null)" == "$VERSION" ]]
}

if [[ "$force" == false ]]; then
  missing=false
  for name in "$IMAGE" "${ALIASES[@]}"; do
    has_image "$name" || missing=true
  done
  if [[ "$missing" == false ]]; then
    echo "test images present at version $VERSION ($IMAGE ${ALIASES[*]}); use --force to rebuild"
    exit 0
  fi
fi

if [[ ! -x "$BUSYBOX" ]]; then
  echo "$BUSYBOX not found: install it with 'apt-get install -y busybox-static'" >&2
  exit 1
fi
# A dynamically linked busybox would need its libraries inside the image.
if command -v file >/dev/null 2>&1 && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  echo "$BUSYBOX is not statically linked: install busybox-static" >&2
  exit 1
fi

if [[ ! -x "$BASH_STATIC" ]]; then
  echo "$BASH_STATIC not found: install it with 'apt-get install -y bash-static'" >&2
  exit 1
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
# Every applet lives in /bin so PATH lookups need no /usr or /sbin.
for applet in $("$rootfs/bin/busybox" --list); do
  [[ "$applet" == busybox ]] && continue
  ln -sf busybox "$rootfs/bin/$applet"
done
# Tasks may run their script through `entrypoint: ["bash", "-c"]`.
rm -f "$rootfs/bin/bash" # busybox may have linked its own applet here
cp "$BASH_STATIC" "$rootfs/bin/bash"
chmod 0755 "$rootfs/bin/bash"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
  docker import \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["/bin/sh"]' \
    --change "LABEL $VERSION_LABEL=$VERSION" \
    --message "tork test image from $("$BUSYBOX" | head -n 1)" \
    - "$IMAGE" >/dev/null

for name in "${ALIASES[@]}"; do
  docker tag "$IMAGE" "$name"
done
echo "built $IMAGE and tagged ${ALIASES[*]}"
