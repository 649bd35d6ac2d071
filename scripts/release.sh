#!/usr/bin/env bash
# Release build: fully static ocisync binaries for Linux on x86_64 and aarch64 (musl), packed as
#   dist/ocisync-VERSION-x86_64-linux-musl.tar.gz
#   dist/ocisync-VERSION-aarch64-linux-musl.tar.gz
#   dist/SHA256SUMS
# then a smoke test of each tarball's binary (x86_64 natively, aarch64 under qemu-user):
# `ocisync version` and a local -> local sync checked with diff -r.
#
#   scripts/release.sh             # both targets, tarballs, SHA256SUMS, smoke tests
#   scripts/release.sh --quick     # x86_64 only (tarball, SHA256SUMS, smoke test) and
#                                  # `cargo check` of the aarch64 target: the CI variant
#   scripts/release.sh --no-smoke  # build and pack only
#   scripts/release.sh --smoke     # smoke-test the tarballs already in dist/, build nothing
#
# Installs what it needs, pinned, and is safe to run again: the Rust musl targets (rustup),
# zig and cargo-zigbuild (PyPI, into a venv under target/release-tools, since Debian's system
# Python refuses pip: PEP 668), and `file` and qemu-user-static (apt-get) when missing.
# dist/ is this script's output directory and is rebuilt on every run (except --smoke).
#
# Why zig (cargo-zigbuild): rustup ships musl's C runtime for both targets, but the build also
# compiles C and assembly (aws-lc-sys under rustls/aws-lc-rs, mimalloc) and links; that needs a C
# compiler and linker for each musl target. Debian has no aarch64 *musl* cross gcc (only
# gcc-aarch64-linux-gnu, glibc), and musl-gcc is host-only. `zig cc` carries musl headers and a
# cross clang/lld for every target, from one PyPI wheel.
#
# Why no AWS_LC_SYS_* settings are needed: aws-lc-sys 0.47 ships pregenerated bindings for
# x86_64- and aarch64-unknown-linux-musl, so it uses its `cc` builder (no bindgen, no libclang, no
# CMake, no NASM: those are needed only for targets without pregenerated bindings, FIPS, or
# AWS_LC_SYS_NO_ASM) and compiles with whatever cc-rs is given; cargo-zigbuild sets CC_<target>
# to its `zig cc -target <arch>-linux-musl` wrapper, and the assembly (s2n-bignum, perlasm
# output, .S files) assembles with clang's integrated assembler. aws-lc-sys's compiler probes
# (memcmp bug check, stdalign, __builtin_bswap) run the compiler only, never the cross binary.
# Checked here with ziglang 0.15.2 + cargo-zigbuild 0.24.1 (see docs/performance.md, "Static
# musl builds"). If a later aws-lc-sys drops the pregenerated bindings for a target, it falls
# back to CMake + bindgen: install cmake and libclang-dev, or pin aws-lc-sys.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

ZIGLANG_PIN="ziglang==0.15.2"
ZIGBUILD_PIN="cargo-zigbuild==0.24.1"
TOOLS=$REPO/target/release-tools
VENV=$TOOLS/venv
DIST=$REPO/dist
ALL_TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

quick=0 smoke=1 build=1
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        --no-smoke) smoke=0 ;;
        --smoke) build=0 ;;
        -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "release.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
if ((quick)); then TARGETS=(x86_64-unknown-linux-musl); else TARGETS=("${ALL_TARGETS[@]}"); fi

die() { echo "release.sh: $*" >&2; exit 1; }
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}" "$DIST/.stage"' EXIT
arch_of() { echo "${1%%-*}"; }   # x86_64-unknown-linux-musl -> x86_64

apt_updated=0
apt_install() {   # apt_install PACKAGE... (Debian/Ubuntu; the machines here run as root)
    command -v apt-get >/dev/null || die "need $*; install them (no apt-get here)"
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    if ((!apt_updated)); then $sudo apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

VERSION=$(cargo metadata --no-deps --format-version 1 --manifest-path "$REPO/Cargo.toml" |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ocisync"))')
[[ -n $VERSION ]] || die "no version for package ocisync in cargo metadata"
tarball_of() { echo "ocisync-$VERSION-$(arch_of "$1")-linux-musl.tar.gz"; }

# ---------------------------------------------------------------------------------------------
# Tools

install_tools() {
    echo "== tools"
    rustup target add "${ALL_TARGETS[@]}" >/dev/null 2>&1 || rustup target add "${ALL_TARGETS[@]}"
    if [[ ! -x $VENV/bin/python ]]; then
        python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; }
    fi
    # pip only when the pins are not already there, so a rerun works offline.
    local want="$ZIGLANG_PIN $ZIGBUILD_PIN" have=""
    [[ -f $TOOLS/pins ]] && have=$(cat "$TOOLS/pins")
    if [[ $have != "$want" ]] || [[ ! -x $VENV/bin/cargo-zigbuild ]]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$ZIGLANG_PIN" "$ZIGBUILD_PIN"
        echo "$want" >"$TOOLS/pins"
    fi
    # cargo-zigbuild finds zig as `python3 -m ziglang` through the venv's python on PATH.
    PATH=$VENV/bin:$PATH
    export PATH
    echo "   $(rustc --version), $(cargo-zigbuild --version), zig $(python3 -m ziglang version)"
}

need_file() { command -v file >/dev/null || apt_install file; }

need_qemu() {
    QEMU_AARCH64=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
    if [[ -z $QEMU_AARCH64 ]]; then
        echo "== installing qemu-user-static (apt-get)"
        apt_install qemu-user-static
        QEMU_AARCH64=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
        [[ -n $QEMU_AARCH64 ]] || die "qemu-user-static installed but no qemu-aarch64 on PATH"
    fi
}

# ---------------------------------------------------------------------------------------------
# Build and pack

check_static() {   # check_static BINARY: `file` must say "statically linked"
    local out
    out=$(file -b "$1")
    echo "   file: $out"
    [[ $out == *"statically linked"* ]] || die "$1 is not statically linked: $out"
}

build_target() {   # build_target TRIPLE
    local target=$1
    echo "== cargo zigbuild --release --locked --target $target"
    local t0=$SECONDS
    # The target subdirectory (target/<triple>/release) keeps these artifacts apart from the
    # native debug and release builds in target/.
    cargo zigbuild --release --locked --target "$target" -p ocisync --bin ocisync
    echo "   built in $((SECONDS - t0)) s"
    check_static "target/$target/release/ocisync"
}

pack_target() {   # pack_target TRIPLE
    local target=$1 name stage
    name=$(tarball_of "$target")
    stage=$DIST/.stage/${name%.tar.gz}
    rm -rf "$stage"
    mkdir -p "$stage"
    install -m 755 "target/$target/release/ocisync" "$stage/ocisync"
    install -m 644 LICENSE README.md config.example.toml "$stage/"
    # The units, and what a manual install without the OpenTofu stack needs beside them: the
    # cron fallback, logrotate and the bootstrap (docs/deploy.md).
    local dir
    for dir in systemd cron logrotate bootstrap; do
        mkdir -p "$stage/deploy/$dir"
        cp -p deploy/$dir/* "$stage/deploy/$dir/"
    done
    chmod 644 "$stage"/deploy/*/*
    chmod 755 "$stage/deploy/bootstrap/bootstrap.sh"
    # Reproducible archive: sorted names, root-owned, every mtime = the last commit's time, and
    # gzip without a name or time stamp.
    local epoch
    epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -C "$DIST/.stage" -cf - "${name%.tar.gz}" | gzip -9n >"$DIST/$name"
    rm -rf "$DIST/.stage"
    echo "   dist/$name ($(du -k "$DIST/$name" | cut -f1) KiB)"
}

build_all() {
    local f
    for f in LICENSE README.md config.example.toml; do
        [[ -f $f ]] || die "$f is missing: it goes into every tarball"
    done
    compgen -G "deploy/systemd/*" >/dev/null ||
        die "deploy/systemd/ is missing or empty: the tarballs ship the systemd units (ocisync.service, ocisync.timer)"
    install_tools
    need_file
    rm -rf "$DIST"
    mkdir -p "$DIST"
    local target
    for target in "${TARGETS[@]}"; do
        build_target "$target"
        pack_target "$target"
    done
    (cd "$DIST" && sha256sum -- *.tar.gz >SHA256SUMS)
    echo "== dist/SHA256SUMS"
    cat "$DIST/SHA256SUMS"
    if ((quick)); then
        # The aarch64 target is not built in quick mode; type-check it so a target-specific
        # compile error (cfg(target_arch), the musl-only allocator) still fails CI.
        echo "== cargo-zigbuild check --release --locked --target aarch64-unknown-linux-musl (quick mode)"
        local t0=$SECONDS
        # `cargo-zigbuild check`, not `cargo zigbuild check`: the build scripts still compile
        # aws-lc-sys's and mimalloc's C for aarch64 in a check, so it needs zig as the C compiler.
        cargo-zigbuild check --release --locked --target aarch64-unknown-linux-musl -p ocisync --bin ocisync
        echo "   checked in $((SECONDS - t0)) s"
    fi
}

# ---------------------------------------------------------------------------------------------
# Smoke test: unpack each tarball, run its binary (aarch64 under qemu-user)

sync_checked() {   # sync_checked LOG COMMAND...: run a sync, show its last lines, fail on exit != 0
    local log=$1 rc=0
    shift
    "$@" >"$log" 2>&1 || rc=$?
    grep -v ': Copied (\|: Deleted\|^ *$' "$log" | tail -n 6 | sed 's/^/     /'
    echo "     ($(grep -c ': Copied (' "$log") copied, $(grep -c ': Deleted' "$log") deleted; exit $rc)"
    ((rc == 0)) || { cat "$log" >&2; die "ocisync sync exited $rc"; }
}

smoke_target() {   # smoke_target TRIPLE
    local target=$1 arch name work run=()
    arch=$(arch_of "$target")
    name=$(tarball_of "$target")
    [[ -f $DIST/$name ]] || die "dist/$name is missing (build it first)"
    echo "== smoke test: $name"
    (cd "$DIST" && grep -F " $name" SHA256SUMS | sha256sum --quiet -c -) || die "dist/$name does not match SHA256SUMS"
    work=$(mktemp -d)
    CLEANUP+=("$work")
    tar -C "$work" -xzf "$DIST/$name"
    local root=$work/${name%.tar.gz}
    local f
    for f in ocisync LICENSE README.md config.example.toml; do
        [[ -f $root/$f ]] || die "$name lacks $f"
    done
    compgen -G "$root/deploy/systemd/*" >/dev/null || die "$name lacks deploy/systemd/"
    echo "   contents: $(cd "$root" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"
    check_static "$root/ocisync"
    if [[ $arch != "$(uname -m)" ]]; then
        [[ $arch == aarch64 ]] || die "no emulator set up for $arch"
        need_qemu
        run=("$QEMU_AARCH64")
        echo "   running under $QEMU_AARCH64 ($("$QEMU_AARCH64" --version | sed -n 1p))"
    fi
    local bin=$root/ocisync
    # No config file: local paths need none; an empty HOME keeps a developer's own config out.
    local env=(env -i PATH=/usr/bin:/bin HOME="$work/home")
    mkdir -p "$work/home"

    echo "   \$ ocisync version"
    "${env[@]}" "${run[@]}" "$bin" version | sed 's/^/     /'

    # Source tree: nested directories, an empty file, a name with spaces, a 5 MiB random file.
    local src=$work/src dst=$work/dst
    mkdir -p "$src/a/b" "$src/c d"
    printf 'hello\n' >"$src/top.txt"
    : >"$src/a/empty"
    head -c 5242880 /dev/urandom >"$src/a/b/random.bin"
    printf 'spaces\n' >"$src/c d/e f.txt"
    for f in $(seq 1 50); do printf 'file %s\n' "$f" >"$src/a/many-$f.txt"; done

    echo "   \$ ocisync sync -v SRC DST   (first copy: 54 files)"
    sync_checked "$work/sync1.log" "${env[@]}" "${run[@]}" "$bin" sync -v "$src" "$dst"
    diff -r "$src" "$dst" || die "$arch: destination differs from source after sync"
    cmp "$src/a/b/random.bin" "$dst/a/b/random.bin"

    # Change one file, add one, delete one: sync must make DST equal SRC again (incl. the delete).
    printf 'changed\n' >"$src/top.txt"
    printf 'new\n' >"$src/c d/new.txt"
    rm "$src/a/many-7.txt"
    echo "   \$ ocisync sync -v SRC DST   (one changed, one new, one deleted)"
    sync_checked "$work/sync2.log" "${env[@]}" "${run[@]}" "$bin" sync -v "$src" "$dst"
    diff -r "$src" "$dst" || die "$arch: destination differs from source after the second sync"
    [[ ! -e $dst/a/many-7.txt ]] || die "$arch: sync did not delete a/many-7.txt"
    echo "   ok: $arch binary runs, and sync leaves DST identical to SRC (diff -r, cmp)"
}

# ---------------------------------------------------------------------------------------------

started=$SECONDS
echo "ocisync $VERSION: ${TARGETS[*]}$( ((quick)) && echo ' (quick)')"
if ((build)); then
    build_all
else
    need_file
fi
if ((smoke)); then
    for target in "${TARGETS[@]}"; do smoke_target "$target"; done
fi
echo "== done in $((SECONDS - started)) s: $(cd "$DIST" && ls -- *.tar.gz SHA256SUMS | tr '\n' ' ')"
