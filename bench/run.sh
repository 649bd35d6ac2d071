#!/usr/bin/env bash
# ocisync against rclone on this machine: builds ocisync, the fake OCI Object Storage and the
# benchmark's helpers in release mode, installs the pinned rclone, then runs bench/bench.py,
# which starts the servers on 127.0.0.1, runs every workload and prints the table.
#
#   bench/run.sh                      # the full benchmark (W1-W4, 5 timed runs each)
#   bench/run.sh --quick              # tiny counts, 1 run: a smoke test of the harness (CI)
#   bench/run.sh --only W1,W3 --runs 3
#   bench/run.sh --only W3 --s3-server seaweedfs   # W3 where the server checks part CRC32Cs
#   bench/run.sh --scaling 5000,50000,500000 --rtt 0,30   # W2 as the object count grows
#                                     # (on SeaweedFS; a run past --timeout-min 30 is stopped)
#   bench/run.sh --targets            # every measurement issue 12's targets name, then a table
#                                     # of target / measured / met (about 30 min; bench/targets.py)
#
# See docs/performance.md for what each workload is and the results.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== the pinned rclone (tests/requirements.txt, in the test venv under target/)"
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
use_test_venv
rclone version | sed -n 1p   # sed reads it all: head could close the pipe early (SIGPIPE, exit 141 under pipefail)
if [[ ! -x /usr/bin/time ]]; then
    echo "== installing GNU time (peak RSS)"
    apt-get update -qq && apt-get install -y -qq time
fi

echo "== building (release): ocisync, fake-oci, bench-ceiling, bench-count-proxy"
cargo build --release --quiet -p ocisync --bin ocisync -p ocisync-fakes --bin fake-oci \
    -p ocisync-bench --bin bench-ceiling --bin bench-count-proxy

exec python3 bench/bench.py "$@"
