"""`bench.py --shards 1,2,4`: W1 (a first sync of cost-report-sized objects) split between N
ocisync processes started at once with `--shard K/N`, on the same loopback servers as the rest of
the benchmark.

For each N: one untimed counting round through the S3 counting proxy (every worker's requests
summed), then the timed rounds straight to the server. Wall time runs from starting the first
worker to the end of the last; peak RSS is the largest worker's, CPU the workers' sum. Every
run is checked: the destination holds every object with the right size.

On one 2-core machine N workers share the same two cores and the same two servers, so this
shows the *request accounting* of sharding — each object read and written once in total, each
listing made N times — not a speed-up: that needs N machines (docs/scale.md).
"""

import json
import os
import subprocess
import time


def run_workers(b, ctx, n, s3_name, prefix, run_tag):
    """Starts worker K of N for every K at once; (wall s, max RSS KiB, CPU s)."""
    procs = []
    t0 = time.perf_counter()
    for k in range(n):
        args = ["sync", "--checksum"] + b.COMMON + ["--shard", f"{k}/{n}", f"oci:{b.BUCKET}",
                                                      f"{s3_name}:{b.S3_BUCKET}/{prefix}"]
        base = os.path.join(ctx.workdir, f"shards-{n}-{run_tag}-{k}")
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", base + ".time"] + ctx.tools.argv("ocisync", args)
        procs.append((subprocess.Popen(full, stdout=open(base + ".out", "w"), stderr=open(base + ".err", "w"),
                                       stdin=subprocess.DEVNULL), base))
    codes = [(p.wait(), base) for p, base in procs]
    wall = time.perf_counter() - t0
    for code, base in codes:
        if code != 0:
            raise SystemExit(f"shards N={n} {run_tag}: a worker exited {code}\n{b.read(base + '.err')[-3000:]}")
    rss, cpu = 0, 0.0
    for _, base in codes:
        fields = b.read(base + ".time").strip().split("\n")[-1].split()
        rss = max(rss, int(fields[0]))
        cpu += float(fields[1]) + float(fields[2])
    return wall, rss, cpu


def run(b, ctx, counts, quick, runs):
    """The sharded rows: {"n", "wall", "rss_kib", "cpu", "oci", "s3"} per N (medians)."""
    objects = 200 if quick else 5000
    w = b.Copy("W1", "first sync, cost-report-sized objects", objects, 4 * b.KIB, 64 * b.KIB, "files")
    b.log(f"\n== W1 split between N ocisync workers (--shard K/N), N = {', '.join(map(str, counts))} "
          f"({objects} objects, 4-64 KiB)")
    fake = b.FakeOci(ctx.workdir, w.objects, w.min_size, w.max_size)
    rows = []
    try:
        ctx.source = fake.listing()
        ctx.tools = b.Tools(ctx.workdir, fake.url, ctx.s3.url, ctx.proxy.url)
        want = {name: size for name, size, _, _ in ctx.source}
        for n in counts:
            timed = []
            counted, s3_errors = None, {}
            for run_no in range(0, runs + 1):
                counting = run_no == 0
                prefix = f"shards/{n}-{run_no}/"
                fake.reset()
                ctx.proxy.reset()
                s3_name = "s3p" if counting else "s3"
                wall, rss, cpu = run_workers(b, ctx, n, s3_name, prefix, run_no)
                oci_ops = fake.stats()
                got = {k[len(prefix):]: v[0] for k, v in ctx.s3.list(prefix).items()}
                if got != want:
                    raise SystemExit(f"shards N={n} run {run_no}: destination has {len(got)} objects, want {len(want)}")
                if counting:
                    counted = (oci_ops, ctx.proxy.stats())
                    # Answers >= 400 and resets: a request counted twice is a retry, not a
                    # second worker on the same object.
                    raw = json.loads(b.http("GET", f"{ctx.proxy.url}/_fake/stats"))
                    s3_errors = {op: o["errors"] for op, o in raw.get("operations", {}).items() if o["errors"]}
                else:
                    timed.append({"wall": wall, "rss_kib": rss, "cpu": cpu})
                ctx.s3.delete_prefix(prefix)
                b.log(f"   {'count' if counting else 'run ' + str(run_no)} N={n} {wall:8.2f} s  "
                      f"{rss / 1024:7.1f} MiB/worker  cpu {cpu:6.2f} s  OCI {b.fmt_ops(oci_ops)}"
                      + (f"  S3 {b.fmt_ops(counted[1])} (failed and retried: {b.fmt_ops(s3_errors)})" if counting else ""))
            rows.append({"n": n, "objects": objects, "wall": b.median(timed, "wall"),
                         "rss_kib": b.median(timed, "rss_kib"), "cpu": b.median(timed, "cpu"),
                         "oci": counted[0], "s3": counted[1], "s3_errors": s3_errors})
    finally:
        fake.stop()
    return rows


def table(b, rows):
    lines = ["| workload | workers | median wall s | rate | peak RSS MiB per worker | CPU s (all workers) "
             "| OCI requests (all workers) | S3 requests (all workers) | S3 errors retried |",
             "|---|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| W1 ×{r['n']} | {r['n']} | {r['wall']:.2f} | {r['objects'] / r['wall']:,.0f} files/s | "
                     f"{r['rss_kib'] / 1024:.1f} | {r['cpu']:.2f} | {b.fmt_ops(r['oci'])} | {b.fmt_ops(r['s3'])} | "
                     f"{b.fmt_ops(r['s3_errors'])} |")
    return "\n".join(lines)
