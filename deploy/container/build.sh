#!/usr/bin/env bash
# Builds the ocisync container image (deploy/container/Containerfile) and checks what is in it.
#
#   deploy/container/build.sh                # build ocisync:VERSION with buildah, then check it
#   deploy/container/build.sh --save FILE    # also write the image as an OCI archive (for
#                                            # `skopeo copy oci-archive:FILE docker://REGISTRY/…`)
#   deploy/container/build.sh --no-image     # no buildah: check the root file system the
#                                            # Containerfile describes, assembled by this script
#   deploy/container/build.sh --tarball dist/ocisync-0.1.0-x86_64-linux-musl.tar.gz
#
# 1. Build context: the static binary from scripts/release.sh's x86_64 tarball (built with
#    `scripts/release.sh --quick --no-smoke` when dist/ has none), the build machine's CA bundle
#    (/etc/ssl/certs/ca-certificates.crt, Debian's ca-certificates), passwd and group from here.
# 2. Image: buildah (Debian's package, installed when missing) as root, vfs storage under
#    target/container/ and chroot isolation: no daemon, no registry, nothing pulled (FROM scratch).
# 3. Checks, on the image's root file system (buildah mount) or the assembled one:
#    - exactly these files: /etc/passwd, /etc/group, /etc/ssl/certs/ca-certificates.crt,
#      /usr/local/bin/ocisync — owned by root, the binary 0755 and statically linked;
#    - the image config: USER 65532:65532 (a user passwd names), ENTRYPOINT the binary;
#    - as UID 65532 in that root (chroot): `ocisync version`;
#    - TLS: an HTTPS S3 listing from inside the root against a server on 127.0.0.1 fails with the
#      image's bundle (the server's CA is a test CA) and succeeds once the test CA is that bundle —
#      so the bundle in the image is the file ocisync reads.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
# shellcheck source=scripts/venv.sh
. scripts/venv.sh

image=1 save="" tarball=""
while (($#)); do
    case $1 in
        --no-image) image=0 ;;
        --save) save=$(realpath -m "$2"); shift ;;
        --tarball) tarball=$(realpath -m "$2"); shift ;;
        -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "container/build.sh: $*" >&2; exit 1; }
UID_GID=65532:65532
HOST_CA=/etc/ssl/certs/ca-certificates.crt
EXPECTED=(/etc/group /etc/passwd /etc/ssl/certs/ca-certificates.crt /usr/local/bin/ocisync)

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[[ -n $VERSION ]] || die "no version in Cargo.toml"
TAG=localhost/ocisync:$VERSION

scratch=$(mktemp -d)
STORAGE=(--root "$REPO/target/container/storage" --runroot "$REPO/target/container/run" --storage-driver vfs)
container=""
cleanup() {
    if [[ -n $container ]]; then
        buildah "${STORAGE[@]}" umount "$container" >/dev/null 2>&1 || true
        buildah "${STORAGE[@]}" rm "$container" >/dev/null 2>&1 || true
    fi
    [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT

# ---- 1. the build context ---------------------------------------------------------------------
echo "== build context"
if [[ -z $tarball ]]; then
    tarball=$REPO/dist/ocisync-$VERSION-x86_64-linux-musl.tar.gz
    if [[ ! -f $tarball ]]; then
        echo "   $tarball missing: scripts/release.sh --quick"
        scripts/release.sh --quick
    fi
fi
[[ -f $tarball ]] || die "$tarball: no such file"
[[ -f $HOST_CA ]] || apt_install ca-certificates
command -v file >/dev/null || apt_install file
command -v openssl >/dev/null || apt_install openssl
context=$scratch/context
mkdir -p "$context"
tar -xzf "$tarball" -C "$scratch" --wildcards '*/ocisync'
install -m 0755 "$scratch"/ocisync-*/ocisync "$context/ocisync"
install -m 0644 "$HOST_CA" "$context/ca-certificates.crt"
install -m 0644 deploy/container/passwd deploy/container/group "$context/"
echo "   $(basename "$tarball"), $(grep -c 'BEGIN CERTIFICATE' "$context/ca-certificates.crt") CA certificates"

# ---- 2. the image (or the root file system the Containerfile describes) -----------------------
rootfs=$scratch/rootfs
if ((image)); then
    echo "== buildah build (vfs storage, chroot isolation)"
    command -v buildah >/dev/null || apt_install buildah
    buildah --version | sed 's/^/   /'
    # The previous build of this tag goes: vfs keeps a full copy of every layer.
    buildah "${STORAGE[@]}" rmi -f "$TAG" >/dev/null 2>&1 || true
    buildah "${STORAGE[@]}" build --isolation chroot --pull=never --layers=false \
        --build-arg "VERSION=$VERSION" -f deploy/container/Containerfile -t "$TAG" "$context" 2>&1 |
        sed 's/^/   /'
    user=$(buildah "${STORAGE[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$TAG")
    entrypoint=$(buildah "${STORAGE[@]}" inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$TAG")
    [[ $user == "$UID_GID" ]] || die "image USER is '$user', want $UID_GID"
    [[ $entrypoint == '[/usr/local/bin/ocisync]' ]] || die "image ENTRYPOINT is $entrypoint"
    echo "   $TAG: USER $user, ENTRYPOINT $entrypoint"
    container=$(buildah "${STORAGE[@]}" from --pull=never "$TAG")
    mnt=$(buildah "${STORAGE[@]}" mount "$container")
    cp -a "$mnt" "$rootfs"
    if [[ -n $save ]]; then
        buildah "${STORAGE[@]}" push "$TAG" "oci-archive:$save:$TAG" >/dev/null
        echo "   saved: $save ($(du -k "$save" | cut -f1) KiB)"
    fi
else
    echo "== root file system as the Containerfile describes it (--no-image)"
    # Each `COPY SRC... DEST` of the Containerfile, applied to an empty directory.
    mkdir -p "$rootfs"
    while read -r _ args; do
        read -r -a words <<<"$args"
        dest=${words[-1]}
        for src in "${words[@]:0:${#words[@]}-1}"; do
            if [[ $dest == */ ]]; then target=$rootfs$dest$src; else target=$rootfs$dest; fi
            mkdir -p "$(dirname "$target")"
            cp -p "$context/$src" "$target"
        done
    done < <(grep '^COPY ' deploy/container/Containerfile)
    chown -R 0:0 "$rootfs"
    user=$(sed -n 's/^USER //p' deploy/container/Containerfile)
    [[ $user == "$UID_GID" ]] || die "Containerfile USER is '$user', want $UID_GID"
fi

# ---- 3. checks ------------------------------------------------------------------------------
echo "== checks"
mapfile -t files < <(cd "$rootfs" && find . -not -type d | sed 's|^\.||' | sort)
[[ ${files[*]} == "${EXPECTED[*]}" ]] ||
    die "the image holds: ${files[*]}; want exactly: ${EXPECTED[*]}"
echo "   files: ${files[*]}"
for f in "${files[@]}"; do
    owner=$(stat -c '%u:%g' "$rootfs$f")
    [[ $owner == 0:0 ]] || die "$f is owned by $owner, not root"
done
[[ $(stat -c '%a' "$rootfs/usr/local/bin/ocisync") == 755 ]] || die "the binary's mode is not 0755"
kind=$(file -b "$rootfs/usr/local/bin/ocisync")
[[ $kind == *"statically linked"* ]] || die "the binary is not static: $kind"
echo "   binary: $kind"
cmp -s "$rootfs/etc/ssl/certs/ca-certificates.crt" "$HOST_CA" || die "the CA bundle is not the host's"
grep -qx "ocisync:x:${UID_GID}:ocisync:/nonexistent:/sbin/nologin" "$rootfs/etc/passwd" ||
    die "/etc/passwd does not name user ${UID_GID%%:*}"
grep -qx "ocisync:x:${UID_GID##*:}:" "$rootfs/etc/group" || die "/etc/group does not name group ${UID_GID##*:}"

as_user=(chroot --userspec="$UID_GID" "$rootfs" /usr/local/bin/ocisync)
echo "   \$ ocisync version   (chroot, uid ${UID_GID%%:*})"
"${as_user[@]}" version | sed 's/^/     /'

# TLS from inside the root: a test CA, a server certificate for 127.0.0.1, an HTTPS "S3" that
# answers every listing with an empty bucket.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ocisync-test-ca \
    -keyout "$scratch/ca.key" -out "$scratch/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$scratch/server.key" \
    -out "$scratch/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$scratch/san.ext"
openssl x509 -req -in "$scratch/server.csr" -CA "$scratch/ca.crt" -CAkey "$scratch/ca.key" \
    -CAcreateserial -days 1 -extfile "$scratch/san.ext" -out "$scratch/server.crt" 2>/dev/null
python3 - "$scratch" >"$scratch/server.url" 2>"$scratch/server.err" <<'EOF' &
import http.server, ssl, sys
d = sys.argv[1]
class S3(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>'
                b'<Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>'
                b'<IsTruncated>false</IsTruncated></ListBucketResult>')
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), S3)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{d}/server.crt", f"{d}/server.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(f"https://127.0.0.1:{srv.server_address[1]}", flush=True)
srv.serve_forever()
EOF
server_pid=$!
for _ in $(seq 1 50); do [[ -s $scratch/server.url ]] && break; sleep 0.1; done
url=$(head -n1 "$scratch/server.url")
[[ $url == https://* ]] || die "the test HTTPS server did not start: $(cat "$scratch/server.err")"
remote=":s3,provider=Other,endpoint='$url',region=us-east-1,access_key_id=test,secret_access_key=test:b"
lsf=(lsf --low-level-retries 1 --retries 1 "$remote")
if out=$("${as_user[@]}" "${lsf[@]}" 2>&1); then
    die "an HTTPS listing signed by a CA outside the image's bundle succeeded: the bundle is not what ocisync checks"
fi
grep -qi 'certificate\|UnknownIssuer' <<<"$out" || die "expected a certificate error, got: $out"
echo "   HTTPS to a test CA's server with the image's bundle: refused (certificate), as it must be"
cp "$rootfs/etc/ssl/certs/ca-certificates.crt" "$scratch/bundle.keep"
cp "$scratch/ca.crt" "$rootfs/etc/ssl/certs/ca-certificates.crt"
out=$("${as_user[@]}" "${lsf[@]}" 2>&1) || die "HTTPS listing with the test CA as the bundle failed: $out"
cp "$scratch/bundle.keep" "$rootfs/etc/ssl/certs/ca-certificates.crt"
echo "   HTTPS with the test CA in /etc/ssl/certs/ca-certificates.crt: listed (exit 0)"
echo "container/build.sh: ok ($( ((image)) && echo "image $TAG" || echo "root file system only"))"
