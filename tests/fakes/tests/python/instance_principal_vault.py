"""Drives the keyless fakes with Oracle's Python SDK (oci==2.189.0).

Run by tests/keyless_python_sdk.rs with OCI_METADATA_BASE_URL pointing at the fake metadata
service. The SDK's InstancePrincipalsSecurityTokenSigner reads the instance identity from it and
federates with the fake federation service (FAKE_FEDERATION_ENDPOINT); with that signer the SDK's
SecretsClient reads a secret from the fake Vault (FAKE_VAULT_ENDPOINT, FAKE_SECRET_ID) and its
ObjectStorageClient lists the fake Object Storage (FAKE_OS_ENDPOINT, FAKE_OS_BUCKET). Prints
what the SDK saw (never the token or secret value) and exits non-zero on the first failed check.
"""

import base64
import os

import oci


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def main():
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
        federation_endpoint=os.environ["FAKE_FEDERATION_ENDPOINT"]
    )
    print("sdk:", oci.__version__)
    print("region from metadata:", signer.region)
    print("tenancy from certificate:", signer.tenancy_id)
    check(signer.tenancy_id == os.environ["FAKE_TENANCY"], "tenancy read from the leaf certificate")
    jwt = signer.federation_client.security_token.get_jwt()
    print("token claims: sub=%s exp-iat=%ds" % (jwt["sub"], jwt["exp"] - jwt["iat"]))
    check(jwt["tenant"] == signer.tenancy_id, "token issued for the tenancy")

    secrets = oci.secrets.SecretsClient(
        {}, signer=signer, service_endpoint=os.environ["FAKE_VAULT_ENDPOINT"]
    )
    bundle = secrets.get_secret_bundle(os.environ["FAKE_SECRET_ID"]).data
    content = bundle.secret_bundle_content
    print(
        "secret bundle: id=%s version=%s stages=%s content_type=%s"
        % (bundle.secret_id, bundle.version_number, bundle.stages, content.content_type)
    )
    value = base64.b64decode(content.content).decode()
    # Stored with a trailing newline: the service returns the bytes as stored.
    check(
        value.endswith("\n") and value.strip() == os.environ["FAKE_SECRET_VALUE"],
        "secret value decoded from the bundle, bytes as stored",
    )

    try:
        secrets.get_secret_bundle("ocid1.vaultsecret.oc1..doesnotexist")
        check(False, "unknown secret refused")
    except oci.exceptions.ServiceError as e:
        print("unknown secret: status=%s code=%s" % (e.status, e.code))
        check(e.status == 404 and e.code == "NotAuthorizedOrNotFound", "unknown secret is a 404")

    storage = oci.object_storage.ObjectStorageClient(
        {}, signer=signer, service_endpoint=os.environ["FAKE_OS_ENDPOINT"]
    )
    listed = storage.list_objects("bling", os.environ["FAKE_OS_BUCKET"], fields="name,size,md5").data
    names = [o.name for o in listed.objects]
    print("objects listed with the instance principal:", names)
    check(names == os.environ["FAKE_OS_OBJECTS"].split(","), "listing through an ST$ token")
    print("ALL CHECKS PASSED")


if __name__ == "__main__":
    main()
