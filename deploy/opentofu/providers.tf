# Credentials come from the OCI config file (~/.oci/config, profile var.oci_config_profile) or
# the environment (TF_VAR_*, OCI_CLI_*), never from this code.
provider "oci" {
  region              = var.region
  config_file_profile = var.oci_config_profile
}

# The tenancy's home region: IAM writes (dynamic group, policy) must go there, and the cost
# reports live there.
data "oci_identity_region_subscriptions" "home" {
  tenancy_id = var.tenancy_ocid

  filter {
    name   = "is_home_region"
    values = [true]
  }
}

provider "oci" {
  alias               = "home"
  region              = local.home_region
  config_file_profile = var.oci_config_profile
}
