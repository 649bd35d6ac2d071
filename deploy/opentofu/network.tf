# A private subnet: no public IP, nothing in (but SSH from the bastion when enabled), HTTPS out
# through a NAT gateway (AWS S3) and a service gateway (OCI services of this region).
# Instance metadata, DNS and NTP (169.254.169.254) are link-local and need no rule.

data "oci_core_services" "osn" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}

resource "oci_core_vcn" "this" {
  compartment_id = var.compartment_ocid
  cidr_blocks    = [var.vcn_cidr]
  display_name   = "${var.name_prefix}-vcn"
  dns_label      = "ocisync"
  freeform_tags  = var.freeform_tags
}

# The VCN's default security list allows SSH from anywhere; no subnet uses it, and it is emptied.
resource "oci_core_default_security_list" "default" {
  manage_default_resource_id = oci_core_vcn.this.default_security_list_id
  display_name               = "${var.name_prefix}-default-unused"
  freeform_tags              = var.freeform_tags
}

resource "oci_core_nat_gateway" "this" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-nat"
  freeform_tags  = var.freeform_tags
}

resource "oci_core_service_gateway" "this" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-sgw"
  freeform_tags  = var.freeform_tags

  services {
    service_id = data.oci_core_services.osn.services[0].id
  }
}

resource "oci_core_route_table" "private" {
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-private"
  freeform_tags  = var.freeform_tags

  route_rules {
    description       = "OCI services of this region (Object Storage, Vault, Notifications...)"
    destination       = data.oci_core_services.osn.services[0].cidr_block
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.this.id
  }

  route_rules {
    description       = "Internet (AWS S3, OCI services of other regions such as the home region)"
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_nat_gateway.this.id
  }
}

resource "oci_core_security_list" "private" {
  #checkov:skip=CKV_OCI_17:the one inbound rule (SSH from the bastion endpoint in this subnet, only with enable_bastion) is stateful on purpose: a stateless one needs an egress rule for the replies, and egress stays HTTPS only
  compartment_id = var.compartment_ocid
  vcn_id         = oci_core_vcn.this.id
  display_name   = "${var.name_prefix}-private"
  freeform_tags  = var.freeform_tags

  egress_security_rules {
    description      = "HTTPS to OCI services through the service gateway"
    destination      = data.oci_core_services.osn.services[0].cidr_block
    destination_type = "SERVICE_CIDR_BLOCK"
    protocol         = "6"
    stateless        = false

    tcp_options {
      min = 443
      max = 443
    }
  }

  egress_security_rules {
    description      = "HTTPS to the internet through the NAT gateway (AWS S3)"
    destination      = "0.0.0.0/0"
    destination_type = "CIDR_BLOCK"
    protocol         = "6"
    stateless        = false

    tcp_options {
      min = 443
      max = 443
    }
  }

  # Nothing comes in, except SSH from the bastion's endpoint (it lives in this subnet).
  dynamic "ingress_security_rules" {
    for_each = var.enable_bastion ? [var.subnet_cidr] : []

    content {
      description = "SSH from the OCI Bastion endpoint in this subnet"
      source      = ingress_security_rules.value
      source_type = "CIDR_BLOCK"
      protocol    = "6"
      stateless   = false

      tcp_options {
        min = 22
        max = 22
      }
    }
  }
}

resource "oci_core_subnet" "private" {
  compartment_id             = var.compartment_ocid
  vcn_id                     = oci_core_vcn.this.id
  cidr_block                 = var.subnet_cidr
  display_name               = "${var.name_prefix}-private"
  dns_label                  = "private"
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.private.id]
  prohibit_public_ip_on_vnic = true
  prohibit_internet_ingress  = true
  freeform_tags              = var.freeform_tags
}
