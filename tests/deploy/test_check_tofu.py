#!/usr/bin/env python3
"""The project checks catch what they claim to: each test breaks a copy of deploy/ one way and
expects check_tofu.py to fail with the matching message (and the real deploy/ to pass).

    target/venv-hcl2/bin/python -m unittest tests/deploy/test_check_tofu.py
"""

import contextlib
import io
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_tofu  # noqa: E402

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def run(deploy: Path):
    checker = check_tofu.Checker(deploy)
    with contextlib.redirect_stdout(io.StringIO()):
        code = checker.run()
    return code, "\n".join(checker.failures)


class Broken(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="check-tofu-"))
        self.deploy = self.tmp / "deploy"
        shutil.copytree(DEPLOY, self.deploy)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, rel, old, new):
        path = self.deploy / rel
        text = path.read_text()
        self.assertIn(old, text, f"{rel} no longer holds {old!r}: update this test")
        path.write_text(text.replace(old, new, 1))

    def assertFails(self, expected):
        code, failures = run(self.deploy)
        self.assertEqual(code, 1, "the check passed a broken stack")
        self.assertIn(expected, failures)

    def test_the_real_stack_passes(self):
        code, failures = run(DEPLOY)
        self.assertEqual(code, 0, failures)

    def test_undeclared_variable(self):
        self.edit("opentofu/network.tf", "var.vcn_cidr", "var.vcn_cidrs")
        self.assertFails("var.vcn_cidrs is not declared")

    def test_missing_resource(self):
        self.edit("opentofu/network.tf", "oci_core_nat_gateway.this.id", "oci_core_nat_gateway.nat.id")
        self.assertFails("resource oci_core_nat_gateway.nat does not exist")

    def test_public_ip(self):
        self.edit("opentofu/compute.tf", "assign_public_ip = false", "assign_public_ip = true")
        self.assertFails("assign_public_ip must be false")

    def test_legacy_imds(self):
        self.edit(
            "opentofu/compute.tf",
            "are_legacy_imds_endpoints_disabled = true",
            "are_legacy_imds_endpoints_disabled = false",
        )
        self.assertFails("are_legacy_imds_endpoints_disabled must be true")

    def test_aws_key_in_user_data(self):
        self.edit(
            "opentofu/compute.tf",
            "    extra_args           = var.extra_args\n",
            "    extra_args           = var.extra_args\n    leak = var.aws_secret_access_key\n",
        )
        self.assertFails("user_data of this reaches")

    def test_secret_content_in_user_data(self):
        self.edit(
            "opentofu/compute.tf",
            "oci_vault_secret.aws_access_key_id.id",
            "oci_vault_secret.aws_access_key_id.secret_content[0].content",
        )
        self.assertFails("reaches")

    def test_template_variable_not_passed(self):
        self.edit("opentofu/compute.tf", "    topic_ocid           = oci_ons_notification_topic.alerts.id\n", "")
        self.assertFails("uses ${topic_ocid} but compute.tf does not pass it")

    def test_bootstrap_setting_not_rendered(self):
        self.edit("opentofu/templates/bootstrap-vars.sh.tftpl", 'export OCISYNC_S3_BUCKET="$${OCISYNC_S3_BUCKET:-${s3_bucket}}"\n', "")
        self.assertFails("requires OCISYNC_S3_BUCKET")

    def test_wrong_usage_report_ocid(self):
        self.edit("opentofu/iam.tf", "aaaaaaaaned4fkpkis", "aaaaaaaazzzzkpkis")
        self.assertFails("usage-report OCID is")

    def test_statement_without_the_dynamic_group(self):
        self.edit(
            "opentofu/iam.tf",
            '"allow dynamic-group ${oci_identity_dynamic_group.vm.name} to inspect tenancies in tenancy",',
            '"allow any-user to inspect tenancies in tenancy",',
        )
        self.assertFails("does not name the dynamic group")

    def test_secret_bundles_not_limited(self):
        self.edit("opentofu/iam.tf", " where any {target.secret.id", " where all {target.secret.id")
        self.assertFails("limited to the two secrets")

    def test_policy_outside_home_region(self):
        self.edit("opentofu/iam.tf", "provider = oci.home", "provider = oci")
        self.assertFails("must use provider = oci.home")

    def test_untrimmed_secret(self):
        self.edit("opentofu/vault.tf", "base64encode(trimspace(var.aws_access_key_id))", "base64encode(var.aws_access_key_id)")
        self.assertFails("base64encode(trimspace(var....))")

    def test_timestamp_expiry(self):
        self.edit("opentofu/artifact.tf", "time_offset.par_expiry[0].rfc3339", 'timeadd(timestamp(), "2h")')
        self.assertFails("timestamp() makes a diff")

    def test_open_ingress(self):
        self.edit("opentofu/network.tf", "for_each = var.enable_bastion ? [var.subnet_cidr] : []", 'for_each = ["0.0.0.0/0"]')
        self.edit("opentofu/network.tf", "source      = ingress_security_rules.value", 'source      = "0.0.0.0/0"')
        self.assertFails("ingress other than SSH from the subnet")

    def test_checkov_skip_without_reason(self):
        self.edit("opentofu/artifact.tf", "#checkov:skip=CKV_OCI_9:holds only", "#checkov:skip=CKV_OCI_9:x\n#holds only")
        self.assertFails("skip without a reason")

    def test_unparsable(self):
        self.edit("opentofu/network.tf", "resource \"oci_core_vcn\" \"this\" {", "resource \"oci_core_vcn\" \"this\" {{")
        self.assertFails("parse")


if __name__ == "__main__":
    unittest.main()
