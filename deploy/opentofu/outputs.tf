locals {
  destination = "aws_s3:${var.aws_s3_bucket}${var.aws_s3_prefix == "" ? "" : "/${var.aws_s3_prefix}"}"
  on_vm       = "sudo -u ocisync /usr/local/bin/ocisync --config /etc/ocisync/ocisync.toml"
}

output "instance_id" {
  description = "OCID of the ocisync VM."
  value       = oci_core_instance.this.id
}

output "instance_private_ip" {
  description = "Private IP of the VM."
  value       = oci_core_instance.this.private_ip
}

output "home_region" {
  description = "The tenancy's home region (where the cost reports are read)."
  value       = local.home_region
}

output "alert_topic_id" {
  description = "OCID of the alert topic."
  value       = oci_ons_notification_topic.alerts.id
}

output "alert_email_note" {
  description = "What to do about the alert email."
  value = (var.alert_email == ""
    ? "No alert email configured: subscribe to topic ${oci_ons_notification_topic.alerts.id} to get alerts."
  : "OCI sent a confirmation email to ${var.alert_email}: click its link, or no alert will be delivered (the subscription stays PENDING).")
}

output "vault_secret_ids" {
  description = "OCIDs of the two Vault secrets (rotate the AWS keys by adding a new secret version)."
  value = {
    aws_access_key_id     = oci_vault_secret.aws_access_key_id.id
    aws_secret_access_key = oci_vault_secret.aws_secret_access_key.id
  }
}

output "bastion_session_command" {
  description = "How to open an SSH session to the VM through the bastion."
  value = (var.enable_bastion
    ? "oci bastion session create-managed-ssh --bastion-id ${oci_bastion_bastion.this[0].id} --target-resource-id ${oci_core_instance.this.id} --target-os-username opc --ssh-public-key-file ~/.ssh/id_rsa.pub --session-ttl 3600 --wait-for-state SUCCEEDED  # then: oci bastion session get --session-id <id> --query 'data.\"ssh-metadata\".command' --raw-output"
  : "Bastion disabled (enable_bastion = false): use the instance console connection or Run Command.")
}

output "doctor_command" {
  description = "Run on the VM: checks IMDS, the instance principal, the home region, the bucket, the Vault secrets and S3."
  value       = "${local.on_vm} doctor oci_usage:${var.tenancy_ocid} ${local.destination}"
}

output "log_commands" {
  description = "Run on the VM: where to look."
  value = [
    "sudo cloud-init status --long",
    "sudo cat /var/log/ocisync-bootstrap.log",
    "systemctl list-timers ocisync.timer",
    "sudo journalctl -u ocisync.service --since -1d",
    "sudo tail -n 100 /var/log/ocisync/ocisync.log",
    "sudo cat /var/lib/ocisync/last-run.json",
    "${local.on_vm} alert test",
  ]
}
