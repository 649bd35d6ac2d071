# ocisync on OCI: the whole stack (network, Vault, IAM, alerts, the VM and its bootstrap).
# OpenTofu >= 1.6 (Terraform >= 1.5 reads it too). See docs/deploy.md.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 6.0.0, < 8.0.0"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9.0, < 1.0.0"
    }
  }

  # The state holds the AWS keys (the Vault secrets' content), like terraform.tfvars: keep it in
  # an encrypted remote backend, never in git. backend.tf.example shows one.
}
