# ---- where -------------------------------------------------------------------------------------
variable "region" {
  description = "Region of the VM, the Vault and the alert topic, e.g. eu-frankfurt-1. The cost reports are read from the home region whatever this is."
  type        = string
}

variable "tenancy_ocid" {
  description = "The tenancy OCID (also the name of the cost-report bucket in namespace bling)."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.tenancy\\.", var.tenancy_ocid))
    error_message = "tenancy_ocid must be a tenancy OCID (ocid1.tenancy....)."
  }
}

variable "compartment_ocid" {
  description = "Compartment for everything but the dynamic group and the policy (which live in the root compartment)."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.(compartment|tenancy)\\.", var.compartment_ocid))
    error_message = "compartment_ocid must be a compartment OCID."
  }
}

variable "oci_config_profile" {
  description = "Profile of ~/.oci/config the providers authenticate with."
  type        = string
  default     = "DEFAULT"
}

variable "name_prefix" {
  description = "Prefix of every resource name. The dynamic group and topic names must be unique in the tenancy."
  type        = string
  default     = "ocisync"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name_prefix))
    error_message = "name_prefix: lower-case letters, digits and dashes, at most 24."
  }
}

variable "freeform_tags" {
  description = "Free-form tags on every resource that takes them."
  type        = map(string)
  default     = {}
}

# ---- the AWS side ----------------------------------------------------------------------------
variable "aws_s3_bucket" {
  description = "Destination S3 bucket (must exist)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.aws_s3_bucket))
    error_message = "aws_s3_bucket is not a valid S3 bucket name."
  }
}

variable "aws_s3_prefix" {
  description = "Key prefix inside the bucket (no leading or trailing slash); empty for the bucket root."
  type        = string
  default     = "oci-cost-reports"

  validation {
    condition     = can(regex("^([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$", var.aws_s3_prefix))
    error_message = "aws_s3_prefix: path segments of letters, digits, '.', '_', '-', separated by '/'."
  }
}

variable "aws_region" {
  description = "Region of the S3 bucket, e.g. us-east-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like us-east-1."
  }
}

variable "aws_access_key_id" {
  description = "Access key ID of the AWS IAM user allowed to write the prefix (stored in OCI Vault; it also ends up in the state: use an encrypted backend)."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Z0-9]{16,128}$", trimspace(var.aws_access_key_id)))
    error_message = "aws_access_key_id does not look like an AWS access key ID."
  }
}

variable "aws_secret_access_key" {
  description = "Secret access key of that user (stored in OCI Vault; also in the state)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(trimspace(var.aws_secret_access_key)) >= 16
    error_message = "aws_secret_access_key is too short to be an AWS secret access key."
  }
}

# ---- alerts ----------------------------------------------------------------------------------
variable "alert_email" {
  description = "Email address subscribed to the alert topic (confirm the email OCI sends). Empty: topic without subscription."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", var.alert_email))
    error_message = "alert_email must be an email address or empty."
  }
}

# ---- the VM ----------------------------------------------------------------------------------
variable "instance_shape" {
  description = "Shape. VM.Standard.A1.Flex (Ampere, aarch64, Always Free eligible) or an x86_64 shape such as VM.Standard.E5.Flex; the image and the binary's architecture follow it."
  type        = string
  default     = "VM.Standard.A1.Flex"
}

variable "instance_ocpus" {
  description = "OCPUs of a Flex shape."
  type        = number
  default     = 1
}

variable "instance_memory_gbs" {
  description = "Memory (GB) of a Flex shape."
  type        = number
  default     = 6
}

variable "image_ocid" {
  description = "Image OCID; empty: the newest platform image of image_operating_system/_version for the shape."
  type        = string
  default     = ""
}

variable "image_operating_system" {
  description = "Platform image OS when image_ocid is empty (\"Oracle Linux\" or \"Canonical Ubuntu\")."
  type        = string
  default     = "Oracle Linux"
}

variable "image_operating_system_version" {
  description = "Platform image OS version when image_ocid is empty (\"9\", \"8\", \"24.04\")."
  type        = string
  default     = "9"
}

variable "availability_domain_number" {
  description = "Availability domain (1, 2 or 3) of the VM."
  type        = number
  default     = 1
}

variable "ssh_public_key" {
  description = "SSH public key for the opc/ubuntu user (used through the bastion); empty: none."
  type        = string
  default     = ""
}

variable "vcn_cidr" {
  description = "CIDR of the VCN."
  type        = string
  default     = "10.60.0.0/16"
}

variable "subnet_cidr" {
  description = "CIDR of the private subnet (inside vcn_cidr)."
  type        = string
  default     = "10.60.1.0/24"
}

# ---- ocisync ---------------------------------------------------------------------------------
variable "ocisync_version" {
  description = "Version of the ocisync release deployed (names the uploaded object)."
  type        = string
  default     = "0.1.0"
}

variable "ocisync_artifact_file" {
  description = "Local path of the release artifact (a .tar.gz holding `ocisync`, or the bare binary), uploaded to a private bucket and fetched through a short-lived pre-authenticated request. \"{arch}\" is replaced by aarch64 or x86_64 (from the shape). Set this or ocisync_artifact_url."
  type        = string
  default     = null
}

variable "ocisync_artifact_url" {
  description = "HTTPS URL of the release artifact instead of an upload (\"{arch}\" replaced as above); needs ocisync_artifact_sha256."
  type        = string
  default     = null
}

variable "ocisync_artifact_sha256" {
  description = "SHA-256 of the artifact at ocisync_artifact_url (for an uploaded file it is computed)."
  type        = string
  default     = null
}

variable "par_ttl_hours" {
  description = "Lifetime of the pre-authenticated request the bootstrap downloads the uploaded artifact with."
  type        = number
  default     = 24

  validation {
    condition     = var.par_ttl_hours >= 1 && var.par_ttl_hours <= 168
    error_message = "par_ttl_hours must be between 1 and 168."
  }
}

variable "schedule" {
  description = "systemd OnCalendar= expression of the runs (cost reports arrive about every 6 hours)."
  type        = string
  default     = "*-*-* 00/6:17:00"

  validation {
    condition     = can(regex("^[A-Za-z0-9*/:.,~ -]+$", var.schedule))
    error_message = "schedule must be a systemd calendar expression."
  }
}

variable "metrics_file" {
  description = "node_exporter textfile collector file ocisync writes after each run."
  type        = string
  default     = "/var/lib/node_exporter/textfile_collector/ocisync.prom"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+\\.prom$", var.metrics_file))
    error_message = "metrics_file must be an absolute path ending .prom."
  }
}

variable "extra_args" {
  description = "More ocisync flags for every run, e.g. \"--error-on-no-transfer --transfers 8\"."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9._:/@+=, -]*$", var.extra_args))
    error_message = "extra_args: flags and plain values only (no quotes or shell characters)."
  }
}

variable "dynamic_group_match" {
  description = "\"instance\": the dynamic group matches this VM's OCID only; \"compartment\": every instance of compartment_ocid (policies then exist before the VM boots)."
  type        = string
  default     = "instance"

  validation {
    condition     = contains(["instance", "compartment"], var.dynamic_group_match)
    error_message = "dynamic_group_match must be \"instance\" or \"compartment\"."
  }
}

# ---- bastion ---------------------------------------------------------------------------------
variable "enable_bastion" {
  description = "Create an OCI Bastion for SSH sessions to the VM (and allow SSH from the subnet)."
  type        = bool
  default     = false
}

variable "bastion_client_cidrs" {
  description = "CIDRs allowed to open bastion sessions (e.g. your office's public range)."
  type        = list(string)
  default     = []
}
