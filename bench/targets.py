"""`bench.py --targets`: every measurement that issue 12's performance targets name, in one
run, then a table of each target, what was measured and whether it is met.

The plan (`steps`): on `rclone serve s3` (the server of every earlier table) W1 at 30 ms, W2 at
0 and 30 ms, W1 at 30 ms with each tool's defaults, W5 and W3; on SeaweedFS (pages that cost
the same wherever they start, part CRC32Cs verified) W2 at 0 and 30 ms, W3, and W2 at 500,000
objects at 0 and 30 ms (ocisync and the ceiling client only: rclone's 500,000 HEADs at 30 ms
would take hours). Runs at 30 ms are one timed run per tool (rclone takes minutes there); W3
and W5 take `--runs` (default 3). About 30 minutes on the 2-core benchmark machine (28 min measured); `--quick`
runs the same plan at the smoke-test counts, which proves the plan runs, not the targets.

A target is judged from medians within one step (the tools alternate against the same
servers), never across steps, so load that changes between steps moves no ratio. Nothing here
asserts: a missed target is a row that says "no".
"""

import statistics

RTT = 30


class Step:
    def __init__(self, server, key, rtts, tools, runs=None, defaults=False):
        self.server, self.key, self.rtts, self.tools = server, key, rtts, tools
        self.runs, self.defaults = runs, defaults


def steps():
    both = ("ocisync", "rclone", "ceiling")
    return [
        Step("rclone", "W1", (RTT,), both, runs=1),
        Step("rclone", "W2", (0, RTT), both, runs=1),
        # The ceiling is not part of this target (ocisync against rclone, each as it comes).
        Step("rclone", "W1", (RTT,), ("ocisync", "rclone"), runs=1, defaults=True),
        Step("rclone", "W5", (0,), ("ocisync", "rclone")),
        Step("rclone", "W3", (0,), both),
        Step("seaweedfs", "W2", (0, RTT), both, runs=1),
        Step("seaweedfs", "W3", (0,), both),
        Step("seaweedfs", "scaling", (0, RTT), ("ocisync", "ceiling"), runs=1),
    ]


def run(b, ctx, quick, runs):
    """Runs every step; returns the summaries, each marked with its server and whether the
    tools ran with their own defaults."""
    summaries = []
    known = {w.key: w for w in b.workloads(quick)}
    try:
        for step in steps():
            # A fresh server for every step, as a run of that workload alone has: nothing a
            # step wrote or deleted (W3's 2 GiB) is left to slow the next one down.
            b.stop_s3(ctx)
            b.start_s3(ctx, step.server)
            if step.key == "scaling":
                w = b.scaling_workloads([2000 if quick else 500000])[0]
                counting_round = False
            else:
                w = known[step.key]
                counting_round = True
            saved = list(b.COMMON)
            if step.defaults:
                b.COMMON.clear()
                b.log("\n-- each tool with its own defaults (no --transfers/--checkers)")
            try:
                got = b.run_workload(ctx, w, step.runs or runs, list(step.tools), counting_round=counting_round,
                                     rtts=step.rtts)
            finally:
                b.COMMON[:] = saved
            for s in got:
                s["server"], s["defaults"] = step.server, step.defaults
                if step.defaults:
                    s["label"] += ", defaults"
                s["label"] += f" ({step.server})"
            summaries += got
    finally:
        b.stop_s3(ctx)
    return summaries


def walls(s):
    """{tool: (median wall s, stopped)}: a run stopped at --timeout-min counts as its time, marked."""
    out = {}
    for tool, rs in s["results"].items():
        stopped = [r["timeout"] for r in rs if "timeout" in r]
        done = [r["wall"] for r in rs if "wall" in r]
        if stopped:
            out[tool] = (min(stopped), True)
        elif done:
            out[tool] = (statistics.median(done), False)
    return out


def find(summaries, key, rtt, defaults=False):
    """The summaries of workload `key` at `rtt` ms, one per server, in run order."""
    return [s for s in summaries
            if s["workload"] is not None and s["workload"].key == key and s["rtt"] == rtt
            and bool(s.get("defaults")) == defaults]


def largest_scaling(summaries, rtt):
    rows = [s for s in summaries if s["workload"] is not None and s["workload"].key.startswith("W2-")
            and s["rtt"] == rtt]
    return sorted(rows, key=lambda s: s["workload"].objects)[-1:]


def pair(s, tool, other):
    """(tool's median wall, other's, whether other was stopped), or None when either is missing."""
    w = walls(s)
    if tool not in w or other not in w:
        return None
    return w[tool][0], w[other][0], w[other][1]


def faster_than_rclone(s, times):
    p = pair(s, "ocisync", "rclone")
    if p is None:
        return None
    o, r, stopped = p
    ratio = r / o
    said = f"rclone stopped at {r:.0f} s: > {ratio:.1f}×" if stopped else f"{r:.2f} / {o:.2f} = {ratio:.1f}×"
    return said, ratio >= times


def share_of_rclone(s, at_most):
    p = pair(s, "ocisync", "rclone")
    if p is None or p[2]:
        return None
    o, r, _ = p
    return f"{o:.2f} / {r:.2f} = {o / r:.2f}×", o / r <= at_most


def of_ceiling(s, at_least):
    p = pair(s, "ocisync", "ceiling")
    if p is None:
        return None
    o, c, _ = p
    return f"{c:.2f} / {o:.2f} = {c / o:.0%}", c / o >= at_least


def share_of_ceiling(s, at_most):
    p = pair(s, "ocisync", "ceiling")
    if p is None:
        return None
    o, c, _ = p
    return f"{o:.2f} / {c:.2f} = {o / c:.3f}×", o / c <= at_most


def rss_below(s, mib):
    rs = [r["rss_kib"] for r in s["results"].get("ocisync", []) if "rss_kib" in r]
    if not rs:
        return None
    peak = max(rs) / 1024
    return f"{peak:.1f} MiB (largest of {len(rs)} run(s))", peak < mib


def evaluate(summaries):
    """[(target, where, measured, met)] for every target; "not measured" where this run (or
    --json file) has no such row."""
    targets = [
        ("W2 (50k objects) @30 ms: ≥ 20× faster than rclone", find(summaries, "W2", RTT),
         lambda s: faster_than_rclone(s, 20)),
        ("W2 (50k objects) @0 ms: ≥ 3× faster than rclone", find(summaries, "W2", 0),
         lambda s: faster_than_rclone(s, 3)),
        ("W2 at 500k objects @30 ms: wall ≤ 0.2× the ceiling's page-after-page listing",
         largest_scaling(summaries, RTT), lambda s: share_of_ceiling(s, 0.2)),
        ("W2 at 500k objects @30 ms: ocisync's peak RSS < 150 MiB", largest_scaling(summaries, RTT),
         lambda s: rss_below(s, 150)),
        ("W1 @30 ms, the same flags: ≥ 90% of the ceiling", find(summaries, "W1", RTT),
         lambda s: of_ceiling(s, 0.9)),
        ("W1 @30 ms, each tool's defaults: ≥ 3× faster than rclone", find(summaries, "W1", RTT, defaults=True),
         lambda s: faster_than_rclone(s, 3)),
        ("W5, local --checksum no-op (3,000 files): ≤ 0.5× rclone's wall", find(summaries, "W5", 0),
         lambda s: share_of_rclone(s, 0.5)),
        ("W3 (2 × 1 GiB): ≥ 80% of the ceiling", find(summaries, "W3", 0), lambda s: of_ceiling(s, 0.8)),
    ]
    rows = []
    for target, found, judge in targets:
        judged = [(s, judge(s)) for s in found]
        judged = [(s, j) for s, j in judged if j is not None]
        if not judged:
            rows.append((target, "", "not measured in this run", ""))
        for s, (said, met) in judged:
            where = s.get("server") or "?"
            if s["workload"].key != "W3":
                # The counts say what was measured: --quick's are far below the targets'.
                where += f", {s['workload'].objects:,} objects"
            rows.append((target, where, said, "yes" if met else "**no**"))
    return rows


def table(summaries):
    lines = ["| target | S3 server | measured | met |", "|---|---|---|---|"]
    lines += [f"| {t} | {where} | {said} | {met} |" for t, where, said, met in evaluate(summaries)]
    return "\n".join(lines)
