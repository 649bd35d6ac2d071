"""Drives the fake Object Storage with Oracle's Python SDK (oci==2.189.0).

Run by tests/oci_python_sdk.rs. Proves the fake accepts requests signed by the real SDK and
answers what the SDK parses. Settings come from the environment (the private key never touches
disk): FAKE_OCI_ENDPOINT, FAKE_OCI_TENANCY, FAKE_OCI_USER, FAKE_OCI_FINGERPRINT,
FAKE_OCI_KEY_PEM, FAKE_OCI_BUCKET. Exits non-zero on the first failed check.
"""

import base64
import hashlib
import os
import sys

import oci
from oci.object_storage.models import (
    CommitMultipartUploadDetails,
    CommitMultipartUploadPartDetails,
    CreateMultipartUploadDetails,
)


def b64md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what.split(":")[0])


def main():
    config = {
        "user": os.environ["FAKE_OCI_USER"],
        "tenancy": os.environ["FAKE_OCI_TENANCY"],
        "fingerprint": os.environ["FAKE_OCI_FINGERPRINT"],
        "key_content": os.environ["FAKE_OCI_KEY_PEM"],
        "region": "us-ashburn-1",
    }
    oci.config.validate_config(config)
    client = oci.object_storage.ObjectStorageClient(
        config,
        service_endpoint=os.environ["FAKE_OCI_ENDPOINT"],
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    bucket = os.environ["FAKE_OCI_BUCKET"]
    print("oci", oci.__version__)

    ns = client.get_namespace().data
    check(ns == "bling", "get_namespace: %r" % ns)

    bodies = {
        "FOCUS Reports/2025/01/02/a b+c.csv.gz": b"focus,report\n" * 50,
        "unicode/\u00e9t\u00e9-\u6570\u636e.csv": "caf\u00e9,\u6570\n".encode() * 20,
        "odd/100% #1?.txt": b"odd name",
        "reports/cost-csv/0001000000670898.csv.gz": os.urandom(3000),
    }
    for name, body in bodies.items():
        response = client.put_object(
            ns, bucket, name, body, content_md5=b64md5(body), opc_meta={"kind": "sdk-test"}
        )
        check(response.status == 200, "put_object %r: status %s" % (name, response.status))
        check(
            response.headers.get("opc-content-md5") == b64md5(body),
            "put_object opc-content-md5: %r" % response.headers.get("opc-content-md5"),
        )

    # Listing with fields, two per page, following next_start_with.
    seen = {}
    start = None
    pages = 0
    while True:
        page = client.list_objects(
            ns, bucket, fields="name,size,md5,etag,timeModified,storageTier", limit=2, start=start
        ).data
        pages += 1
        for summary in page.objects:
            seen[summary.name] = summary
        start = page.next_start_with
        if start is None:
            break
    check(pages == 2, "list_objects pages: %d" % pages)
    check(set(seen) == set(bodies), "list_objects names: %r" % sorted(seen))
    for name, body in bodies.items():
        summary = seen[name]
        check(summary.size == len(body), "list size of %r: %r" % (name, summary.size))
        check(summary.md5 == b64md5(body), "list md5 of %r: %r" % (name, summary.md5))
        check(summary.time_modified is not None, "list timeModified parsed")
        check(summary.storage_tier == "Standard", "list storageTier: %r" % summary.storage_tier)

    prefixed = client.list_objects(ns, bucket, prefix="FOCUS Reports/", delimiter="/").data
    check(prefixed.prefixes == ["FOCUS Reports/2025/"], "list prefixes: %r" % prefixed.prefixes)

    name = "FOCUS Reports/2025/01/02/a b+c.csv.gz"
    body = bodies[name]
    ranged = client.get_object(ns, bucket, name, range="bytes=2-9")
    check(ranged.status == 206, "get_object range status: %s" % ranged.status)
    check(ranged.data.content == body[2:10], "get_object range content")
    check(
        ranged.headers.get("content-range") == "bytes 2-9/%d" % len(body),
        "get_object content-range: %r" % ranged.headers.get("content-range"),
    )
    whole = client.get_object(ns, bucket, name)
    check(whole.data.content == body, "get_object whole content")

    head = client.head_object(ns, bucket, name)
    check(head.headers.get("content-md5") == b64md5(body), "head_object content-md5")
    check(head.headers.get("opc-meta-kind") == "sdk-test", "head_object opc-meta-kind")
    check(int(head.headers.get("content-length")) == len(body), "head_object content-length")
    check(head.headers.get("etag") == seen[name].etag, "head_object etag matches the listing")

    # Multipart: create, two parts, commit.
    big = "multipart/big file.bin"
    part1, part2 = os.urandom(200000), os.urandom(12345)
    upload = client.create_multipart_upload(
        ns,
        bucket,
        CreateMultipartUploadDetails(object=big, metadata={"opc-meta-origin": "multipart"}),
    ).data
    check(upload.upload_id and upload.object == big, "create_multipart_upload: %r" % upload.object)
    etags = []
    for number, data in ((1, part1), (2, part2)):
        response = client.upload_part(
            ns, bucket, big, upload.upload_id, number, data, content_md5=b64md5(data)
        )
        check(response.status == 200, "upload_part %d" % number)
        etags.append(response.headers["etag"])
    committed = client.commit_multipart_upload(
        ns,
        bucket,
        big,
        upload.upload_id,
        CommitMultipartUploadDetails(
            parts_to_commit=[
                CommitMultipartUploadPartDetails(part_num=1, etag=etags[0]),
                CommitMultipartUploadPartDetails(part_num=2, etag=etags[1]),
            ]
        ),
    )
    digests = hashlib.md5(part1).digest() + hashlib.md5(part2).digest()
    expected = base64.b64encode(hashlib.md5(digests).digest()).decode() + "-2"
    check(
        committed.headers.get("opc-multipart-md5") == expected,
        "commit_multipart_upload opc-multipart-md5: %r" % committed.headers.get("opc-multipart-md5"),
    )
    head = client.head_object(ns, bucket, big)
    check(head.headers.get("opc-multipart-md5") == expected, "head_object opc-multipart-md5")
    check("content-md5" not in head.headers, "no content-md5 on a multipart object")
    check(head.headers.get("opc-meta-origin") == "multipart", "multipart metadata")
    got = client.get_object(ns, bucket, big).data.content
    check(got == part1 + part2, "multipart content")
    listed = client.list_objects(ns, bucket, prefix="multipart/", fields="md5").data.objects
    check(listed[0].md5 == expected, "listed multipart md5: %r" % listed[0].md5)
    check(client.list_multipart_uploads(ns, bucket).data == [], "no pending uploads")

    # Delete everything; errors come back as ServiceError with OCI's codes.
    for victim in list(bodies) + [big]:
        response = client.delete_object(ns, bucket, victim)
        check(response.status == 204, "delete_object %r" % victim)
    check(client.list_objects(ns, bucket).data.objects == [], "bucket empty after deletes")
    try:
        client.get_object(ns, bucket, name)
        check(False, "get_object of a deleted object must fail")
    except oci.exceptions.ServiceError as e:
        check(e.status == 404 and e.code == "ObjectNotFound", "deleted object: %s %s" % (e.status, e.code))
    try:
        client.get_bucket(ns, "no-such-bucket")
        check(False, "get_bucket of a missing bucket must fail")
    except oci.exceptions.ServiceError as e:
        check(e.status == 404 and e.code == "BucketNotFound", "missing bucket: %s %s" % (e.status, e.code))
        check("no-such-bucket" in e.message, "missing bucket message: %s" % e.message)
    print("ALL CHECKS PASSED")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("FAILED:", failure, file=sys.stderr)
        sys.exit(1)
