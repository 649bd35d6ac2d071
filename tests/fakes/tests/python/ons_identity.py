"""Drives the fake Notifications and Identity services with Oracle's Python SDK (oci==2.189.0).

Run by tests/ons_identity_python_sdk.rs. FAKE_AUTH selects the signer:
- `api_key`: a config from FAKE_OCI_TENANCY, FAKE_OCI_USER, FAKE_OCI_FINGERPRINT,
  FAKE_OCI_KEY_PEM (the private key never touches disk);
- `instance_principal`: InstancePrincipalsSecurityTokenSigner, with OCI_METADATA_BASE_URL
  pointing at the fake metadata service and FAKE_FEDERATION_ENDPOINT at the fake federation.
NotificationDataPlaneClient.publish_message goes to FAKE_ONS_ENDPOINT (topic FAKE_TOPIC, title
FAKE_TITLE, body FAKE_BODY); IdentityClient.get_tenancy and list_region_subscriptions go to
FAKE_IDENTITY_ENDPOINT and must find FAKE_HOME_REGION. Prints what the SDK parsed (never a key or
token) and exits non-zero on the first failed check.
"""

import datetime
import os

import oci
from oci.ons.models import MessageDetails


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def expect_error(call, status, code, what):
    try:
        call()
    except oci.exceptions.ServiceError as e:
        print("%s: status=%s code=%s" % (what, e.status, e.code))
        check(e.status == status and e.code == code, what)
        return
    check(False, what + " (no error raised)")


def main():
    print("sdk:", oci.__version__)
    no_retry = oci.retry.NoneRetryStrategy()
    if os.environ["FAKE_AUTH"] == "api_key":
        config = {
            "user": os.environ["FAKE_OCI_USER"],
            "tenancy": os.environ["FAKE_OCI_TENANCY"],
            "fingerprint": os.environ["FAKE_OCI_FINGERPRINT"],
            "key_content": os.environ["FAKE_OCI_KEY_PEM"],
            "region": "us-ashburn-1",
        }
        oci.config.validate_config(config)
        auth = {}
        tenancy_id = config["tenancy"]
    else:
        signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
            federation_endpoint=os.environ["FAKE_FEDERATION_ENDPOINT"]
        )
        config = {}
        auth = {"signer": signer}
        tenancy_id = signer.tenancy_id
        print("instance principal: region=%s tenancy=%s" % (signer.region, tenancy_id))

    ons = oci.ons.NotificationDataPlaneClient(
        config,
        service_endpoint=os.environ["FAKE_ONS_ENDPOINT"],
        retry_strategy=no_retry,
        **auth
    )
    topic = os.environ["FAKE_TOPIC"]
    details = MessageDetails(title=os.environ["FAKE_TITLE"], body=os.environ["FAKE_BODY"])
    response = ons.publish_message(topic, details, message_type="RAW_TEXT")
    result = response.data
    print(
        "published: status=%s message_id=%s time_stamp=%r opc-request-id=%s"
        % (response.status, result.message_id, result.time_stamp, response.request_id)
    )
    check(response.status == 200, "publish_message succeeded")
    check(len(result.message_id) == 36, "messageId is a UUID")
    check(
        isinstance(result.time_stamp, datetime.datetime) and result.time_stamp.tzinfo is not None,
        "timeStamp parsed as an aware datetime",
    )
    expect_error(
        lambda: ons.publish_message("ocid1.onstopic.oc1.iad.nosuchtopic", details),
        404,
        "NotAuthorizedOrNotFound",
        "unknown topic is a 404",
    )
    expect_error(
        lambda: ons.publish_message(topic, MessageDetails(body="x" * (64 * 1024))),
        400,
        "InvalidParameter",
        "a message over 64KB is a 400",
    )

    identity = oci.identity.IdentityClient(
        config,
        service_endpoint=os.environ["FAKE_IDENTITY_ENDPOINT"],
        retry_strategy=no_retry,
        **auth
    )
    tenancy = identity.get_tenancy(tenancy_id).data
    print(
        "tenancy: id=%s name=%s home_region_key=%s"
        % (tenancy.id, tenancy.name, tenancy.home_region_key)
    )
    check(tenancy.id == tenancy_id, "get_tenancy parsed")
    subscriptions = identity.list_region_subscriptions(tenancy_id).data
    for s in subscriptions:
        print(
            "region subscription: key=%s name=%s status=%s home=%s"
            % (s.region_key, s.region_name, s.status, s.is_home_region)
        )
    home = [s for s in subscriptions if s.is_home_region]
    check(len(home) == 1, "exactly one home region subscription")
    check(home[0].region_key == tenancy.home_region_key, "home region key agrees with the tenancy")
    check(home[0].region_name == os.environ["FAKE_HOME_REGION"], "home region found")
    check(all(s.status == "READY" for s in subscriptions), "subscriptions are READY")
    print("ALL CHECKS PASSED")


if __name__ == "__main__":
    main()
