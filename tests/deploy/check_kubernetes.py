"""Project checks of deploy/kubernetes/ beyond the API schemas (kubernetes-validate checks those):
what makes the sharded job correct. Run by scripts/check-deploy.sh in the kubernetes-validate
venv (PyYAML comes with it).

    python3 tests/deploy/check_kubernetes.py deploy

- job.yaml is an Indexed Job whose N is the same in completions, parallelism and the SHARDS
  variable, each pod runs `--shard=$(JOB_COMPLETION_INDEX)/$(SHARDS)` with the index from the
  Job controller's annotation, retries are per index (backoffLimitPerIndex), and exit 7 (refused
  deletion) is not retried;
- cronjob.yaml wraps exactly job.yaml's spec, every 6 hours, concurrencyPolicy Forbid;
- the pods run as the image's user (deploy/container/passwd), non-root, read-only, no
  privileges, with the config from the ConfigMap and no Kubernetes API token.
"""

import os
import sys

import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(docs, kind):
    found = [d for d in docs if d.get("kind") == kind]
    assert len(found) == 1, f"want one {kind}, found {len(found)}"
    return found[0]


def image_user(deploy):
    with open(os.path.join(deploy, "container", "passwd")) as f:
        fields = f.readline().strip().split(":")
    return int(fields[2]), int(fields[3])


def check_pod(spec, uid_gid, config_map):
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never", "retries belong to the Job (per index), not the kubelet"
    assert pod.get("automountServiceAccountToken") is False, "ocisync needs no Kubernetes API token"
    sc = pod["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert (sc["runAsUser"], sc["runAsGroup"]) == uid_gid, \
        f"pod user {sc['runAsUser']}:{sc['runAsGroup']} is not the image's {uid_gid}"
    (c,) = pod["containers"]
    csc = c["securityContext"]
    assert csc["readOnlyRootFilesystem"] is True and csc["allowPrivilegeEscalation"] is False
    assert csc["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e for e in c["env"]}
    shards = int(env["SHARDS"]["value"])
    index = env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert index == "metadata.annotations['batch.kubernetes.io/job-completion-index']", index
    for name in ("OCISYNC_SRC", "OCISYNC_DST"):
        ref = env[name]["valueFrom"]["configMapKeyRef"]
        assert ref["name"] == config_map["metadata"]["name"] and ref["key"] in config_map["data"], name
    args = c["args"]
    assert "--shard=$(JOB_COMPLETION_INDEX)/$(SHARDS)" in args, args
    assert args[0] == "--config=/etc/ocisync/ocisync.toml" and args[1] in ("sync", "copy"), args
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    cm = volumes[mounts["/etc/ocisync"]]["configMap"]
    assert cm["name"] == config_map["metadata"]["name"]
    assert [i["path"] for i in cm["items"]] == ["ocisync.toml"]
    assert "ocisync.toml" in config_map["data"]
    return shards


def check_job_spec(spec, uid_gid, config_map):
    assert spec["completionMode"] == "Indexed"
    shards = check_pod(spec, uid_gid, config_map)
    assert spec["completions"] == spec["parallelism"] == shards, \
        f"completions {spec['completions']}, parallelism {spec['parallelism']}, SHARDS {shards}: all must be N"
    assert spec["backoffLimitPerIndex"] >= 1
    assert "backoffLimit" not in spec, "backoffLimitPerIndex, not a job-wide backoffLimit"
    rules = spec["podFailurePolicy"]["rules"]
    fail_index = [r for r in rules if r["action"] == "FailIndex"]
    assert any(7 in r["onExitCodes"]["values"] for r in fail_index), "exit 7 must not be retried"
    return shards


def minutes_every_6_hours(schedule):
    minute, hour, dom, month, dow = schedule.split()
    assert minute.isdigit() and hour == "*/6" and (dom, month, dow) == ("*", "*", "*"), schedule


def main(deploy):
    k8s = os.path.join(deploy, "kubernetes")
    config_map = one(load(os.path.join(k8s, "configmap.yaml")), "ConfigMap")
    uid_gid = image_user(deploy)
    job = one(load(os.path.join(k8s, "job.yaml")), "Job")
    shards = check_job_spec(job["spec"], uid_gid, config_map)
    cron = one(load(os.path.join(k8s, "cronjob.yaml")), "CronJob")
    cs = cron["spec"]
    assert cs["concurrencyPolicy"] == "Forbid", "two sets of workers must never overlap"
    minutes_every_6_hours(cs["schedule"])
    assert cs["jobTemplate"]["spec"] == job["spec"], "cronjob.yaml's job spec differs from job.yaml's"
    ns = load(os.path.join(k8s, "namespace.yaml"))
    sa = one(ns, "ServiceAccount")
    assert sa.get("automountServiceAccountToken") is False
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"]
    print(f"   deploy/kubernetes: Indexed Job of {shards} shards, CronJob '{cs['schedule']}' (Forbid) "
          f"with the same spec, pods as {uid_gid[0]}:{uid_gid[1]} (the image's user)")


if __name__ == "__main__":
    try:
        main(sys.argv[1] if len(sys.argv) > 1 else "deploy")
    except (AssertionError, KeyError) as e:
        print(f"check_kubernetes: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
