# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/check-deploy.sh: pinned Python tools in venvs under
# target/ (Debian 12 / Ubuntu 24.04 refuse `pip install` into the system Python: PEP 668).

# apt_install PACKAGE...: Debian/Ubuntu packages, as root (CI and the dev machines are root).
apt_install() {
    command -v apt-get >/dev/null || { echo "need $*: install it (no apt-get here)" >&2; return 1; }
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    if [[ -z ${APT_UPDATED:-} ]]; then
        $sudo apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ensure_venv DIR PIN...: DIR is a venv holding exactly these pinned packages (reinstalled only
# when the pins change).
ensure_venv() {
    local dir=$1 want
    shift
    want=$(printf '%s\n' "$@")
    if [[ -x $dir/bin/python && -f $dir/.pins && $(cat "$dir/.pins") == "$want" ]]; then
        return 0
    fi
    if ! python3 -m venv --clear "$dir" >/dev/null 2>&1; then
        # Debian's python3 without ensurepip: python3-venv brings it.
        rm -rf "$dir"
        apt_install python3-venv
        python3 -m venv --clear "$dir"
    fi
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    printf '%s\n' "$want" >"$dir/.pins"
}

# test_pins: the pinned Python test tools, one per line (tests/requirements.txt, comments out).
test_pins() {
    grep -v -e '^#' -e '^[[:space:]]*$' "$(dirname "${BASH_SOURCE[0]}")/../tests/requirements.txt"
}

# use_test_venv: the test venv (target/venv-test) with every pin, first on PATH.
use_test_venv() {
    local venv
    venv=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/venv-test
    local pins
    mapfile -t pins < <(test_pins)
    ensure_venv "$venv" "${pins[@]}"
    export VIRTUAL_ENV=$venv
    PATH="$venv/bin:$PATH"
    export PATH
    hash -r
}
