#!/usr/bin/env bash
# Static checks of deploy/ (offline: no tofu, no provider, no cloud), each timed:
#   - shellcheck:         the bootstrap, the scripts, the cron fallback's command line
#   - systemd-analyze:    verify ocisync.service/.timer (and the drop-ins the bootstrap writes)
#                         in a scratch root with a stub /usr/local/bin/ocisync; calendar check
#   - logrotate --debug:  the logrotate file parses
#   - python-hcl2:        every .tf parses; the project checks (tests/deploy/check_tofu.py) and
#                         their own tests (tests/deploy/test_check_tofu.py)
#   - checkov:            --framework terraform: zero failures (inline skips must give a reason)
#   - kubernetes-validate: deploy/kubernetes against the pinned Kubernetes API (strict), then the
#                         project checks of the sharded job (tests/deploy/check_kubernetes.py)
# Installs what it needs: shellcheck, systemd, logrotate (apt-get) when missing; python-hcl2,
# checkov and kubernetes-validate, pinned, each in its own venv (both of the first two ship a
# `hcl2` module) under target/.
#
#   scripts/check-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=scripts/venv.sh
. scripts/venv.sh

HCL2_PIN="python-hcl2==8.1.4"
CHECKOV_PIN="checkov==3.3.30"
HCL2_VENV=$REPO/target/venv-hcl2
CHECKOV_VENV=$REPO/target/venv-checkov
K8S_VALIDATE_PIN="kubernetes-validate==1.37.0"
# The Kubernetes API the manifests are checked against: 1.33, where backoffLimitPerIndex and
# podFailurePolicy's FailIndex are GA (OKE, EKS and GKE all offer it).
K8S_VERSION=1.33.0
K8S_VENV=$REPO/target/venv-k8s

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
step_start=0
step() {
    echo "== check-deploy: $*"
    step_start=$SECONDS
}
step_end() { echo "   ($((SECONDS - step_start))s)"; }

# ---- shellcheck ---------------------------------------------------------------------------------
step "shellcheck"
command -v shellcheck >/dev/null || apt_install shellcheck
# The cron fallback's command, as /bin/sh runs it.
awk '!/^#/ && NF >= 7 && $1 !~ /=/ { $1=$2=$3=$4=$5=$6=""; sub(/^ +/, ""); print }' deploy/cron/ocisync \
    >"$scratch/cron-command.sh"
[[ -s $scratch/cron-command.sh ]] || { echo "no job line in deploy/cron/ocisync"; exit 1; }
shell_files=(deploy/bootstrap/bootstrap.sh scripts/check-deploy.sh scripts/test.sh scripts/venv.sh
    .ci/run deploy/container/build.sh)
if shellcheck -x "${shell_files[@]}" && shellcheck -s sh -e SC2086,SC1091 "$scratch/cron-command.sh"; then
    echo "   shellcheck: ${#shell_files[@]} scripts and the cron command line clean"
else
    failed+=(shellcheck)
fi
step_end

# ---- systemd-analyze verify -------------------------------------------------------------------
step "systemd-analyze verify"
command -v systemd-analyze >/dev/null || apt_install systemd
# verify loads the whole dependency tree and checks that ExecStart= exists: a scratch root with
# the distribution's units, the stub binary, ours, and the drop-ins the bootstrap may write.
root=$scratch/root
mkdir -p "$root/usr/lib/systemd" "$root/usr/local/bin" "$root/etc/systemd/system"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
ln -s usr/lib "$root/lib"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/local/bin/ocisync"
chmod 755 "$root/usr/local/bin/ocisync"
cp deploy/systemd/ocisync.service deploy/systemd/ocisync.timer "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/ocisync.timer.d" "$root/etc/systemd/system/ocisync.service.d"
printf '[Timer]\nOnCalendar=\nOnCalendar=*-*-* 01/4:05:00\n' >"$root/etc/systemd/system/ocisync.timer.d/schedule.conf"
printf '[Service]\nReadWritePaths=-/srv/metrics\n' >"$root/etc/systemd/system/ocisync.service.d/metrics.conf"
# Warnings (unknown keys, bad values) leave the exit code at 0: any output is a failure.
if out=$(systemd-analyze verify --root="$root" "$root/etc/systemd/system/ocisync.service" \
    "$root/etc/systemd/system/ocisync.timer" 2>&1) && [[ -z $out ]]; then
    echo "   systemd-analyze verify: ocisync.service, ocisync.timer (+ drop-ins) clean"
else
    echo "$out"
    failed+=(systemd-analyze)
fi
calendar=$(sed -n 's/^OnCalendar=//p' deploy/systemd/ocisync.timer)
if systemd-analyze calendar --iterations=4 "$calendar" | sed 's/^/   /'; then :; else failed+=(calendar); fi
# Exposure score, for information (systemd >= 250 can rate a unit file offline).
systemd-analyze security --offline=true --root="$root" ocisync.service 2>/dev/null | tail -n 1 | sed 's/^/   /' || true
step_end

# ---- logrotate ----------------------------------------------------------------------------------
step "logrotate --debug"
command -v logrotate >/dev/null || apt_install logrotate
# Its `su ocisync ocisync` names the service user, which exists only on the VM.
sed 's/^\(\s*su \)ocisync ocisync/\1root root/' deploy/logrotate/ocisync >"$scratch/logrotate.conf"
if out=$(logrotate --debug --state "$scratch/logrotate.state" "$scratch/logrotate.conf" 2>&1) &&
    ! grep -qiE '^error|unknown option|bad ' <<<"$out"; then
    echo "   logrotate: deploy/logrotate/ocisync parses"
else
    echo "$out"
    failed+=(logrotate)
fi
step_end

# ---- python-hcl2: parse + project checks ------------------------------------------------------
step "python-hcl2 ($HCL2_PIN): parse and project checks"
ensure_venv "$HCL2_VENV" "$HCL2_PIN"
"$HCL2_VENV/bin/python" tests/deploy/check_tofu.py deploy || failed+=(check_tofu)
"$HCL2_VENV/bin/python" -m unittest tests/deploy/test_check_tofu.py 2>&1 | tail -n 3 ||
    failed+=(test_check_tofu)
step_end

# ---- checkov ----------------------------------------------------------------------------------
step "checkov ($CHECKOV_PIN)"
ensure_venv "$CHECKOV_VENV" "$CHECKOV_PIN"
if "$CHECKOV_VENV/bin/checkov" -d deploy/opentofu --framework terraform --skip-download \
    --compact --quiet >"$scratch/checkov.txt" 2>&1; then
    grep -E "Passed checks" "$scratch/checkov.txt" | sed 's/^/   checkov: /'
else
    cat "$scratch/checkov.txt"
    failed+=(checkov)
fi
step_end

# ---- kubernetes-validate -------------------------------------------------------------------------
step "kubernetes-validate ($K8S_VALIDATE_PIN): deploy/kubernetes against Kubernetes $K8S_VERSION"
ensure_venv "$K8S_VENV" "$K8S_VALIDATE_PIN"
k8s_files=(deploy/kubernetes/*.yaml)
if "$K8S_VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "${k8s_files[@]}"; then
    echo "   kubernetes-validate: ${#k8s_files[@]} files valid against Kubernetes $K8S_VERSION (strict)"
else
    failed+=(kubernetes-validate)
fi
"$K8S_VENV/bin/python" tests/deploy/check_kubernetes.py deploy || failed+=(check_kubernetes)
step_end

if ((${#failed[@]})); then
    echo "check-deploy: FAILED: ${failed[*]}"
    exit 1
fi
echo "check-deploy: all static checks passed"
