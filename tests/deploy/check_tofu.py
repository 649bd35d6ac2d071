#!/usr/bin/env python3
"""Project checks of the OpenTofu stack (deploy/opentofu) that need no provider and no network.

What `tofu validate` would catch offline and what checkov does not know about this project:
every .tf parses (python-hcl2); every var./local./data./resource reference is declared; every
templatefile() gets exactly the variables its template uses, and the bootstrap gets every setting
it requires; user_data can reach no AWS key; the VM has no public IP and IMDS v1 off; every
policy statement names the dynamic group (but the `define`); the usage-report tenancy OCID is
exact; the PAR is read-only with an expiry fixed in the state; the secrets are trimmed; the
rendered user_data fits OCI's 32,000-byte metadata limit.

    python check_tofu.py [DEPLOY_DIR]     # default: the deploy/ next to tests/
Exit 0 when every check passes, 1 otherwise. Run with the python-hcl2 venv (scripts/check-deploy.sh).
"""

from __future__ import annotations

import base64
import gzip
import re
import subprocess
import sys
from pathlib import Path

import hcl2

USAGE_REPORT_TENANCY = (
    "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq"
)
MARKER = "# @@OCISYNC_RENDERED_VARIABLES@@"
FORBIDDEN_IN_USER_DATA = [
    r"var\.aws_access_key_id\b",
    r"var\.aws_secret_access_key\b",
    r"\.secret_content\b",
    r"\bnonsensitive\(",
]
METADATA_LIMIT = 32000


def unquote(value):
    """python-hcl2 8 keeps the quotes of literal strings and labels: drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def norm(node):
    if isinstance(node, dict):
        return {
            unquote(k): norm(v)
            for k, v in node.items()
            if k not in ("__is_block__", "__comments__")
        }
    if isinstance(node, list):
        return [norm(v) for v in node]
    return unquote(node)


def strings(node):
    """Every string leaf (expressions come as "${...}" strings)."""
    if isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)
    elif isinstance(node, str):
        yield node


def block(body, name):
    """The first nested block `name` of a resource body (hcl2 gives blocks as lists)."""
    value = body.get(name)
    if isinstance(value, list):
        return value[0] if value else {}
    return value or {}


class Stack:
    def __init__(self, tofu_dir: Path):
        self.dir = tofu_dir
        self.files: dict[str, dict] = {}
        self.raw: dict[str, str] = {}
        self.variables: dict[str, dict] = {}
        self.locals: dict[str, object] = {}
        self.resources: dict[tuple[str, str], dict] = {}
        self.data: dict[tuple[str, str], dict] = {}
        self.providers: set[str] = set()
        self.outputs: dict[str, dict] = {}
        for path in sorted(tofu_dir.glob("*.tf")):
            text = path.read_text()
            self.raw[path.name] = text
            doc = norm(hcl2.loads(text))
            self.files[path.name] = doc
            for v in doc.get("variable", []):
                self.variables.update(v)
            for loc in doc.get("locals", []):
                self.locals.update(loc)
            for r in doc.get("resource", []):
                for rtype, named in r.items():
                    for name, body in named.items():
                        self.resources[(rtype, name)] = body
            for d in doc.get("data", []):
                for dtype, named in d.items():
                    for name, body in named.items():
                        self.data[(dtype, name)] = body
            for p in doc.get("provider", []):
                for pname, body in p.items():
                    alias = unquote(body.get("alias", "")) if isinstance(body, dict) else ""
                    self.providers.add(f"{pname}.{alias}" if alias else pname)
            for o in doc.get("output", []):
                self.outputs.update(o)

    def all_strings(self):
        for doc in self.files.values():
            yield from strings(doc)

    def refs(self, expr) -> set[str]:
        """var.X / local.X / data.T.N / T.N references in an expression (or a whole body)."""
        found = set()
        for s in strings(expr) if not isinstance(expr, str) else [expr]:
            for m in re.finditer(r"(?<![\w.])var\.([A-Za-z_][\w-]*)", s):
                found.add("var." + m.group(1))
            for m in re.finditer(r"(?<![\w.])local\.([A-Za-z_][\w-]*)", s):
                found.add("local." + m.group(1))
            for m in re.finditer(r"(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)", s):
                found.add(f"data.{m.group(1)}.{m.group(2)}")
            for m in re.finditer(r"(?<![\w.])((?:oci|time)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)", s):
                found.add(f"{m.group(1)}.{m.group(2)}")
        return found

    def closure(self, expr) -> set[str]:
        """References of an expression, following locals transitively."""
        seen: set[str] = set()
        todo = list(self.refs(expr))
        while todo:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            if ref.startswith("local.") and ref[6:] in self.locals:
                todo.extend(self.refs(self.locals[ref[6:]]))
        return seen

    def literal(self, s: str) -> str:
        """Substitutes ${local.X} where X is a plain literal string."""

        def sub(m):
            value = self.locals.get(m.group(1))
            return value if isinstance(value, str) and "${" not in value else m.group(0)

        return re.sub(r"\$\{local\.([A-Za-z_][\w-]*)\}", sub, s)


class Checker:
    def __init__(self, deploy: Path):
        self.deploy = deploy
        self.tofu = deploy / "opentofu"
        self.failures: list[str] = []
        self.passed = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"ok    {name}{': ' + detail if detail else ''}")

    def fail(self, name, detail):
        self.failures.append(f"{name}: {detail}")
        print(f"FAIL  {name}: {detail}")

    def check(self, name, problems: list[str], detail=""):
        if problems:
            for p in problems:
                self.fail(name, p)
        else:
            self.ok(name, detail)

    # ------------------------------------------------------------------------------------------
    def run(self) -> int:
        try:
            stack = Stack(self.tofu)
        except Exception as e:  # a parse error names the file
            self.fail("parse", f"{e}")
            return self.summary()
        self.ok("parse", f"{len(stack.files)} .tf files")
        for extra in ("terraform.tfvars.example", "backend.tf.example"):
            path = self.tofu / extra
            if path.exists():
                try:
                    hcl2.loads(path.read_text())
                    self.ok("parse", extra)
                except Exception as e:
                    self.fail("parse", f"{extra}: {e}")
        self.references(stack)
        self.templatefiles(stack)
        self.bootstrap_settings(stack)
        self.user_data(stack)
        self.instance(stack)
        self.network(stack)
        self.policies(stack)
        self.secrets(stack)
        self.par(stack)
        self.checkov_skips(stack)
        self.metadata_size(stack)
        return self.summary()

    def summary(self) -> int:
        print(f"{self.passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0

    # ------------------------------------------------------------------------------------------
    def references(self, st: Stack):
        problems = []
        declared_resources = set(f"{t}.{n}" for t, n in st.resources)
        declared_data = set(f"data.{t}.{n}" for t, n in st.data)
        for fname, doc in st.files.items():
            for ref in sorted(st.refs(doc)):
                if ref.startswith("var.") and ref[4:] not in st.variables:
                    problems.append(f"{fname}: {ref} is not declared")
                elif ref.startswith("local.") and ref[6:] not in st.locals:
                    problems.append(f"{fname}: {ref} is not declared")
                elif ref.startswith("data.") and ref not in declared_data:
                    problems.append(f"{fname}: {ref} does not exist")
                elif re.match(r"(oci|time)_", ref) and ref not in declared_resources:
                    problems.append(f"{fname}: resource {ref} does not exist")
        for (rtype, name), body in st.resources.items():
            provider = body.get("provider")
            if isinstance(provider, str):
                provider = provider.strip("${}")
                if provider not in st.providers:
                    problems.append(f"{rtype}.{name}: provider {provider} is not configured")
        used_vars = {r[4:] for r in st.refs(list(st.files.values())) if r.startswith("var.")}
        for name in st.variables:
            if name not in used_vars:
                problems.append(f"variable {name} is declared but never used")
        self.check(
            "references",
            problems,
            f"{len(st.variables)} variables, {len(st.locals)} locals, "
            f"{len(st.resources)} resources, {len(st.data)} data sources all resolve",
        )

    def _templatefile_calls(self, st: Stack):
        """(template path, variable names passed) for every templatefile() call."""
        calls = []
        for fname, text in st.raw.items():
            for m in re.finditer(r'templatefile\(\s*"\$\{path\.module\}/([^"]+)"\s*,\s*', text):
                rest = text[m.end():]
                if rest.startswith("local."):
                    name = re.match(r"local\.([\w-]+)", rest).group(1)
                    value = st.locals.get(name)
                    keys = set(value) if isinstance(value, dict) else None
                elif rest.startswith("{"):
                    depth, end = 0, 0
                    for i, ch in enumerate(rest):
                        depth += ch == "{"
                        depth -= ch == "}"
                        if depth == 0:
                            end = i
                            break
                    inner = rest[1:end]
                    keys = set(re.findall(r"^\s*([A-Za-z_]\w*)\s*=", inner, re.M))
                else:
                    keys = None
                calls.append((fname, m.group(1), keys))
        return calls

    def templatefiles(self, st: Stack):
        problems = []
        calls = self._templatefile_calls(st)
        if not calls:
            problems.append("no templatefile() call found")
        for fname, rel, keys in calls:
            path = (self.tofu / rel).resolve()
            if not path.exists():
                problems.append(f"{fname}: template {rel} does not exist")
                continue
            if keys is None:
                problems.append(f"{fname}: templatefile({rel}) variables are not a map or local")
                continue
            text = path.read_text()
            # ${name...} and %{ for/if ... name } uses; $${ is an escaped literal.
            used = set(re.findall(r"(?<!\$)\$\{\s*([A-Za-z_]\w*)", text))
            used |= {
                w
                for d in re.findall(r"%\{([^}]*)\}", text)
                for w in re.findall(r"[A-Za-z_]\w*", d)
                if w not in ("for", "in", "if", "else", "endif", "endfor")
            }
            for name in sorted(used - keys):
                problems.append(f"{rel} uses ${{{name}}} but {fname} does not pass it")
            for name in sorted(keys - used):
                problems.append(f"{fname} passes {name} to {rel}, which never uses it")
        self.check("templatefile variables", problems, f"{len(calls)} templatefile() calls")

    def bootstrap_settings(self, st: Stack):
        problems = []
        script = (self.deploy / "bootstrap" / "bootstrap.sh").read_text()
        vars_tpl = (self.tofu / "templates" / "bootstrap-vars.sh.tftpl").read_text()
        m = re.search(r"^require ((?:[^\n]*\\\n)*[^\n]*)$", script, re.M)
        required = set(re.findall(r"OCISYNC_\w+", m.group(1))) if m else set()
        if not required:
            problems.append("bootstrap.sh has no `require OCISYNC_...` line")
        exported = {}
        for line in vars_tpl.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            m = re.fullmatch(r'export (OCISYNC_\w+)="\$\$\{(OCISYNC_\w+):-\$\{(\w+)\}\}"', line)
            if not m or m.group(1) != m.group(2):
                problems.append(f"bootstrap-vars template line not of the form "
                                f'export OCISYNC_X="$${{OCISYNC_X:-${{x}}}}": {line}')
                continue
            exported[m.group(1)] = m.group(3)
        for name in sorted(required - set(exported)):
            problems.append(f"bootstrap.sh requires {name}; the rendered block does not set it")
        for name in sorted(set(exported) - set(re.findall(r"OCISYNC_\w+", script))):
            problems.append(f"the rendered block sets {name}, which bootstrap.sh never reads")
        if script.count(MARKER + "\n") != 1:
            problems.append(f"bootstrap.sh must hold the marker line '{MARKER}' once")
        if MARKER not in st.raw.get("compute.tf", ""):
            problems.append("compute.tf does not replace the bootstrap marker")
        # Every file the bootstrap installs from OCISYNC_DEPLOY_DIR is written by cloud-init.
        cloud_init = (self.tofu / "templates" / "cloud-init.yaml.tftpl").read_text()
        shipped = set(re.findall(r"path: /usr/local/share/ocisync/(\S+)", cloud_init))
        needed = set(re.findall(r"\$DEPLOY_DIR/([\w/.-]+)", script))
        needed |= set(re.findall(r"for file in ([^;]+);", script)[0].split()) if "for file in" in script else set()
        for rel in sorted(needed - shipped - {"file"}):
            problems.append(f"bootstrap.sh reads $DEPLOY_DIR/{rel}; cloud-init does not write it")
        for rel in sorted(shipped - {"bootstrap.sh"}):
            if not (self.deploy / rel).is_file():
                problems.append(f"cloud-init writes {rel}, which is not in deploy/")
        self.check(
            "bootstrap settings",
            problems,
            f"{len(required)} required settings rendered, {len(shipped)} files shipped",
        )

    def user_data(self, st: Stack):
        problems = []
        instances = [(n, b) for (t, n), b in st.resources.items() if t == "oci_core_instance"]
        for name, body in instances:
            meta = body.get("metadata", {})
            expr = meta.get("user_data") if isinstance(meta, dict) else None
            if not expr:
                problems.append(f"oci_core_instance.{name} has no metadata.user_data")
                continue
            reach = st.closure(expr)
            texts = [expr] + [
                st.locals[r[6:]] for r in reach if r.startswith("local.") and r[6:] in st.locals
            ]
            for pattern in FORBIDDEN_IN_USER_DATA:
                for t in texts:
                    for s in strings(t) if not isinstance(t, str) else [t]:
                        if re.search(pattern, s):
                            problems.append(f"user_data of {name} reaches {pattern!r}: {s[:100]}")
            for ref in reach:
                if ref.startswith("oci_vault_secret.") and "secret_content" in ref:
                    problems.append(f"user_data of {name} reaches {ref}")
            # Templates it renders must not name a key either.
            for _, rel, _ in self._templatefile_calls(st):
                text = (self.tofu / rel).read_text().lower()
                if "aws_access_key_id" in text or "aws_secret_access_key" in text:
                    problems.append(f"template {rel} mentions an AWS key variable")
            secret_refs = sorted(r for r in reach if r.startswith("oci_vault_secret."))
            if not secret_refs:
                problems.append(f"user_data of {name} does not pass the Vault secret OCIDs")
            for s in strings(st.locals.get("bootstrap_vars", {})):
                for m in re.finditer(r"oci_vault_secret\.\w+\.(\w+)", s):
                    if m.group(1) != "id":
                        problems.append(f"bootstrap_vars passes oci_vault_secret ….{m.group(1)}")
        self.check("user_data holds no AWS key", problems, "only the secrets' OCIDs reach it")

    def instance(self, st: Stack):
        problems = []
        instances = [(n, b) for (t, n), b in st.resources.items() if t == "oci_core_instance"]
        if not instances:
            problems.append("no oci_core_instance")
        for name, body in instances:
            vnic = block(body, "create_vnic_details")
            if vnic.get("assign_public_ip") is not False:
                problems.append(f"{name}: create_vnic_details.assign_public_ip must be false")
            opts = block(body, "instance_options")
            if opts.get("are_legacy_imds_endpoints_disabled") is not True:
                problems.append(f"{name}: instance_options.are_legacy_imds_endpoints_disabled must be true")
            launch = block(body, "launch_options")
            if launch.get("is_pv_encryption_in_transit_enabled") is not True:
                problems.append(f"{name}: launch_options.is_pv_encryption_in_transit_enabled must be true")
            agent = block(body, "agent_config")
            if agent.get("is_monitoring_disabled") is not False:
                problems.append(f"{name}: agent_config.is_monitoring_disabled must be false")
        self.check("instance", problems, "no public IP, IMDS v2 only, in-transit encryption, monitoring")

    def network(self, st: Stack):
        problems = []
        for (t, n), body in st.resources.items():
            if t == "oci_core_subnet" and body.get("prohibit_public_ip_on_vnic") is not True:
                problems.append(f"subnet {n}: prohibit_public_ip_on_vnic must be true")
            if t == "oci_core_security_list":
                for rule in body.get("egress_security_rules", []):
                    tcp = block(rule, "tcp_options")
                    if rule.get("protocol") != "6" or tcp.get("min") != 443 or tcp.get("max") != 443:
                        problems.append(f"security list {n}: egress other than TCP 443: {rule}")
                for rule in body.get("ingress_security_rules", []):
                    problems.append(f"security list {n}: unconditional ingress rule {rule}")
                for dyn in body.get("dynamic", []):
                    for label, d in dyn.items():
                        content = block(d, "content")
                        src = content.get("source", "")
                        if label == "ingress_security_rules" and (
                            "0.0.0.0/0" in src or block(content, "tcp_options").get("min") != 22
                        ):
                            problems.append(f"security list {n}: ingress other than SSH from the subnet")
        self.check("network", problems, "private subnet, egress TCP 443 only, SSH in only with the bastion")

    def policies(self, st: Stack):
        problems = []
        policies = [(n, b) for (t, n), b in st.resources.items() if t == "oci_identity_policy"]
        groups = [n for (t, n) in st.resources if t == "oci_identity_dynamic_group"]
        if not policies or not groups:
            problems.append("no oci_identity_policy / oci_identity_dynamic_group")
        for (t, n), body in st.resources.items():
            if t.startswith("oci_identity_") and body.get("provider") != "${oci.home}":
                problems.append(f"{t}.{n} must use provider = oci.home (IAM writes go to the home region)")
        dg_ref = re.compile(r"dynamic-group \$\{oci_identity_dynamic_group\.(\w+)\.name\}")
        define_ok = endorse_ok = bundles_ok = ons_ok = tenancy_ok = False
        for name, body in policies:
            for raw in body.get("statements", []):
                s = st.literal(raw)
                low = s.lower()
                if low.startswith("define tenancy usage-report as "):
                    ocid = s.split(" as ", 1)[1].strip()
                    if ocid != USAGE_REPORT_TENANCY:
                        problems.append(f"{name}: usage-report OCID is {ocid!r}, not {USAGE_REPORT_TENANCY}")
                    define_ok = True
                    continue
                m = dg_ref.search(s)
                if not m or m.group(1) not in groups:
                    problems.append(f"{name}: statement does not name the dynamic group: {s}")
                    continue
                if re.search(r"\b(manage|all-resources)\b", low):
                    problems.append(f"{name}: too broad: {s}")
                if low.startswith("endorse ") and low.endswith("to read objects in tenancy usage-report"):
                    endorse_ok = True
                if "to read secret-bundles in compartment" in low:
                    ids = re.findall(r"target\.secret\.id = '\$\{oci_vault_secret\.(\w+)\.id\}'", s)
                    if " where any {" in s and len(set(ids)) == 2:
                        bundles_ok = True
                    else:
                        problems.append(f"{name}: read secret-bundles must be limited to the two secrets: {s}")
                if "to use ons-topics in compartment" in low:
                    ons_ok = True
                if low.endswith("to inspect tenancies in tenancy"):
                    tenancy_ok = True
        for ok, what in [
            (define_ok, "define tenancy usage-report as <Oracle's OCID>"),
            (endorse_ok, "endorse dynamic-group … to read objects in tenancy usage-report"),
            (bundles_ok, "read secret-bundles limited to the two secrets"),
            (ons_ok, "use ons-topics"),
            (tenancy_ok, "inspect tenancies in tenancy"),
        ]:
            if not ok:
                problems.append(f"missing statement: {what}")
        self.check("policies", problems, "every statement names the dynamic group; usage-report OCID exact")

    def secrets(self, st: Stack):
        problems = []
        for key in ("aws_access_key_id", "aws_secret_access_key"):
            if st.variables.get(key, {}).get("sensitive") is not True:
                problems.append(f"variable {key} must be sensitive")
        found = 0
        for (t, n), body in st.resources.items():
            if t != "oci_vault_secret":
                continue
            found += 1
            content = block(body, "secret_content")
            if content.get("content_type") != "BASE64":
                problems.append(f"secret {n}: content_type must be BASE64")
            if not re.fullmatch(r"\$\{base64encode\(trimspace\(var\.\w+\)\)\}", str(content.get("content"))):
                problems.append(f"secret {n}: content must be base64encode(trimspace(var....))")
        if found != 2:
            problems.append(f"expected 2 oci_vault_secret resources, found {found}")
        self.check("vault secrets", problems, "BASE64, trimmed, variables sensitive")

    def par(self, st: Stack):
        problems = []
        for s in st.all_strings():
            if "timestamp()" in s:
                problems.append(f"timestamp() makes a diff on every plan: {s[:80]}")
        for (t, n), body in st.resources.items():
            if t == "oci_objectstorage_preauthrequest":
                if body.get("access_type") != "ObjectRead":
                    problems.append(f"PAR {n}: access_type must be ObjectRead")
                if "time_offset." not in str(body.get("time_expires")):
                    problems.append(f"PAR {n}: time_expires must come from a time_offset")
            if t == "oci_objectstorage_bucket" and body.get("access_type") != "NoPublicAccess":
                problems.append(f"bucket {n}: access_type must be NoPublicAccess")
        self.check("artifact PAR", problems, "read-only, expiry fixed in the state, bucket private")

    def checkov_skips(self, st: Stack):
        problems = []
        count = 0
        for fname, text in st.raw.items():
            for line in text.splitlines():
                if "checkov:skip" in line:
                    count += 1
                    if not re.search(r"#checkov:skip=CKV2?_[A-Z]+_\d+:\S.{15,}", line):
                        problems.append(f"{fname}: skip without a reason: {line.strip()}")
        self.check("checkov skips", problems, f"{count} inline skip(s), each with its reason")

    def metadata_size(self, st: Stack):
        """Renders user_data as tofu would, with realistic values, and measures it."""
        problems = []
        ocid = "ocid1.vaultsecret.oc1.eu-frankfurt-1." + "a" * 60
        values = {
            k: ocid for k in st.locals.get("bootstrap_vars", {})
        }
        values["binary_url"] = "https://objectstorage.eu-frankfurt-1.oraclecloud.com/p/" + "x" * 64 + "/n/ns/b/ocisync-artifacts/o/ocisync/0.1.0/ocisync-0.1.0-aarch64-linux-musl.tar.gz"
        tpl = (self.tofu / "templates" / "bootstrap-vars.sh.tftpl").read_text()
        rendered_vars = re.sub(r"(?<!\$)\$\{(\w+)\}", lambda m: values.get(m.group(1), ""), tpl)
        rendered_vars = rendered_vars.replace("$${", "${")
        script = (self.deploy / "bootstrap" / "bootstrap.sh").read_text()
        script = script.replace(MARKER + "\n", rendered_vars)
        syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        if syntax.returncode != 0:
            problems.append(f"the rendered bootstrap is not valid bash: {syntax.stderr.strip()}")

        def b64gz(text):
            return base64.b64encode(gzip.compress(text.encode(), 9)).decode()

        files = {
            "bootstrap": b64gz(script),
            "service_unit": b64gz((self.deploy / "systemd/ocisync.service").read_text()),
            "timer_unit": b64gz((self.deploy / "systemd/ocisync.timer").read_text()),
            "cron_file": b64gz((self.deploy / "cron/ocisync").read_text()),
            "logrotate_file": b64gz((self.deploy / "logrotate/ocisync").read_text()),
        }
        ci = (self.tofu / "templates" / "cloud-init.yaml.tftpl").read_text()
        ci = re.sub(r"\$\{(\w+)\}", lambda m: files.get(m.group(1), "?"), ci)
        if not ci.startswith("#cloud-config\n"):
            problems.append("cloud-init template must start with #cloud-config")
        size = len(base64.b64encode(ci.encode())) + 800  # + an SSH public key
        if size >= METADATA_LIMIT:
            problems.append(f"user_data + ssh key ≈ {size} bytes ≥ {METADATA_LIMIT}")
        self.check(
            "user_data size", problems,
            f"≈ {size} bytes of {METADATA_LIMIT} (gzip+base64 files); rendered bootstrap passes bash -n",
        )


def main(argv):
    deploy = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "deploy"
    return Checker(deploy).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
