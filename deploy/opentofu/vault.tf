# The AWS keys, in OCI Vault. The VM reads them at run time (read secret-bundles, limited to
# these two secrets) and keeps them in memory only. Stored trimmed: a pasted newline would break
# AWS signatures (ocisync trims too).

resource "oci_kms_vault" "this" {
  compartment_id = var.compartment_ocid
  display_name   = "${var.name_prefix}-vault"
  vault_type     = "DEFAULT"
  freeform_tags  = var.freeform_tags
}

resource "oci_kms_key" "secrets" {
  compartment_id      = var.compartment_ocid
  display_name        = "${var.name_prefix}-secrets"
  management_endpoint = oci_kms_vault.this.management_endpoint
  protection_mode     = "HSM"
  freeform_tags       = var.freeform_tags

  key_shape {
    algorithm = "AES"
    length    = 32
  }
}

resource "oci_vault_secret" "aws_access_key_id" {
  compartment_id = var.compartment_ocid
  vault_id       = oci_kms_vault.this.id
  key_id         = oci_kms_key.secrets.id
  secret_name    = "${var.name_prefix}-aws-access-key-id"
  description    = "AWS access key ID ocisync writes to S3 with"
  freeform_tags  = var.freeform_tags

  secret_content {
    content_type = "BASE64"
    content      = base64encode(trimspace(var.aws_access_key_id))
    stage        = "CURRENT"
  }
}

resource "oci_vault_secret" "aws_secret_access_key" {
  compartment_id = var.compartment_ocid
  vault_id       = oci_kms_vault.this.id
  key_id         = oci_kms_key.secrets.id
  secret_name    = "${var.name_prefix}-aws-secret-access-key"
  description    = "AWS secret access key ocisync writes to S3 with"
  freeform_tags  = var.freeform_tags

  secret_content {
    content_type = "BASE64"
    content      = base64encode(trimspace(var.aws_secret_access_key))
    stage        = "CURRENT"
  }
}
