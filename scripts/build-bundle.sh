#!/usr/bin/env bash
# Pack the release bundle that a new instance boots from: the Ansible tree,
# the inventories, the release wheel from `make dist` and every dependency
# wheel, so that the boot installs exactly this release without a package
# index. The instance's user data unpacks it and runs
# ansible/playbooks/bootstrap.yml from its root.
#
# usage: scripts/build-bundle.sh [OUT_DIR]   (default: dist)
#   writes OUT_DIR/csvdrop-bundle-<version>.tar.gz; publish it as
#   releases/<version>/csvdrop-bundle.tar.gz in the releases bucket.
#
# The wheels are built for this machine's Python and platform, so build on
# the instances' own (Debian 12, Python 3.11, x86_64).
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=${1:-dist}

shopt -s nullglob
wheels=(dist/csvdrop-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ]; then
  echo "build-bundle: need exactly one dist/csvdrop-*.whl, found ${#wheels[@]}; run make dist" >&2
  exit 1
fi
wheel=${wheels[0]}
# A wheel's name is <name>-<version>-<tags>.whl.
version=$(basename "$wheel" | cut -d- -f2)

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/dist/wheelhouse"

# Molecule scenarios and caches are for testing the roles, not for running
# them on an instance.
tar --create --exclude=molecule --exclude=__pycache__ --exclude=.cache \
  ansible inventories | tar --extract --directory "$staging"
cp "$wheel" "$staging/dist/"
.venv/bin/python -m pip wheel --quiet --wheel-dir "$staging/dist/wheelhouse" "$wheel"

# Owned by root in the archive: the user data unpacks it as root, and tar
# run as root keeps the owners it finds.
mkdir -p "$out_dir"
bundle=$out_dir/csvdrop-bundle-$version.tar.gz
tar --create --gzip --file "$bundle.partial" --directory "$staging" \
  --sort=name --owner=0 --group=0 --numeric-owner \
  ansible inventories dist
mv "$bundle.partial" "$bundle"
echo "build-bundle: wrote $bundle ($(du -h "$bundle" | cut -f1))"
