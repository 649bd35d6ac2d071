# The VM: private, IMDS v2 only, in-transit encryption, monitoring on; cloud-init runs the
# bootstrap, which installs ocisync and its timer. user_data holds no key: secret OCIDs only.

data "oci_identity_availability_domains" "this" {
  compartment_id = var.tenancy_ocid
}

# Newest platform image of the OS for this shape (so aarch64 images for Ampere shapes).
data "oci_core_images" "platform" {
  compartment_id           = var.compartment_ocid
  operating_system         = var.image_operating_system
  operating_system_version = var.image_operating_system_version
  shape                    = var.instance_shape
  state                    = "AVAILABLE"
  sort_by                  = "TIMECREATED"
  sort_order               = "DESC"
}

locals {
  home_region = data.oci_identity_region_subscriptions.home.region_subscriptions[0].region_name
  image_id    = var.image_ocid != "" ? var.image_ocid : data.oci_core_images.platform.images[0].id
  flex_shape  = length(regexall("Flex$", var.instance_shape)) > 0

  # The values the bootstrap needs (deploy/bootstrap/bootstrap.sh reads them as OCISYNC_*):
  # identifiers and OCIDs only. Never a key: the AWS keys are read from the Vault at run time.
  bootstrap_vars = {
    binary_url           = local.artifact_url
    binary_sha256        = local.artifact_sha256
    tenancy_ocid         = var.tenancy_ocid
    home_region          = local.home_region
    vault_region         = var.region
    aws_key_id_secret    = oci_vault_secret.aws_access_key_id.id
    aws_secret_key_secret = oci_vault_secret.aws_secret_access_key.id
    aws_region           = var.aws_region
    s3_bucket            = var.aws_s3_bucket
    s3_prefix            = var.aws_s3_prefix
    topic_ocid           = oci_ons_notification_topic.alerts.id
    on_calendar          = var.schedule
    metrics_file         = var.metrics_file
    extra_args           = var.extra_args
  }

  # bootstrap.sh stays a plain script (testable on its own): its marker line is replaced by the
  # rendered assignments.
  bootstrap_script = replace(
    file("${path.module}/../bootstrap/bootstrap.sh"),
    "# @@OCISYNC_RENDERED_VARIABLES@@\n",
    templatefile("${path.module}/templates/bootstrap-vars.sh.tftpl", local.bootstrap_vars),
  )

  cloud_init = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    bootstrap      = base64gzip(local.bootstrap_script)
    service_unit   = base64gzip(file("${path.module}/../systemd/ocisync.service"))
    timer_unit     = base64gzip(file("${path.module}/../systemd/ocisync.timer"))
    cron_file      = base64gzip(file("${path.module}/../cron/ocisync"))
    logrotate_file = base64gzip(file("${path.module}/../logrotate/ocisync"))
  })
}

resource "oci_core_instance" "this" {
  compartment_id      = var.compartment_ocid
  availability_domain = data.oci_identity_availability_domains.this.availability_domains[var.availability_domain_number - 1].name
  display_name        = "${var.name_prefix}-vm"
  shape               = var.instance_shape
  freeform_tags       = var.freeform_tags

  dynamic "shape_config" {
    for_each = local.flex_shape ? [1] : []

    content {
      ocpus         = var.instance_ocpus
      memory_in_gbs = var.instance_memory_gbs
    }
  }

  source_details {
    source_type = "image"
    source_id   = local.image_id
  }

  create_vnic_details {
    subnet_id        = oci_core_subnet.private.id
    assign_public_ip = false
    display_name     = "${var.name_prefix}-vm"
    hostname_label   = "ocisync"
  }

  # IMDS v2 only: /opc/v1 and /openstack are off.
  instance_options {
    are_legacy_imds_endpoints_disabled = true
  }

  launch_options {
    is_pv_encryption_in_transit_enabled = true
  }

  agent_config {
    is_monitoring_disabled = false
    is_management_disabled = false

    plugins_config {
      name          = "Bastion"
      desired_state = var.enable_bastion ? "ENABLED" : "DISABLED"
    }
  }

  metadata = {
    ssh_authorized_keys = var.ssh_public_key
    user_data           = base64encode(local.cloud_init)
  }

  lifecycle {
    precondition {
      condition     = (var.ocisync_artifact_file == null) != (var.ocisync_artifact_url == null)
      error_message = "Set exactly one of ocisync_artifact_file (upload) and ocisync_artifact_url."
    }
    precondition {
      condition     = can(regex("^[0-9a-f]{64}$", local.artifact_sha256))
      error_message = "ocisync_artifact_url needs ocisync_artifact_sha256 (64 hex digits)."
    }
    precondition {
      condition     = length(base64encode(local.cloud_init)) + length(var.ssh_public_key) < 32000
      error_message = "user_data and ssh_authorized_keys exceed OCI's 32,000-byte metadata limit."
    }
    # A new image or user_data would replace the VM: do it on purpose (tofu apply -replace).
    ignore_changes = [source_details[0].source_id]
  }
}
