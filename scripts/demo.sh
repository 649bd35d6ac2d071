#!/usr/bin/env bash
# ocisync's main job, on loopback: the tenancy's cost reports (the repo's sample/bling, served by
# the project's fake OCI Object Storage, which checks every request signature) copied to S3 (a
# real S3 server, moto, on 127.0.0.1) — then the every-6-hours rerun, which finds nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

TENANCY=ocid1.tenancy.oc1..aaaaaaaademotenancy
USER=ocid1.user.oc1..aaaaaaaademouser
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== building (release)"
cargo build --release --quiet -p ocisync --bin ocisync -p ocisync-fakes --bin fake-oci
# The pinned test tools (moto among them) in a venv under target/: system Pythons refuse pip.
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
use_test_venv

# Waits for a background process to print its URL on the first line of a file.
url_from() {
    for _ in $(seq 1 150); do
        line=$(head -n1 "$1" 2>/dev/null || true)
        [[ $line == http://* ]] && { echo "$line"; return; }
        sleep 0.1
    done
    echo "no URL in $1:" >&2; cat "$1" "$1.err" >&2 2>/dev/null; exit 1
}

echo "== an API key for the demo user (the fake knows its public half)"
openssl genrsa -out "$work/oci_api_key.pem" 2048 2>/dev/null
openssl rsa -in "$work/oci_api_key.pem" -pubout -out "$work/oci_api_key_public.pem" 2>/dev/null
fingerprint=$(openssl rsa -in "$work/oci_api_key.pem" -pubout -outform DER 2>/dev/null | openssl md5 -c | awk '{print $2}')
cat >"$work/oci_config" <<CFG
[DEFAULT]
user=$USER
fingerprint=$fingerprint
tenancy=$TENANCY
region=us-ashburn-1
key_file=$work/oci_api_key.pem
CFG

echo "== fake OCI Object Storage: namespace bling, bucket $TENANCY, seeded from sample/bling"
target/release/fake-oci --bucket "$TENANCY" --seed-dir sample/bling \
    --tenancy "$TENANCY" --user "$USER" --public-key "$work/oci_api_key_public.pem" \
    >"$work/oci.url" 2>"$work/oci.url.err" &
pids+=($!)
oci_url=$(url_from "$work/oci.url")

echo "== S3 server (moto) with bucket demo-bucket"
python3 tests/moto_server.py >"$work/s3.url" 2>"$work/s3.url.err" &
pids+=($!)
s3_url=$(url_from "$work/s3.url")
curl -fsS -X PUT "$s3_url/demo-bucket" >/dev/null

cat >"$work/ocisync.toml" <<CFG
[remotes.oci_usage]
type = "oracleobjectstorage"
provider = "user_principal_auth"
config_file = "$work/oci_config"
namespace = "bling"
region = "us-ashburn-1"
endpoint = "$oci_url"
no_check_bucket = true

[remotes.aws_s3]
type = "s3"
provider = "Other"
endpoint = "$s3_url"
region = "us-east-1"
credentials = "demo_keys"

[credentials.demo_keys]
type = "static"
access_key_id = "demo"
secret_access_key = "demo-secret"
CFG
chmod 600 "$work/ocisync.toml"
ocisync=(target/release/ocisync --config "$work/ocisync.toml")

echo
echo "\$ ocisync sync --checksum oci_usage:$TENANCY aws_s3:demo-bucket/oci-sync -v"
"${ocisync[@]}" sync --checksum "oci_usage:$TENANCY" aws_s3:demo-bucket/oci-sync -v
echo
echo "\$ ocisync lsl aws_s3:demo-bucket/oci-sync"
"${ocisync[@]}" lsl aws_s3:demo-bucket/oci-sync
echo
echo "\$ ocisync sync --checksum oci_usage:$TENANCY aws_s3:demo-bucket/oci-sync --error-on-no-transfer   # the 6-hourly rerun"
set +e
"${ocisync[@]}" sync --checksum "oci_usage:$TENANCY" aws_s3:demo-bucket/oci-sync --error-on-no-transfer
code=$?
set -e
echo "exit code $code (9 = nothing to transfer: everything already in place)"
[[ $code == 9 ]]
echo
echo "demo OK"
