# Optional OCI Bastion: SSH to the private VM without a public IP (managed SSH sessions through
# the Bastion plugin of the Oracle Cloud Agent). Sessions are short-lived: created on demand with
# the command in the bastion_session_command output, not kept in the state.

resource "oci_bastion_bastion" "this" {
  count = var.enable_bastion ? 1 : 0

  bastion_type                 = "STANDARD"
  compartment_id               = var.compartment_ocid
  target_subnet_id             = oci_core_subnet.private.id
  name                         = replace("${var.name_prefix}bastion", "-", "")
  client_cidr_block_allow_list = var.bastion_client_cidrs
  max_session_ttl_in_seconds   = 10800
  freeform_tags                = var.freeform_tags

  lifecycle {
    precondition {
      condition     = length(var.bastion_client_cidrs) > 0
      error_message = "enable_bastion needs bastion_client_cidrs (who may open sessions)."
    }
  }
}
