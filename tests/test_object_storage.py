"""Uploads and generated documents in an S3-compatible object store (django-storages), as a
deployment with several web and worker nodes runs them. The store is a real S3-compatible HTTP
server started by the test on 127.0.0.1 (moto's server mode)."""

import socket

import boto3
import pytest
from django.urls import reverse

from portal.scoping import scopes_disabled
from tests.test_documents import bundle_setup  # noqa: F401 - the fixture, run against the store

BUCKET = "portal-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def object_store(settings, tmp_path):
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="portal",
        aws_secret_access_key="portal-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path / "local-media"  # must stay empty: nothing lands on disk
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "access_key": "portal",
                "secret_key": "portal-secret",
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "addressing_style": "path",
            },
        },
    }
    yield client
    server.stop()


def _keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_uploads_seals_and_stamped_bundles_live_in_the_object_store(
    object_store,
    world,
    bundle_setup,  # noqa: F811 - the imported fixture
    tmp_path,
):
    application, bundle = bundle_setup
    with scopes_disabled():
        bundle.refresh_from_db()
        attachments = list(application.attachments.all())
    assert bundle.status == "done" and bundle.pages > 5, bundle.error
    keys = _keys(object_store)
    assert bundle.file.name in keys
    assert {a.file.name for a in attachments} <= set(keys)
    assert any(key.startswith("seals/") for key in keys), keys
    assert not (tmp_path / "local-media").exists()
    stored = object_store.get_object(Bucket=BUCKET, Key=bundle.file.name)["Body"].read()
    assert stored.startswith(b"%PDF")
    # Private: the owner alone holds a grant, nobody reads by URL.
    grants = object_store.get_object_acl(Bucket=BUCKET, Key=bundle.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)


def test_downloads_from_the_store_go_through_the_permission_checked_views(
    client,
    object_store,
    world,
    bundle_setup,  # noqa: F811 - the imported fixture
):
    application, bundle = bundle_setup
    with scopes_disabled():
        bundle.refresh_from_db()
        attachment = application.attachments.first()
    client.force_login(world.jm_leader_admin)
    response = client.get(reverse("bundle-download", args=[bundle.pk]))
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and content == (
        object_store.get_object(Bucket=BUCKET, Key=bundle.file.name)["Body"].read()
    )
    response = client.get(reverse("attachment-download", args=[application.pk, attachment.pk]))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == object_store.get_object(Bucket=BUCKET, Key=attachment.file.name)["Body"].read()
    )
    client.force_login(world.gz_manager)  # another tenant: as if the file did not exist
    assert client.get(reverse("bundle-download", args=[bundle.pk])).status_code == 404
