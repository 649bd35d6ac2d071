"""Keeps one W2 setup running for profiling: SeaweedFS filled with N objects, the fake OCI
server seeded, both behind delay proxies. Prints the ocisync command line (READY ...) and the
ceiling client's (CEIL ...), then waits. Touch CONTROL/reset to delete the new objects again
(before each sync), CONTROL/stop to shut everything down.

    python3 bench/hold.py 500000 30 /tmp/hold > /tmp/hold/log &
    python3 bench/proc_cpu.py target/release/ocisync --config ... sync ...
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500000
rtt = int(sys.argv[2]) if len(sys.argv) > 2 else 30
control = sys.argv[3] if len(sys.argv) > 3 else "/tmp/hold"
os.makedirs(control, exist_ok=True)
ctx = bench.Context()
ctx.workdir = tempfile.mkdtemp(prefix="ocisync-bench-hold-")
ctx.bandwidth = 0
bench.start_s3(ctx, "seaweedfs")
w = bench.scaling_workloads([n])[0]
fake = bench.seed_and_prepare(ctx, w)
oci_proxy, s3_proxy = bench.delay_proxies(ctx, fake, rtt)
print("READY", " ".join(ctx.tools.argv("ocisync", w.tool_args(ctx, "ocisync", 1, "s3p"))), flush=True)
print("CEIL", " ".join(ctx.tools.ceiling(w.ceiling_args(ctx, 1, s3_proxy.url), ["--concurrency", "4"])),
      flush=True)
print("S3", ctx.s3.url, flush=True)
try:
    while not os.path.exists(os.path.join(control, "stop")):
        if os.path.exists(os.path.join(control, "reset")):
            w.before_run(ctx, "ocisync", 1)
            os.remove(os.path.join(control, "reset"))
            print("reset", flush=True)
        time.sleep(0.2)
finally:
    for p in (oci_proxy, s3_proxy):
        p.stop()
    fake.stop()
    bench.stop_s3(ctx)
