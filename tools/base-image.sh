#!/usr/bin/env bash
# Makes tork/node-base:local, a stand-in for the official Node image where no registry is reachable:
# Debian bookworm (debootstrap --variant=minbase, from the mirror apt uses) plus this machine's node,
# npm and npx in /usr/local, a `node` user (uid 1000) as in the official images, and this machine's
# CA bundle (so npm inside `docker build` works behind a TLS-inspecting proxy).
# Build the images on it with: docker build --build-arg BASE_IMAGE=tork/node-base:local ...
#
# Usage: bash tools/base-image.sh [--force]
#   --force  import the image again (the debootstrap rootfs stays cached in .cache/base-image;
#            delete that directory to download it again)
# Env: BASE_IMAGE_NAME (default tork/node-base:local), DEBIAN_MIRROR (default: apt's bookworm mirror)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${BASE_IMAGE_NAME:-tork/node-base:local}"
SUITE="bookworm"
CACHE_DIR="$ROOT/.cache/base-image"
SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help)
      sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
node_version="${node_version#v}"

# The image is current when it carries this machine's node version.
if [[ "$force" == false ]] &&
  [[ "$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" 2>/dev/null |
    grep '^NODE_VERSION=' || true)" == "NODE_VERSION=$node_version" ]]; then
  echo "$IMAGE present (node $node_version); use --force to rebuild"
  exit 0
fi

# The first deb URI apt uses for the suite: deb822 *.sources files, then one-line *.list files.
apt_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$file" ]] || continue
    # One stanza per paragraph: "Types: deb", "URIs: URI...", "Suites: SUITE...".
    awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
      {
        types = suites = uri = ""
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^#/) continue
          gsub(/[ \t]+/, " ", line)
          if (sub(/^Types: ?/, "", line)) types = " " line " "
          else if (sub(/^Suites: ?/, "", line)) suites = " " line " "
          else if (sub(/^URIs: ?/, "", line)) { split(line, uris, " "); uri = uris[1] }
        }
        if (index(types, " deb ") && index(suites, " " suite " ") && uri != "") print uri
      }' "$file"
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$file" ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' "$file" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

arch="$(dpkg --print-architecture)"
rootfs_tar="$CACHE_DIR/$SUITE-minbase-$arch.tar"
work="$(mktemp -d)"
trap '$SUDO rm -rf "$work"' EXIT

if [[ ! -f "$rootfs_tar" ]]; then
  if ! command -v debootstrap >/dev/null 2>&1 && [[ ! -x /usr/sbin/debootstrap ]]; then
    echo "debootstrap not found: install it with 'apt-get install -y debootstrap'" >&2
    exit 1
  fi
  mirror="${DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}"
  if [[ -z "$mirror" ]]; then
    echo "no deb source for $SUITE in /etc/apt: set DEBIAN_MIRROR" >&2
    exit 1
  fi
  echo "debootstrap --variant=minbase $SUITE from $mirror"
  $SUDO debootstrap --variant=minbase --arch="$arch" "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  # What an image never needs: package caches and lists, docs, man pages, logs.
  $SUDO rm -rf "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/cache/apt/archives/*.deb \
    "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* \
    "$work"/rootfs/usr/share/info/* "$work"/rootfs/var/log/*.log "$work"/rootfs/var/log/apt/*
  mkdir -p "$CACHE_DIR"
  $SUDO tar -C "$work/rootfs" --numeric-owner -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$rootfs_tar"
  $SUDO rm -rf "$work/rootfs"
  echo "cached the rootfs in ${rootfs_tar#"$ROOT"/}"
fi

rootfs="$work/rootfs"
mkdir -p "$rootfs"
$SUDO tar -C "$rootfs" --numeric-owner -xpf "$rootfs_tar"

# node, npm and npx where the official images keep them.
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
$SUDO install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
$SUDO mkdir -p "$rootfs/usr/local/lib/node_modules"
$SUDO cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
$SUDO rm -rf "$rootfs/usr/local/lib/node_modules/npm/docs" "$rootfs/usr/local/lib/node_modules/npm/man"
$SUDO ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
$SUDO ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The official images' unprivileged user.
if ! grep -q '^node:' "$rootfs/etc/passwd"; then
  echo 'node:x:1000:1000::/home/node:/bin/sh' | $SUDO tee -a "$rootfs/etc/passwd" >/dev/null
  echo 'node:x:1000:' | $SUDO tee -a "$rootfs/etc/group" >/dev/null
  echo 'node:*:19000:0:99999:7:::' | $SUDO tee -a "$rootfs/etc/shadow" >/dev/null
fi
$SUDO install -d -o 1000 -g 1000 -m 0755 "$rootfs/home/node"

changes=(
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change "ENV NODE_VERSION=$node_version"
  --change 'CMD ["node"]'
)
# minbase has no ca-certificates: take the machine's bundle, which also trusts a local proxy's CA.
ca_bundle="/etc/ssl/certs/ca-certificates.crt"
if [[ -f "$ca_bundle" ]]; then
  $SUDO install -D -m 0644 "$ca_bundle" "$rootfs$ca_bundle"
  changes+=(--change "ENV NODE_EXTRA_CA_CERTS=$ca_bundle")
fi

$SUDO tar -C "$rootfs" --numeric-owner -c . |
  docker import "${changes[@]}" --message "debootstrap $SUITE minbase + node $node_version" - "$IMAGE" >/dev/null
echo "built $IMAGE (Debian $SUITE minbase, node $node_version, $(docker image inspect -f '{{.Size}}' "$IMAGE" |
  awk '{ printf "%d MB", $1 / 1000000 }'))"
