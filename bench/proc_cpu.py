"""Runs a command and prints its wall time, CPU and peak RSS, and the CPU every benchmark
server (SeaweedFS, the fake OCI server, the delay proxies) spent meanwhile — on two shared
cores, what the servers burn is time the client does not get."""
import os
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def snapshot():
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if comm in ("weed", "fake-oci") or comm.startswith("bench-count"):
            out[f"{comm}:{pid}"] = (int(fields[11]) + int(fields[12])) / TICK
    return out


before = snapshot()
p = subprocess.run(["/usr/bin/time", "-f", "%e wall %U user %S sys %M KiB"] + sys.argv[1:],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
after = snapshot()
print(p.stderr.strip().splitlines()[-1])
for k in sorted(after):
    d = after[k] - before.get(k, 0)
    if d > 0.05:
        print(f"  {k:28} {d:6.2f} s")
