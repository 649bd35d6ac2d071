#!/usr/bin/env bash
# ocisync bootstrap: installs ocisync on an OCI VM and schedules the 6-hourly copy of the
# tenancy's cost reports to S3, with no key on the VM (instance principal; AWS keys in OCI Vault).
#
# cloud-init runs it at first boot (deploy/opentofu renders the values of the deployment into the
# marked line below). By hand, or in tests, give the same values as environment variables:
#
#   sudo OCISYNC_BINARY_URL=https://… OCISYNC_BINARY_SHA256=… OCISYNC_TENANCY_OCID=… \
#        OCISYNC_HOME_REGION=… OCISYNC_VAULT_REGION=… OCISYNC_AWS_KEY_ID_SECRET=ocid1.vaultsecret… \
#        OCISYNC_AWS_SECRET_KEY_SECRET=ocid1.vaultsecret… OCISYNC_AWS_REGION=… \
#        OCISYNC_S3_BUCKET=… [OCISYNC_S3_PREFIX=…] OCISYNC_TOPIC_OCID=… bash bootstrap.sh
#
# Optional: OCISYNC_ON_CALENDAR (timer schedule), OCISYNC_METRICS_FILE, OCISYNC_EXTRA_ARGS,
# OCISYNC_DEPLOY_DIR (where the unit/cron/logrotate files are; default
# /usr/local/share/ocisync), OCISYNC_INIT (auto|systemd|cron), OCISYNC_FIRST_SYNC=0 (skip the
# first run), OCISYNC_WAIT_ATTEMPTS / OCISYNC_WAIT_DELAY (waiting for IAM policies to apply).
# Tests only: OCISYNC_ROOT (a directory every absolute path is made relative to),
# OCISYNC_SKIP_USER=1 (no service user, no chown: also implied when not root), and endpoint
# overrides OCISYNC_OCI_ENDPOINT, OCISYNC_VAULT_ENDPOINT, OCISYNC_ONS_ENDPOINT,
# OCISYNC_FEDERATION_ENDPOINT, OCISYNC_S3_ENDPOINT (S3 then uses provider = "Other").
#
# Idempotent: a second run with the same values rewrites nothing and says so in its log.
# Everything goes to /var/log/ocisync-bootstrap.log; on failure an alert is published to the
# ONS topic through `ocisync alert send` (once a verified ocisync binary is installed).
# @@OCISYNC_RENDERED_VARIABLES@@
set -Eeuo pipefail
umask 022
export LC_ALL=C

# ---- inputs ----------------------------------------------------------------------------------
ROOT=${OCISYNC_ROOT:-}
ROOT=${ROOT%/}
SERVICE_USER=ocisync
BIN=$ROOT/usr/local/bin/ocisync
CONF_DIR=$ROOT/etc/ocisync
CONF=$CONF_DIR/ocisync.toml
ENV_FILE=$CONF_DIR/ocisync.env
STATE_DIR=$ROOT/var/lib/ocisync
LOG_DIR=$ROOT/var/log/ocisync
BOOT_LOG=$ROOT/var/log/ocisync-bootstrap.log
DEPLOY_DIR=${OCISYNC_DEPLOY_DIR:-$ROOT/usr/local/share/ocisync}
INSTALLED_MARKER=$STATE_DIR/installed-artifact.sha256
FIRST_SYNC_MARKER=$STATE_DIR/first-sync.done
DEFAULT_METRICS_FILE=/var/lib/node_exporter/textfile_collector/ocisync.prom

# ocisync reads OCISYNC_<FLAG> and OCISYNC_<BACKEND>_<KEY> variables (rclone's RCLONE_ forms too):
# the bootstrap's own OCISYNC_ settings must not reach it (OCISYNC_S3_ENDPOINT would set the
# endpoint of every s3 remote). `env "${OCISYNC_CLEAN_ENV[@]}" ocisync …` runs it without them.
OCISYNC_CLEAN_ENV=()
for _var in $(compgen -e); do
    [[ $_var == OCISYNC_* || $_var == RCLONE_* ]] && OCISYNC_CLEAN_ENV+=(-u "$_var")
done
unset _var

CHANGES=0
STEP=start
SKIP_USER=0
if [[ ${OCISYNC_SKIP_USER:-0} == 1 || $(id -u) != 0 ]]; then SKIP_USER=1; fi

# ---- logging and failure ---------------------------------------------------------------------
mkdir -p "$(dirname "$BOOT_LOG")"
exec 3>&1 4>&2
exec > >(tee -a "$BOOT_LOG") 2>&1
TEE_PID=$!
finish() {
    local rc=$?
    exec 1>&3 2>&4
    wait "$TEE_PID" 2>/dev/null || true
    exit "$rc"
}
trap finish EXIT

log() { printf '%s ocisync-bootstrap: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
changed() { CHANGES=$((CHANGES + 1)); log "changed: $*"; }

# Publishes an alert with the installed (verified) binary; a binary that failed verification is
# never run. On a machine with no verified binary yet, the failure is in this log and on the
# instance console only.
alert() {
    local title=$1 body=$2
    if [[ -x $BIN && -f $CONF ]]; then
        if env "${OCISYNC_CLEAN_ENV[@]}" "$BIN" --config "$CONF" alert send --title "$title" --body "$body"; then
            log "alert published: $title"
        else
            log "could not publish the alert (ocisync alert send failed)"
        fi
    else
        log "no verified ocisync binary installed yet: cannot publish the alert \"$title\""
    fi
}

fail() {
    trap - ERR
    local message=$1 host
    host=$(uname -n)
    log "FAILED at step $STEP: $message"
    alert "ocisync bootstrap failed on $host ($STEP)" \
        "ocisync bootstrap on $host failed at step $STEP: $message
Nothing after this step was done. Log: /var/log/ocisync-bootstrap.log on $host."
    exit 1
}
trap 'fail "command failed (line $LINENO, exit $?): $BASH_COMMAND"' ERR

# ---- helpers ---------------------------------------------------------------------------------
require() {
    local name missing=()
    for name in "$@"; do
        [[ -n ${!name:-} ]] || missing+=("$name")
    done
    ((${#missing[@]} == 0)) || fail "missing settings: ${missing[*]}"
}

# Values end up in TOML strings, an environment file and command lines: keep them plain.
plain() {
    local name=$1 value=${!1:-}
    [[ $value =~ ^[A-Za-z0-9._:/@+=,-]*$ ]] || fail "$name has characters that are not allowed: '$value'"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

owner_of() { stat -c %U:%G "$1"; }
mode_of() { stat -c %a "$1"; }

# ensure_dir PATH MODE OWNER: creates PATH or fixes its mode/owner; counts what it changed.
ensure_dir() {
    local path=$1 mode=$2 owner=$3
    if [[ ! -d $path ]]; then
        mkdir -p "$path"
        chmod "$mode" "$path"
        [[ $SKIP_USER == 1 ]] || chown "$owner" "$path"
        changed "created $path"
        return
    fi
    if [[ $(mode_of "$path") != "${mode#0}" ]]; then
        chmod "$mode" "$path"
        changed "mode $mode on $path"
    fi
    if [[ $SKIP_USER != 1 && $(owner_of "$path") != "$owner" ]]; then
        chown "$owner" "$path"
        changed "owner $owner on $path"
    fi
}

# put_file SOURCE DEST MODE OWNER: installs SOURCE as DEST (atomically, by rename in DEST's
# directory) unless DEST already has the same content; fixes mode/owner.
put_file() {
    local source=$1 dest=$2 mode=$3 owner=$4 tmp
    if [[ -f $dest ]] && cmp -s "$source" "$dest"; then
        if [[ $(mode_of "$dest") != "${mode#0}" ]]; then
            chmod "$mode" "$dest"
            changed "mode $mode on $dest"
        fi
        if [[ $SKIP_USER != 1 && $(owner_of "$dest") != "$owner" ]]; then
            chown "$owner" "$dest"
            changed "owner $owner on $dest"
        fi
        log "unchanged: $dest"
        return
    fi
    mkdir -p "$(dirname "$dest")"
    tmp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")
    cat "$source" >"$tmp"
    chmod "$mode" "$tmp"
    [[ $SKIP_USER == 1 ]] || chown "$owner" "$tmp"
    mv -f "$tmp" "$dest"
    if [[ -z $ROOT ]] && command -v restorecon >/dev/null 2>&1; then restorecon "$dest" || true; fi
    changed "wrote $dest"
}

# put_content DEST MODE OWNER <<<CONTENT
put_content() {
    local dest=$1 mode=$2 owner=$3 source
    source=$(mktemp)
    cat >"$source"
    put_file "$source" "$dest" "$mode" "$owner"
    rm -f "$source"
}

remove_file() {
    if [[ -e $1 ]]; then
        rm -f "$1"
        changed "removed $1"
    fi
}

as_service_user() {
    if [[ $SKIP_USER == 1 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$SERVICE_USER" -- "$@"
    else
        su -s /bin/sh "$SERVICE_USER" -c "$(printf '%q ' "$@")"
    fi
}

systemd_running() { [[ -z $ROOT && -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; }

log "starting (root '${ROOT:-/}', user management $([[ $SKIP_USER == 1 ]] && echo skipped || echo on))"

# ---- 1. settings -----------------------------------------------------------------------------
STEP=settings
require OCISYNC_BINARY_URL OCISYNC_BINARY_SHA256 OCISYNC_TENANCY_OCID OCISYNC_HOME_REGION \
    OCISYNC_VAULT_REGION OCISYNC_AWS_KEY_ID_SECRET OCISYNC_AWS_SECRET_KEY_SECRET \
    OCISYNC_AWS_REGION OCISYNC_S3_BUCKET OCISYNC_TOPIC_OCID
for name in OCISYNC_TENANCY_OCID OCISYNC_HOME_REGION OCISYNC_VAULT_REGION \
    OCISYNC_AWS_KEY_ID_SECRET OCISYNC_AWS_SECRET_KEY_SECRET OCISYNC_AWS_REGION \
    OCISYNC_S3_BUCKET OCISYNC_S3_PREFIX OCISYNC_TOPIC_OCID OCISYNC_METRICS_FILE \
    OCISYNC_OCI_ENDPOINT OCISYNC_VAULT_ENDPOINT OCISYNC_ONS_ENDPOINT \
    OCISYNC_FEDERATION_ENDPOINT OCISYNC_S3_ENDPOINT; do
    plain "$name"
done
[[ ${OCISYNC_EXTRA_ARGS:-} =~ ^[A-Za-z0-9._:/@+=,\ -]*$ ]] ||
    fail "OCISYNC_EXTRA_ARGS may hold flags and plain values only: '${OCISYNC_EXTRA_ARGS:-}'"
[[ ${OCISYNC_ON_CALENDAR:-} =~ ^[A-Za-z0-9*/:.,~\ -]*$ ]] ||
    fail "OCISYNC_ON_CALENDAR is not a calendar expression: '${OCISYNC_ON_CALENDAR:-}'"
EXPECTED_SHA=$(tr 'A-F' 'a-f' <<<"$OCISYNC_BINARY_SHA256")
[[ $EXPECTED_SHA =~ ^[0-9a-f]{64}$ ]] || fail "OCISYNC_BINARY_SHA256 is not a SHA-256 (64 hex digits)"
[[ $OCISYNC_BINARY_URL =~ ^https:// || $OCISYNC_BINARY_URL =~ ^http://(127\.0\.0\.1|localhost)[:/] ]] ||
    fail "OCISYNC_BINARY_URL must be https:// (plain http only on 127.0.0.1)"
[[ $OCISYNC_TENANCY_OCID == ocid1.tenancy.* ]] || fail "OCISYNC_TENANCY_OCID is not a tenancy OCID"
for name in OCISYNC_AWS_KEY_ID_SECRET OCISYNC_AWS_SECRET_KEY_SECRET; do
    [[ ${!name} == ocid1.vaultsecret.* ]] ||
        fail "$name must be the OCID of a Vault secret (ocid1.vaultsecret…), never a key"
done
[[ $OCISYNC_TOPIC_OCID == ocid1.onstopic.* ]] || fail "OCISYNC_TOPIC_OCID is not a topic OCID"
METRICS_FILE=${OCISYNC_METRICS_FILE:-$DEFAULT_METRICS_FILE}
[[ $METRICS_FILE == /*.prom ]] || fail "OCISYNC_METRICS_FILE must be an absolute path ending .prom"
PREFIX=${OCISYNC_S3_PREFIX:-}
PREFIX=${PREFIX#/}
PREFIX=${PREFIX%/}
SRC="oci_usage:$OCISYNC_TENANCY_OCID"
DST="aws_s3:$OCISYNC_S3_BUCKET${PREFIX:+/$PREFIX}"

INIT=${OCISYNC_INIT:-auto}
if [[ $INIT == auto ]]; then
    if systemd_running; then INIT=systemd; else INIT=cron; fi
fi
[[ $INIT == systemd || $INIT == cron ]] || fail "OCISYNC_INIT must be auto, systemd or cron"
for file in systemd/ocisync.service systemd/ocisync.timer cron/ocisync logrotate/ocisync; do
    [[ -f $DEPLOY_DIR/$file ]] || fail "$DEPLOY_DIR/$file is missing (OCISYNC_DEPLOY_DIR)"
done
log "job: sync $SRC -> $DST, scheduled with $INIT"

# ---- 2. service user and directories ---------------------------------------------------------
STEP=user
if [[ $SKIP_USER != 1 ]]; then
    if ! getent passwd "$SERVICE_USER" >/dev/null; then
        nologin=/usr/sbin/nologin
        [[ -x $nologin ]] || nologin=/sbin/nologin
        useradd --system --user-group --no-create-home --home-dir /var/lib/ocisync \
            --shell "$nologin" --comment "ocisync (OCI cost reports to S3)" "$SERVICE_USER"
        changed "created system user $SERVICE_USER"
    else
        log "unchanged: user $SERVICE_USER"
    fi
fi
OWNER=$SERVICE_USER:$SERVICE_USER
ensure_dir "$CONF_DIR" 0750 "root:$SERVICE_USER"
ensure_dir "$STATE_DIR" 0750 "$OWNER"
ensure_dir "$LOG_DIR" 0750 "$OWNER"
METRICS_DIR=$ROOT$(dirname "$METRICS_FILE")
if [[ ! -d $METRICS_DIR ]]; then
    ensure_dir "$METRICS_DIR" 0755 "$OWNER"
fi

# ---- 3. configuration (no secret: secret OCIDs only) -----------------------------------------
STEP=config
oci_endpoint=${OCISYNC_OCI_ENDPOINT:+endpoint = \"$OCISYNC_OCI_ENDPOINT\"$'\n'}
vault_endpoint=${OCISYNC_VAULT_ENDPOINT:+endpoint = \"$OCISYNC_VAULT_ENDPOINT\"$'\n'}
ons_endpoint=${OCISYNC_ONS_ENDPOINT:+endpoint = \"$OCISYNC_ONS_ENDPOINT\"$'\n'}
federation=${OCISYNC_FEDERATION_ENDPOINT:+federation_endpoint = \"$OCISYNC_FEDERATION_ENDPOINT\"$'\n'}
if [[ -n ${OCISYNC_S3_ENDPOINT:-} ]]; then
    s3_provider="provider = \"Other\""$'\n'"endpoint = \"$OCISYNC_S3_ENDPOINT\""
else
    s3_provider='provider = "AWS"'
fi
put_content "$CONF" 0600 "$OWNER" <<EOF
# Written by the ocisync bootstrap; rewritten when the deployment changes. No secret here: OCI is
# reached as the instance itself (instance principal) and the AWS keys are read from OCI Vault at
# run time - the values below are the secrets' OCIDs. Check with: ocisync config validate

# The tenancy's cost and usage reports: namespace bling, bucket = tenancy OCID, home region.
[remotes.oci_usage]
type = "oracleobjectstorage"
provider = "instance_principal_auth"
namespace = "bling"
region = "$OCISYNC_HOME_REGION"
$oci_endpoint$federation
[credentials.aws_vault]
type = "oci_vault"
auth = "instance_principal"
region = "$OCISYNC_VAULT_REGION"
access_key_id = "$OCISYNC_AWS_KEY_ID_SECRET"
secret_access_key = "$OCISYNC_AWS_SECRET_KEY_SECRET"
$vault_endpoint$federation
[remotes.aws_s3]
type = "s3"
$s3_provider
region = "$OCISYNC_AWS_REGION"
credentials = "aws_vault"

[alerts.ops]
type = "oci_notifications"
topic = "$OCISYNC_TOPIC_OCID"
auth = "instance_principal"
on = ["failure"]
$ons_endpoint$federation
EOF

put_content "$ENV_FILE" 0640 "root:$SERVICE_USER" <<EOF
# Read by ocisync.service and /etc/cron.d/ocisync. Written by the ocisync bootstrap.
OCISYNC_SRC="$SRC"
OCISYNC_DST="$DST"
OCISYNC_METRICS_FILE="$METRICS_FILE"
OCISYNC_EXTRA_ARGS="${OCISYNC_EXTRA_ARGS:-}"
EOF

# ---- 4. the binary: download, verify SHA-256, install atomically -----------------------------
STEP=binary
installed_sha=
[[ -x $BIN ]] && installed_sha=$(sha256_of "$BIN")
if [[ -n $installed_sha && -f $INSTALLED_MARKER &&
    $(cat "$INSTALLED_MARKER") == "$EXPECTED_SHA $installed_sha" ]]; then
    log "unchanged: $BIN (artifact sha256 $EXPECTED_SHA)"
else
    work=$(mktemp -d)
    # The URL may be a pre-authenticated request: log its host, not its token.
    url_host=${OCISYNC_BINARY_URL#*://}
    url_host=${url_host%%/*}
    log "downloading the ocisync artifact from $url_host"
    curl --fail --silent --show-error --location --retry 5 --retry-delay 5 --retry-connrefused \
        --connect-timeout 10 --max-time 900 -o "$work/artifact" "$OCISYNC_BINARY_URL" ||
        { rm -rf "$work"; fail "download from $url_host failed"; }
    got_sha=$(sha256_of "$work/artifact")
    if [[ $got_sha != "$EXPECTED_SHA" ]]; then
        rm -rf "$work"
        fail "SHA-256 mismatch for the artifact from $url_host: expected $EXPECTED_SHA, got $got_sha; nothing installed"
    fi
    log "artifact sha256 verified: $got_sha"
    candidate=$work/artifact
    if tar -tzf "$work/artifact" >/dev/null 2>&1; then
        mkdir "$work/x"
        tar -xzf "$work/artifact" -C "$work/x" --no-same-owner
        candidate=$(find "$work/x" -type f -name ocisync | head -n1)
        [[ -n $candidate ]] || { rm -rf "$work"; fail "the release tarball holds no file named ocisync"; }
    fi
    chmod 0755 "$candidate"
    if ! version=$("$candidate" version 2>&1 | head -n1); then
        rm -rf "$work"
        fail "the downloaded ocisync does not run on this $(uname -m) machine (wrong architecture?): $version"
    fi
    mkdir -p "$(dirname "$BIN")"
    put_file "$candidate" "$BIN" 0755 root:root
    printf '%s %s\n' "$EXPECTED_SHA" "$(sha256_of "$BIN")" >"$INSTALLED_MARKER"
    rm -rf "$work"
    log "installed $BIN: $version"
fi

STEP=validate
if ! out=$(env "${OCISYNC_CLEAN_ENV[@]}" "$BIN" --config "$CONF" config validate 2>&1); then
    fail "ocisync config validate: $out"
fi
log "config valid: $CONF"

# ---- 5. schedule: systemd timer, or cron where systemd does not run ---------------------------
STEP=schedule
put_file "$DEPLOY_DIR/logrotate/ocisync" "$ROOT/etc/logrotate.d/ocisync" 0644 root:root
UNIT_DIR=$ROOT/etc/systemd/system
if [[ $INIT == systemd ]]; then
    before=$CHANGES
    put_file "$DEPLOY_DIR/systemd/ocisync.service" "$UNIT_DIR/ocisync.service" 0644 root:root
    put_file "$DEPLOY_DIR/systemd/ocisync.timer" "$UNIT_DIR/ocisync.timer" 0644 root:root
    shipped_calendar=$(sed -n 's/^OnCalendar=//p' "$DEPLOY_DIR/systemd/ocisync.timer")
    if [[ -n ${OCISYNC_ON_CALENDAR:-} && $OCISYNC_ON_CALENDAR != "$shipped_calendar" ]]; then
        put_content "$UNIT_DIR/ocisync.timer.d/schedule.conf" 0644 root:root <<EOF
[Timer]
OnCalendar=
OnCalendar=$OCISYNC_ON_CALENDAR
EOF
    else
        remove_file "$UNIT_DIR/ocisync.timer.d/schedule.conf"
    fi
    if [[ $METRICS_FILE != "$DEFAULT_METRICS_FILE" ]]; then
        put_content "$UNIT_DIR/ocisync.service.d/metrics.conf" 0644 root:root <<EOF
[Service]
ReadWritePaths=-$(dirname "$METRICS_FILE")
EOF
    else
        remove_file "$UNIT_DIR/ocisync.service.d/metrics.conf"
    fi
    remove_file "$ROOT/etc/cron.d/ocisync"
    if ((CHANGES != before)); then
        systemctl daemon-reload
        log "systemd reloaded"
    fi
    if ! systemctl is-enabled --quiet ocisync.timer || ! systemctl is-active --quiet ocisync.timer; then
        systemctl enable --now ocisync.timer
        changed "enabled and started ocisync.timer"
    elif ((CHANGES != before)); then
        systemctl restart ocisync.timer
        changed "restarted ocisync.timer"
    fi
else
    put_file "$DEPLOY_DIR/cron/ocisync" "$ROOT/etc/cron.d/ocisync" 0644 root:root
    if [[ -z $ROOT ]] && ! command -v crond >/dev/null 2>&1 && ! command -v cron >/dev/null 2>&1; then
        log "warning: no cron daemon found: install cronie (Oracle Linux) or cron (Ubuntu)"
    fi
fi

# ---- 6. first sync ---------------------------------------------------------------------------
STEP=first-sync
if [[ ${OCISYNC_FIRST_SYNC:-1} == 0 ]]; then
    log "first sync: skipped (OCISYNC_FIRST_SYNC=0)"
elif [[ -f $FIRST_SYNC_MARKER ]]; then
    log "first sync: already done ($(cat "$FIRST_SYNC_MARKER")), not repeated"
else
    # The dynamic group and its policies may be created after the instance, and IAM takes a few
    # minutes to apply them: wait until the reports can be listed.
    attempts=${OCISYNC_WAIT_ATTEMPTS:-10}
    delay=${OCISYNC_WAIT_DELAY:-60}
    for ((i = 1; ; i++)); do
        rc=0
        out=$(as_service_user env "${OCISYNC_CLEAN_ENV[@]}" "$BIN" --config "$CONF" --no-alerts lsf "$SRC" 2>&1) || rc=$?
        if ((rc == 0)); then
            log "cost reports reachable: $SRC"
            break
        fi
        if ((rc == 2 || i >= attempts)); then
            fail "cannot list $SRC after $i attempt(s) (exit $rc): $(tail -n 5 <<<"$out")"
        fi
        log "cannot list $SRC yet (attempt $i/$attempts, exit $rc); IAM policies can take minutes to apply, retrying in ${delay}s"
        sleep "$delay"
    done
    log "first sync: $SRC -> $DST"
    if [[ $INIT == systemd ]]; then
        rc=0
        systemctl start ocisync.service || rc=$?
        [[ $rc == 0 ]] || fail "first sync failed (systemctl start ocisync.service exit $rc); see journalctl -u ocisync.service and /var/log/ocisync/ocisync.log"
    else
        rc=0
        # Same flags as the unit; the service's own alert is left to the bootstrap's here.
        # shellcheck disable=SC2086 # OCISYNC_EXTRA_ARGS is a list of flags
        as_service_user env "${OCISYNC_CLEAN_ENV[@]}" "$BIN" --config "$CONF" sync "$SRC" "$DST" --checksum \
            --lock-file "$STATE_DIR/ocisync.lock" --lock-stale 12h \
            --metrics-file "$ROOT$METRICS_FILE" --report-json "$STATE_DIR/last-run.json" \
            --job-name ocisync --log-file "$LOG_DIR/ocisync.log" -v --no-alerts \
            ${OCISYNC_EXTRA_ARGS:-} || rc=$?
        [[ $rc == 0 || $rc == 9 ]] || fail "first sync failed (exit $rc); see /var/log/ocisync/ocisync.log"
    fi
    date -u +%Y-%m-%dT%H:%M:%SZ >"$FIRST_SYNC_MARKER"
    changed "first sync done"
fi

STEP=finish
if ((CHANGES == 0)); then
    log "done: nothing changed (already bootstrapped)"
else
    log "done: $CHANGES change(s)"
fi
