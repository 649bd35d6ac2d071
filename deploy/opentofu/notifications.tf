# Alerts: ocisync publishes failed runs (and the bootstrap its own failures) to this topic.
# An EMAIL subscription stays PENDING until the address confirms the email OCI sends.

resource "oci_ons_notification_topic" "alerts" {
  compartment_id = var.compartment_ocid
  name           = "${var.name_prefix}-alerts"
  description    = "ocisync: failed copies of the cost reports to S3"
  freeform_tags  = var.freeform_tags
}

resource "oci_ons_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  compartment_id = var.compartment_ocid
  topic_id       = oci_ons_notification_topic.alerts.id
  protocol       = "EMAIL"
  endpoint       = var.alert_email
  freeform_tags  = var.freeform_tags
}
