#!/usr/bin/env bash
# Build the Debian 12 systemd image that the Molecule scenarios run on, or
# load it from the cached tar. No registry can be reached from CI, so the root
# filesystem is bootstrapped from the machine's own Debian mirror, which is
# read from the apt sources at run time rather than written down here.
#
# usage: scripts/build-test-image.sh [IMAGE_NAME]
set -euo pipefail
cd "$(dirname "$0")/.."

image=${1:-csvdrop-molecule-bookworm:latest}
cache_dir=.tools/images
rootfs_tar=$cache_dir/bookworm-systemd-rootfs.tar

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "build-test-image: $image already loaded"
  exit 0
fi

mirror_of() {
  # The first URI of the deb822 stanza whose Suites name the given suite.
  local suite=$1
  awk -v suite="$suite" '
    /^[[:space:]]*$/ { uri = ""; suites = ""; next }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { suites = $0 }
    uri != "" && suites != "" {
      n = split(suites, parts, /[[:space:]]+/)
      for (i = 2; i <= n; i++) if (parts[i] == suite) { print uri; exit }
    }
  ' /etc/apt/sources.list.d/*.sources
}

if [ ! -s "$rootfs_tar" ]; then
  main_mirror=$(mirror_of bookworm)
  security_mirror=$(mirror_of bookworm-security)
  if [ -z "$main_mirror" ]; then
    echo "build-test-image: no bookworm mirror in /etc/apt/sources.list.d/*.sources" >&2
    exit 1
  fi
  mkdir -p "$cache_dir"
  sources=("deb $main_mirror bookworm main" "deb $main_mirror bookworm-updates main")
  if [ -n "$security_mirror" ]; then
    sources+=("deb $security_mirror bookworm-security main")
  fi
  echo "build-test-image: bootstrapping a bookworm root filesystem"
  # The package lists are removed so that the image stays small; the roles
  # refresh the apt cache themselves, as they must on any fresh host.
  mmdebstrap --variant=minbase --format=tar --quiet \
    --include=python3,systemd,systemd-sysv,sudo,ca-certificates,iproute2,procps \
    --customize-hook='rm -f "$1"/etc/machine-id; touch "$1"/etc/machine-id' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
    bookworm "$rootfs_tar.partial" "${sources[@]}"
  mv "$rootfs_tar.partial" "$rootfs_tar"
fi

docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  "$rootfs_tar" "$image" >/dev/null
echo "build-test-image: imported $image from $rootfs_tar"
