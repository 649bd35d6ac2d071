# The ocisync release the bootstrap installs: either a local file uploaded to a private bucket and
# handed to the VM as a short-lived pre-authenticated request (PAR), or an HTTPS URL with its
# SHA-256. The bootstrap checks the SHA-256 before installing anything.

locals {
  # Ampere shapes (VM.Standard.A1.Flex, A2...) are aarch64; the others x86_64.
  arch = length(regexall("\\.A[0-9]+\\.", var.instance_shape)) > 0 ? "aarch64" : "x86_64"

  artifact_file   = var.ocisync_artifact_file == null ? null : replace(var.ocisync_artifact_file, "{arch}", local.arch)
  upload_artifact = var.ocisync_artifact_file != null
  artifact_sha256 = local.upload_artifact ? filesha256(local.artifact_file) : lower(coalesce(var.ocisync_artifact_sha256, "missing"))
  artifact_url = (local.upload_artifact
    ? "https://objectstorage.${var.region}.oraclecloud.com${oci_objectstorage_preauthrequest.artifact[0].access_uri}"
  : replace(coalesce(var.ocisync_artifact_url, "missing"), "{arch}", local.arch))
}

data "oci_objectstorage_namespace" "this" {
  compartment_id = var.compartment_ocid
}

resource "oci_objectstorage_bucket" "artifacts" {
  count = local.upload_artifact ? 1 : 0
  #checkov:skip=CKV_OCI_9:holds only the ocisync release binary (no data, nothing secret); Oracle-managed encryption is enough and a customer key would need an extra service policy

  compartment_id        = var.compartment_ocid
  namespace             = data.oci_objectstorage_namespace.this.namespace
  name                  = "${var.name_prefix}-artifacts"
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
  freeform_tags         = var.freeform_tags
}

resource "oci_objectstorage_object" "artifact" {
  count = local.upload_artifact ? 1 : 0

  namespace    = data.oci_objectstorage_namespace.this.namespace
  bucket       = oci_objectstorage_bucket.artifacts[0].name
  object       = "ocisync/${var.ocisync_version}/${basename(local.artifact_file)}"
  source       = local.artifact_file
  content_type = "application/octet-stream"
  metadata = {
    "sha256" = local.artifact_sha256
  }
}

# The PAR's expiry is fixed when it is created (no timestamp() diff on every plan); a new
# artifact gets a new PAR. To re-run a bootstrap later: tofu apply -replace=time_offset.par_expiry[0]
resource "time_offset" "par_expiry" {
  count = local.upload_artifact ? 1 : 0

  offset_hours = var.par_ttl_hours
  triggers = {
    artifact = local.artifact_sha256
  }
}

resource "oci_objectstorage_preauthrequest" "artifact" {
  count = local.upload_artifact ? 1 : 0

  namespace    = data.oci_objectstorage_namespace.this.namespace
  bucket       = oci_objectstorage_bucket.artifacts[0].name
  name         = "${var.name_prefix}-artifact-${substr(local.artifact_sha256, 0, 12)}"
  access_type  = "ObjectRead"
  object_name  = oci_objectstorage_object.artifact[0].object
  time_expires = time_offset.par_expiry[0].rfc3339
}
