#!/usr/bin/env python3
"""deploy/bootstrap/bootstrap.sh end to end, as a normal process in a temporary root, against the
project's fakes (fake-oci --keyless: IMDS, federation, Vault, Object Storage, Notifications) and
a real S3 server (moto), all on 127.0.0.1.

    tests/deploy/bootstrap_e2e.py [--ocisync target/debug/ocisync] [--fake-oci target/debug/fake-oci]

S3: $OCISYNC_TEST_S3_ENDPOINT (scripts/test.sh starts moto), else a moto started here (this
interpreter must have moto[server]). Metrics are parsed with prometheus_client when importable.

Scenarios:
 1. fresh root, release tarball served over HTTP as the "PAR": the reports from sample/bling land
    in S3; the binary is installed; the config is mode 0600 and holds secret OCIDs, no key; the
    cron fallback, env file and logrotate file are installed under the root; metrics and the
    JSON report are written; no secret value in any file under the root.
 2. the same bootstrap again: no file under the root changes (content, mode, mtime) and the log
    says nothing changed.
 3. an upgrade whose download is tampered with (SHA-256 mismatch): nothing installed, the old
    binary stays, an alert is published to the topic (read back from the fake's /_fake/messages).
 4. a fresh root with a tampered download: nothing installed, and the log says no alert could
    be sent (no verified binary to send it with).
Prints one line per assertion and closes with "N passed, N failed".
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample" / "bling"
AKID_OCID = "ocid1.vaultsecret.oc1.iad.amaaaaaabootstrape2eaccesskeyid"
SAK_OCID = "ocid1.vaultsecret.oc1.iad.amaaaaaabootstrape2esecretkey"
TOPIC = "ocid1.onstopic.oc1.iad.amaaaaaabootstrape2etopic"
AKID = "AKIABOOTSTRAPE2E7Q2X"
SECRET = "bOoTsTrAp/E2e+SeCrEt/0123456789abcdefGHIJ"
PREFIX = "oci-sync"

RESULTS = {"passed": 0, "failed": 0}


def check(ok: bool, what: str, detail: str = "") -> bool:
    if ok:
        RESULTS["passed"] += 1
        print(f"ok    {what}")
    else:
        RESULTS["failed"] += 1
        print(f"FAIL  {what}" + (f"\n      {detail}" if detail else ""))
    return ok


def missing(piece: str) -> None:
    print(f"MISSING: {piece}")
    print(f"0 passed, 1 failed")
    sys.exit(1)


# ---- preflight: the features this test needs --------------------------------------------------
def preflight(ocisync: Path, fake_oci: Path) -> None:
    for binary, build in [
        (ocisync, "cargo build -p ocisync --bin ocisync"),
        (fake_oci, "cargo build -p ocisync-fakes --bin fake-oci"),
    ]:
        if not binary.is_file():
            missing(f"{binary} does not exist ({build})")

    def help_of(*args):
        p = subprocess.run([str(ocisync), *args, "--help"], capture_output=True, text=True)
        return p.stdout + p.stderr

    top = help_of()
    for flag in ["--lock-file", "--lock-stale", "--report-json", "--metrics-file", "--job-name",
                 "--no-alerts", "--log-file", "--checksum"]:
        if flag not in top:
            missing(f"ocisync has no global flag {flag} (the CLI feature is not in this binary yet)")
    for cmd in [("alert", "send"), ("config", "validate"), ("doctor",), ("version",)]:
        p = subprocess.run([str(ocisync), *cmd, "--help"], capture_output=True, text=True)
        if p.returncode != 0:
            missing(f"ocisync has no `{' '.join(cmd)}` command yet")
    send = help_of("alert", "send")
    for flag in ["--title", "--body"]:
        if flag not in send:
            missing(f"`ocisync alert send` has no {flag}")
    fake_help = subprocess.run([str(fake_oci), "--help"], capture_output=True, text=True).stdout
    for flag in ["--keyless", "--secret", "--topic", "--seed-dir"]:
        if flag not in fake_help:
            missing(f"fake-oci has no {flag} (the fake's keyless mode is not in this binary yet)")


# ---- servers ----------------------------------------------------------------------------------
class Procs:
    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.servers: list[http.server.HTTPServer] = []

    def start(self, args, **kw) -> subprocess.Popen:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for s in self.servers:
            s.shutdown()


def first_line(p: subprocess.Popen, what: str, timeout=60.0) -> str:
    deadline = time.time() + timeout
    result: list[str] = []
    t = threading.Thread(target=lambda: result.append(p.stdout.readline()), daemon=True)
    t.start()
    t.join(max(0.0, deadline - time.time()))
    if not result or not result[0].strip():
        p.terminate()
        err = p.stderr.read() if p.poll() is not None else ""
        missing(f"{what} printed nothing on stdout: {err.strip()[:2000]}")
    return result[0].strip()


def start_fake_oci(procs: Procs, fake_oci: Path) -> dict:
    args = [
        str(fake_oci), "--keyless", "--seed-dir", str(SAMPLE),
        "--secret", f"{AKID_OCID}={AKID}\n",  # a trailing newline, as `echo | base64` leaves it
        "--secret", f"{SAK_OCID}={SECRET}",
        "--topic", TOPIC,
    ]
    p = procs.start(args)
    line = first_line(p, "fake-oci --keyless")
    try:
        urls = json.loads(line)
    except json.JSONDecodeError:
        missing(f"fake-oci --keyless printed {line!r}, not one JSON line with its base URLs")
    need = ["objectstorage", "imds", "federation", "vault", "notifications", "tenancy"]
    absent = [k for k in need if k not in urls]
    if absent:
        missing(f"fake-oci --keyless JSON lacks {absent}: {line}")
    if not urls["federation"].rstrip("/").endswith("/v1/x509"):
        urls["federation"] = urls["federation"].rstrip("/") + "/v1/x509"
    return urls


def start_s3(procs: Procs) -> str:
    endpoint = os.environ.get("OCISYNC_TEST_S3_ENDPOINT")
    if endpoint:
        return endpoint.rstrip("/")
    script = Path(__file__).resolve().parent.parent / "moto_server.py"
    p = procs.start([sys.executable, str(script)])
    return first_line(p, "moto (set OCISYNC_TEST_S3_ENDPOINT or run with the test venv's python)")


def serve(procs: Procs, directory: Path) -> str:
    """The "pre-authenticated request": a plain HTTP server on 127.0.0.1 (python -m http.server)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    procs.servers.append(server)
    return f"http://127.0.0.1:{server.server_address[1]}"


def http_call(method: str, url: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def s3_objects(endpoint: str, bucket: str, prefix: str) -> dict[str, int]:
    objects, token = {}, None
    while True:
        url = f"{endpoint}/{bucket}?list-type=2&prefix={urllib.parse.quote(prefix)}"
        if token:
            url += "&continuation-token=" + urllib.parse.quote(token)
        status, body = http_call("GET", url)
        assert status == 200, (status, body[:500])
        root = ET.fromstring(body)
        ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
        for c in root.findall(f"{ns}Contents"):
            objects[c.find(f"{ns}Key").text] = int(c.find(f"{ns}Size").text)
        if root.findtext(f"{ns}IsTruncated") == "true":
            token = root.findtext(f"{ns}NextContinuationToken")
        else:
            return objects


# ---- the bootstrap ----------------------------------------------------------------------------
def bootstrap(root: Path, env_over: dict, label: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCISYNC_")}
    env.update(env_over)
    env["OCISYNC_ROOT"] = str(root)
    p = subprocess.run(
        ["bash", str(REPO / "deploy/bootstrap/bootstrap.sh")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    print(f"---- bootstrap ({label}): exit {p.returncode}")
    for line in (p.stdout + p.stderr).splitlines():
        print(f"     | {line}")
    return p


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path in skip:
            continue
        st = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, st.st_size, digest)
    return out


def messages(urls: dict) -> list:
    status, body = http_call("GET", urls["notifications"].rstrip("/") + "/_fake/messages")
    if status != 200:
        return []
    data = json.loads(body)
    return data if isinstance(data, list) else data.get("messages", [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ocisync", type=Path, default=REPO / "target/debug/ocisync")
    ap.add_argument("--fake-oci", type=Path, default=REPO / "target/debug/fake-oci")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    ocisync, fake_oci = args.ocisync.resolve(), args.fake_oci.resolve()
    preflight(ocisync, fake_oci)

    tmp = Path(tempfile.mkdtemp(prefix="ocisync-bootstrap-e2e-"))
    procs = Procs()
    try:
        urls = start_fake_oci(procs, fake_oci)
        s3 = start_s3(procs)
        bucket = f"bootstrap-e2e-{uuid.uuid4().hex[:12]}"
        status, body = http_call("PUT", f"{s3}/{bucket}")
        if status != 200:
            missing(f"cannot create bucket {bucket} on {s3}: {status} {body[:300]!r}")

        # The release artifacts: a tarball like scripts/release.sh makes, a tampered binary.
        www = tmp / "www"
        www.mkdir()
        binary = ocisync.read_bytes()
        tarball = www / "ocisync-0.0.0-x86_64-linux-musl.tar.gz"
        with tarfile.open(tarball, "w:gz") as tar:
            info = tarfile.TarInfo("ocisync-0.0.0-x86_64-linux-musl/ocisync")
            info.size, info.mode = len(binary), 0o755
            tar.addfile(info, io.BytesIO(binary))
        (www / "ocisync-tampered").write_bytes(binary + b"\0tampered")
        next_release_sha = hashlib.sha256(binary + b"\0next-release").hexdigest()
        par = serve(procs, www)

        env = {
            "OCISYNC_BINARY_URL": f"{par}/{tarball.name}",
            "OCISYNC_BINARY_SHA256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
            "OCISYNC_TENANCY_OCID": urls["tenancy"],
            "OCISYNC_HOME_REGION": "us-ashburn-1",
            "OCISYNC_VAULT_REGION": "us-ashburn-1",
            "OCISYNC_AWS_KEY_ID_SECRET": AKID_OCID,
            "OCISYNC_AWS_SECRET_KEY_SECRET": SAK_OCID,
            "OCISYNC_AWS_REGION": "us-east-1",
            "OCISYNC_S3_BUCKET": bucket,
            "OCISYNC_S3_PREFIX": PREFIX,
            "OCISYNC_TOPIC_OCID": TOPIC,
            "OCISYNC_ON_CALENDAR": "*-*-* 00/6:17:00",
            "OCISYNC_OCI_ENDPOINT": urls["objectstorage"],
            "OCISYNC_VAULT_ENDPOINT": urls["vault"],
            "OCISYNC_ONS_ENDPOINT": urls["notifications"],
            "OCISYNC_FEDERATION_ENDPOINT": urls["federation"],
            "OCISYNC_S3_ENDPOINT": s3,
            "OCISYNC_DEPLOY_DIR": str(REPO / "deploy"),
            "OCISYNC_SKIP_USER": "1",
            "OCISYNC_WAIT_ATTEMPTS": "3",
            "OCISYNC_WAIT_DELAY": "1",
            "OCI_METADATA_BASE_URL": urls["imds"],
        }

        # 1. fresh bootstrap ------------------------------------------------------------------
        root = tmp / "root"
        p = bootstrap(root, env, "1: fresh root")
        check(p.returncode == 0, "1: bootstrap exits 0", (p.stdout + p.stderr)[-3000:])
        expected = {
            f"{PREFIX}/{f.relative_to(SAMPLE).as_posix()}": f.stat().st_size
            for f in SAMPLE.rglob("*") if f.is_file()
        }
        got = s3_objects(s3, bucket, PREFIX + "/")
        check(got == expected, f"1: the {len(expected)} sample reports are in s3://{bucket}/{PREFIX}",
              f"expected {expected}\n      got {got}")
        installed = root / "usr/local/bin/ocisync"
        check(installed.is_file() and installed.read_bytes() == binary,
              "1: /usr/local/bin/ocisync installed from the tarball")
        conf = root / "etc/ocisync/ocisync.toml"
        check(conf.is_file() and (conf.stat().st_mode & 0o777) == 0o600,
              "1: /etc/ocisync/ocisync.toml is mode 0600",
              oct(conf.stat().st_mode) if conf.exists() else "missing")
        text = conf.read_text() if conf.exists() else ""
        check(AKID_OCID in text and SAK_OCID in text and AKID not in text and SECRET not in text,
              "1: the config names the secret OCIDs and holds no key")
        for key in ['[alerts.ops]', 'type = "oci_notifications"', f'topic = "{TOPIC}"',
                    'provider = "instance_principal_auth"', 'namespace = "bling"',
                    f'federation_endpoint = "{urls["federation"]}"', 'provider = "Other"']:
            check(key in text, f"1: config has {key}")
        envf = root / "etc/ocisync/ocisync.env"
        check(envf.is_file() and f'OCISYNC_DST="aws_s3:{bucket}/{PREFIX}"' in envf.read_text(),
              "1: /etc/ocisync/ocisync.env names the destination")
        cron = root / "etc/cron.d/ocisync"
        check(cron.is_file() and cron.read_bytes() == (REPO / "deploy/cron/ocisync").read_bytes(),
              "1: the cron fallback is installed as /etc/cron.d/ocisync (no systemd in a root)")
        check(not (root / "etc/systemd/system/ocisync.timer").exists(),
              "1: no systemd unit installed when systemd does not run")
        check((root / "etc/logrotate.d/ocisync").is_file(), "1: /etc/logrotate.d/ocisync installed")
        report = root / "var/lib/ocisync/last-run.json"
        check(report.is_file(), "1: --report-json wrote /var/lib/ocisync/last-run.json")
        if report.is_file():
            try:
                json.loads(report.read_text())
                check(True, "1: last-run.json is JSON")
            except ValueError as e:
                check(False, "1: last-run.json is JSON", str(e))
        metrics = root / "var/lib/node_exporter/textfile_collector/ocisync.prom"
        check(metrics.is_file(), "1: --metrics-file wrote the textfile collector file")
        if metrics.is_file():
            try:
                from prometheus_client.parser import text_string_to_metric_families
                families = [f.name for f in text_string_to_metric_families(metrics.read_text())]
                check(bool(families), f"1: the metrics parse (prometheus_client): {families[:6]}")
            except ImportError:
                print("      (prometheus_client not importable: metrics not parsed)")
            except Exception as e:  # a parse error
                check(False, "1: the metrics parse (prometheus_client)", str(e))
        check((root / "var/log/ocisync/ocisync.log").is_file(), "1: --log-file wrote /var/log/ocisync/ocisync.log")
        log = root / "var/log/ocisync-bootstrap.log"
        check(log.is_file() and "first sync done" in log.read_text(), "1: the bootstrap log records the first sync")
        leaks = [
            str(f.relative_to(root)) for f in root.rglob("*")
            if f.is_file() and f != installed
            and (AKID.encode() in f.read_bytes() or SECRET.encode() in f.read_bytes())
        ]
        check(not leaks, "1: no AWS key in any file under the root (logs, metrics, report included)", str(leaks))

        # 2. second run: a no-op -------------------------------------------------------------
        before = snapshot(root, {log})
        log_size = log.stat().st_size if log.exists() else 0
        time.sleep(1.1)  # so that a rewrite would show in mtimes even on coarse clocks
        p = bootstrap(root, env, "2: again")
        check(p.returncode == 0, "2: second bootstrap exits 0", (p.stdout + p.stderr)[-2000:])
        after = snapshot(root, {log})
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        check(not changed, "2: no file under the root created, removed or rewritten", str(changed))
        tail = log.read_text()[log_size:] if log.exists() else ""
        check("nothing changed" in tail, "2: the log says nothing changed", tail[-1500:])

        # 3. tampered upgrade --------------------------------------------------------------------
        seen = len(messages(urls))
        tampered = dict(env, OCISYNC_BINARY_URL=f"{par}/ocisync-tampered", OCISYNC_BINARY_SHA256=next_release_sha)
        p = bootstrap(root, tampered, "3: tampered upgrade")
        check(p.returncode != 0, "3: a SHA-256 mismatch fails the bootstrap")
        check(installed.read_bytes() == binary, "3: the installed binary is unchanged")
        check(not list((root / "usr/local/bin").glob(".ocisync*")), "3: no partial file left in /usr/local/bin")
        tail = log.read_text()
        check("SHA-256 mismatch" in tail, "3: the log says SHA-256 mismatch")
        new = messages(urls)[seen:]
        alerts = [m for m in new if "bootstrap failed" in json.dumps(m)]
        check(bool(alerts) and TOPIC in json.dumps(alerts[0]),
              "3: an alert was published to the topic (fake ONS /_fake/messages)", json.dumps(new)[:1500])

        # 4. tampered download on a fresh root ---------------------------------------------------
        root4 = tmp / "root4"
        p = bootstrap(root4, tampered, "4: fresh root, tampered download")
        check(p.returncode != 0, "4: fails")
        check(not (root4 / "usr/local/bin/ocisync").exists(), "4: nothing installed")
        log4 = root4 / "var/log/ocisync-bootstrap.log"
        check(log4.is_file() and "cannot publish the alert" in log4.read_text(),
              "4: the log says the alert could not be sent (no verified binary yet)")
    finally:
        procs.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
