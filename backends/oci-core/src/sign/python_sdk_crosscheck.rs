//! Cross-check against Oracle's Python SDK (`pip install oci==2.189.0`): for the same key, date
//! and Object Storage operations, the SDK's requests (captured just before they would be sent)
//! and ours must have the same URL byte for byte and the same Authorization parameters.
//!
//! The parameter *order* differs by design — the Python SDK writes `algorithm` first and
//! `version` last, the Go SDK (and Oracle's published examples, and this crate) `version` first —
//! so the headers are compared as parameter sets.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use serde_json::{Value, json};

use super::{HostHeader, SignBody, encode_path_segment, encode_query, sign_request};
use crate::keys::RsaSigningKey;
use crate::testutil::{TempDir, openssl};

const OCI_VERSION: &str = "2.189.0";
const ENDPOINT: &str = "https://objectstorage.us-ashburn-1.oraclecloud.com";
const NAMESPACE: &str = "bling";
const TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq";
const USER: &str = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
const DATE: &str = "Fri, 27 Nov 2026 06:00:00 GMT";

/// Drives the SDK's ObjectStorageClient with sending replaced by a capture, and prints the
/// captured requests as JSON.
const SCRIPT: &str = r#"
import sys, json, base64, email.utils
try:
    import oci
except ImportError:
    sys.exit("MISSING_OCI")
cfg = json.load(sys.stdin)
if oci.__version__ != cfg["version"]:
    sys.exit("WRONG_OCI " + oci.__version__)
# The signer stamps `date` with email.utils.formatdate; pin it.
email.utils.formatdate = lambda *a, **k: cfg["date"]
class Captured(Exception):
    pass
config = {"user": cfg["user"], "tenancy": cfg["tenancy"], "fingerprint": cfg["fingerprint"],
          "key_file": cfg["key_file"], "region": "us-ashburn-1"}
none = oci.retry.NoneRetryStrategy()
client = oci.object_storage.ObjectStorageClient(config, service_endpoint=cfg["endpoint"],
    retry_strategy=none, circuit_breaker_strategy=oci.circuit_breaker.NoCircuitBreakerStrategy())
sent = []
def capture(prepared, **kwargs):
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    sent.append({"method": prepared.method, "url": prepared.url,
                 "headers": {k.lower(): v for k, v in prepared.headers.items()},
                 "body": base64.b64encode(body).decode()})
    raise Captured()
client.base_client.session.send = capture
models = oci.object_storage.models
ns, bucket = cfg["namespace"], cfg["bucket"]
for case in cfg["cases"]:
    op, name = case["op"], case.get("name")
    calls = {
        "get": lambda: client.get_object(ns, bucket, name, retry_strategy=none),
        "head": lambda: client.head_object(ns, bucket, name, retry_strategy=none),
        "delete": lambda: client.delete_object(ns, bucket, name, retry_strategy=none),
        "list": lambda: client.list_objects(ns, bucket, prefix=case["prefix"], start=case["start"],
                                            fields=case["fields"], retry_strategy=none),
        "put": lambda: client.put_object(ns, bucket, name, b"hello world", retry_strategy=none),
        "create_mpu": lambda: client.create_multipart_upload(
            ns, bucket, models.CreateMultipartUploadDetails(object=name), retry_strategy=none),
        "upload_part": lambda: client.upload_part(ns, bucket, name, case["upload_id"], 3, b"part",
                                                  retry_strategy=none),
        "commit_mpu": lambda: client.commit_multipart_upload(ns, bucket, name, case["upload_id"],
            models.CommitMultipartUploadDetails(parts_to_commit=[
                models.CommitMultipartUploadPartDetails(part_num=1, etag="e1")]),
            retry_strategy=none),
    }
    try:
        calls[op]()
    except Captured:
        continue
    sys.exit("request for %s was not captured" % op)
json.dump(sent, sys.stdout)
"#;

/// One operation, described for the Python side, with the request ocisync would build.
struct Case {
    spec: Value,
    method: Method,
    path_and_query: String,
    body: BodyKind,
}

#[derive(Clone, Copy)]
enum BodyKind {
    None,
    Exempt,
    Hashed,
}

fn object_url(kind: &str, name: &str) -> String {
    format!(
        "/n/{}/b/{}/{kind}/{}",
        encode_path_segment(NAMESPACE),
        encode_path_segment(TENANCY),
        encode_path_segment(name)
    )
}

fn cases() -> Vec<Case> {
    let focus = "FOCUS Reports/2026/11/27/x.csv.gz";
    let odd = "a+b%c#d?e&f=g é ~*!'()/ü.csv";
    let upload = "dir/big file.bin";
    let mut cases = Vec::new();
    for (op, method, name) in [
        ("get", Method::GET, focus),
        ("get", Method::GET, odd),
        (
            "head",
            Method::HEAD,
            "reports/cost-csv/0001000000670898.csv.gz",
        ),
        ("delete", Method::DELETE, "x y"),
    ] {
        cases.push(Case {
            spec: json!({"op": op, "name": name}),
            method,
            path_and_query: object_url("o", name),
            body: BodyKind::None,
        });
    }
    let (prefix, start, fields) = (
        "FOCUS Reports/2026/11/",
        "FOCUS Reports/2026/11/27/a b",
        "name,size,md5,timeModified",
    );
    cases.push(Case {
        spec: json!({"op": "list", "prefix": prefix, "start": start, "fields": fields}),
        method: Method::GET,
        path_and_query: format!(
            "/n/{NAMESPACE}/b/{}/o?{}",
            encode_path_segment(TENANCY),
            encode_query([("prefix", prefix), ("start", start), ("fields", fields)])
        ),
        body: BodyKind::None,
    });
    cases.push(Case {
        spec: json!({"op": "put", "name": odd}),
        method: Method::PUT,
        path_and_query: object_url("o", odd),
        body: BodyKind::Exempt,
    });
    cases.push(Case {
        spec: json!({"op": "create_mpu", "name": "big file+1.bin"}),
        method: Method::POST,
        path_and_query: format!("/n/{NAMESPACE}/b/{}/u", encode_path_segment(TENANCY)),
        body: BodyKind::Hashed,
    });
    let upload_id = "u-1 2/3";
    cases.push(Case {
        spec: json!({"op": "upload_part", "name": upload, "upload_id": upload_id}),
        method: Method::PUT,
        path_and_query: format!(
            "{}?{}",
            object_url("u", upload),
            encode_query([("uploadId", upload_id), ("uploadPartNum", "3")])
        ),
        body: BodyKind::Exempt,
    });
    cases.push(Case {
        spec: json!({"op": "commit_mpu", "name": upload, "upload_id": "u+1"}),
        method: Method::POST,
        path_and_query: format!(
            "{}?{}",
            object_url("u", upload),
            encode_query([("uploadId", "u+1")])
        ),
        body: BodyKind::Hashed,
    });
    cases
}

fn run_python_sdk(input: &Value) -> Vec<Value> {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for the Python SDK cross-check");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python3 ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("MISSING_OCI") || stderr.contains("WRONG_OCI") {
        panic!(
            "Oracle's Python SDK {OCI_VERSION} is needed for this test ({}): pip install oci=={OCI_VERSION}",
            stderr.trim()
        );
    }
    assert!(out.status.success(), "python SDK script failed: {stderr}");
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// `Signature k="v",...` as a map of parameters.
fn parameters(authorization: &str) -> BTreeMap<String, String> {
    let params = authorization
        .strip_prefix("Signature ")
        .expect("Signature scheme");
    params
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').expect("k=v");
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn authorization_matches_oracles_python_sdk() {
    let dir = TempDir::new("pysdk");
    let key_path = dir.path().join("key.pem");
    openssl(&[
        "genrsa",
        "-traditional",
        "-out",
        &key_path.to_string_lossy(),
        "2048",
    ]);
    let key = RsaSigningKey::from_pem(&std::fs::read(&key_path).expect("read key"), None)
        .expect("load key");
    let key_id = format!("{TENANCY}/{USER}/{}", key.fingerprint());

    let cases = cases();
    let input = json!({
        "version": OCI_VERSION, "date": DATE, "user": USER, "tenancy": TENANCY,
        "fingerprint": key.fingerprint(), "key_file": key_path.to_string_lossy(),
        "endpoint": ENDPOINT, "namespace": NAMESPACE, "bucket": TENANCY,
        "cases": cases.iter().map(|c| c.spec.clone()).collect::<Vec<_>>(),
    });
    let sent = run_python_sdk(&input);
    assert_eq!(sent.len(), cases.len());

    for (case, python) in cases.iter().zip(&sent) {
        let url = format!("{ENDPOINT}{}", case.path_and_query);
        assert_eq!(
            python["url"].as_str(),
            Some(url.as_str()),
            "URL for {}",
            case.spec
        );
        assert_eq!(python["method"].as_str(), Some(case.method.as_str()));

        let body = STANDARD
            .decode(python["body"].as_str().expect("body"))
            .expect("base64");
        let mut parts = http::Request::builder()
            .method(case.method.clone())
            .uri(&url)
            .header("date", DATE)
            .body(())
            .expect("request")
            .into_parts()
            .0;
        let sign_body = match case.body {
            BodyKind::None => SignBody::None,
            BodyKind::Exempt => SignBody::Exempt,
            BodyKind::Hashed => SignBody::Bytes(&body),
        };
        sign_request(&mut parts, &key_id, &key, sign_body, HostHeader::Signed).expect("sign");

        let headers = &python["headers"];
        if let BodyKind::Hashed = case.body {
            for name in ["x-content-sha256", "content-length", "content-type"] {
                assert_eq!(
                    headers[name].as_str(),
                    parts.headers[name].to_str().ok(),
                    "{name} for {}",
                    case.spec
                );
            }
        }
        let ours = parameters(parts.headers["authorization"].to_str().expect("ascii"));
        let theirs = parameters(headers["authorization"].as_str().expect("authorization"));
        assert_eq!(ours, theirs, "Authorization for {}", case.spec);
    }
}
