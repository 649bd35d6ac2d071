# Who the VM is (a dynamic group) and what it may do (one policy in the root compartment).
# Both are written through the home-region provider: IAM writes anywhere else are refused.

locals {
  dynamic_group_rule = (var.dynamic_group_match == "instance"
    ? "ANY {instance.id = '${oci_core_instance.this.id}'}"
  : "ALL {instance.compartment.id = '${var.compartment_ocid}'}")

  # Oracle's tenancy that holds every tenancy's cost and usage reports (realm oc1).
  usage_report_tenancy = "ocid1.tenancy.oc1..aaaaaaaaned4fkpkisbwjlr56u7cj63lf3wffbilvqknstgtvzub7vhqkggq"
}

resource "oci_identity_dynamic_group" "vm" {
  provider = oci.home

  compartment_id = var.tenancy_ocid
  name           = "${var.name_prefix}-vm"
  description    = "The ocisync VM (instance principal)"
  matching_rule  = local.dynamic_group_rule
  freeform_tags  = var.freeform_tags
}

resource "oci_identity_policy" "vm" {
  provider = oci.home

  compartment_id = var.tenancy_ocid
  name           = "${var.name_prefix}-vm"
  description    = "ocisync VM: read the cost reports, its two Vault secrets, publish alerts"
  freeform_tags  = var.freeform_tags

  # Notifications documents no policy variable for a single topic: the grant covers the topics of
  # the compartment (publish and subscribe). Keep the compartment for ocisync's resources only.
  statements = [
    "define tenancy usage-report as ${local.usage_report_tenancy}",
    "endorse dynamic-group ${oci_identity_dynamic_group.vm.name} to read objects in tenancy usage-report",
    "allow dynamic-group ${oci_identity_dynamic_group.vm.name} to read secret-bundles in compartment id ${var.compartment_ocid} where any {target.secret.id = '${oci_vault_secret.aws_access_key_id.id}', target.secret.id = '${oci_vault_secret.aws_secret_access_key.id}'}",
    "allow dynamic-group ${oci_identity_dynamic_group.vm.name} to use ons-topics in compartment id ${var.compartment_ocid}",
    "allow dynamic-group ${oci_identity_dynamic_group.vm.name} to inspect tenancies in tenancy",
  ]
}
