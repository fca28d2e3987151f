"""Uploads and stored documents on S3-compatible object storage (FUNDMGR_STORAGE=s3), against a
real S3 server on loopback: moto in server mode. The settings' own S3 storage is built in a
subprocess from the environment, as in production, and the tests in this process use exactly the
options it printed; then a group's upload, its download and a stored document go through the
pages and services as usual, and the bytes are read back from the bucket itself."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as s
from applications.models import Attachment
from fundmgr.documents import document_response, document_store, stored_content
from tests.processes import manage

REGION = "eu-west-2"
KEYS = {"S3_ACCESS_KEY_ID": "testing-key", "S3_SECRET_ACCESS_KEY": "testing-secret"}
PDF = b"%PDF-1.4 the group's plan for the park"

pytestmark = pytest.mark.slow  # a process of its own for the settings, and an S3 server


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "FUNDMGR_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_PREFIX": "fundmgr",
        **KEYS,
    }


def new_bucket(endpoint: str) -> str:
    name = f"fundmgr-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


def objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = s3_client(endpoint)
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }


SETTINGS_STORAGE = """
import json
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
name = default_storage.save("documents/check/hello.txt", ContentFile(b"hello from the settings"))
with default_storage.open(name, "rb") as handle:
    read = handle.read().decode()
print(json.dumps({"storage": settings.STORAGES["default"], "name": name, "read": read}))
"""


@pytest.fixture(scope="module")
def settings_storage(s3_endpoint):
    """The default storage the settings build from FUNDMGR_STORAGE=s3 and the S3_* variables,
    after a file was stored with it and read back, in a process of its own."""
    bucket = new_bucket(s3_endpoint)
    done = manage("shell", "-c", SETTINGS_STORAGE, **s3_env(s3_endpoint, bucket))
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"bucket": bucket}


@pytest.fixture
def on_s3(settings, s3_endpoint, settings_storage):
    """This process stores its files in a new bucket, with the settings' own S3 options."""
    bucket = new_bucket(s3_endpoint)
    storage = json.loads(json.dumps(settings_storage["storage"]))
    storage["OPTIONS"]["bucket_name"] = bucket
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return bucket


def test_the_settings_store_and_read_back_a_file_in_the_bucket(s3_endpoint, settings_storage):
    assert settings_storage["read"] == "hello from the settings"
    assert settings_storage["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    stored = objects(s3_endpoint, settings_storage["bucket"])
    assert stored == {"fundmgr/documents/check/hello.txt": b"hello from the settings"}


def test_files_are_private_on_s3(s3_endpoint, settings_storage):
    options = settings_storage["storage"]["OPTIONS"]
    assert options["default_acl"] is None and options["querystring_auth"] is True
    grants = s3_client(s3_endpoint).get_object_acl(
        Bucket=settings_storage["bucket"], Key="fundmgr/documents/check/hello.txt"
    )["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if g["Grantee"]["Type"] == "Group"] == []


def test_s3_without_a_bucket_refuses_to_start():
    with pytest.raises(AssertionError, match="FUNDMGR_STORAGE=s3 needs S3_BUCKET"):
        manage("check", FUNDMGR_STORAGE="s3", S3_BUCKET="")


@pytest.mark.django_db
def test_a_groups_upload_lands_in_the_bucket_and_downloads_the_same_bytes(
    client, on_s3, s3_endpoint, draft, treasurer, officer
):
    client.force_login(treasurer)
    page = f"/apply/applications/{draft.pk}/documents/"
    client.post(
        page,
        {"description": "Plan", "file": SimpleUploadedFile("plan.pdf", PDF, "application/pdf")},
    )
    attachment = draft.attachments.get()
    assert objects(s3_endpoint, on_s3) == {f"fundmgr/{attachment.file.name}": PDF}
    listing = client.get(page).text
    assert f'href="/files/attachments/{attachment.pk}/"' in listing
    assert s3_endpoint not in listing and on_s3 not in listing  # no link to the bucket itself

    client.force_login(officer)
    response = client.get(f"/files/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    officer_page = client.get(f"/officer/applications/{draft.reference}/").text
    assert s3_endpoint not in officer_page and "X-Amz-" not in officer_page


@pytest.mark.django_db
def test_a_file_missing_from_the_bucket_is_404(client, on_s3, s3_endpoint, draft, treasurer):
    attachment = s.attachment_add(
        application=draft,
        by=treasurer,
        description="Plan",
        file=SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
    )
    s3_client(s3_endpoint).delete_object(Bucket=on_s3, Key=f"fundmgr/{attachment.file.name}")
    client.force_login(treasurer)
    assert client.get(f"/files/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_removed_upload_is_deleted_from_the_bucket(
    client, on_s3, s3_endpoint, draft, treasurer, django_capture_on_commit_callbacks
):
    attachment = s.attachment_add(
        application=draft,
        by=treasurer,
        description="Plan",
        file=SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
    )
    assert len(objects(s3_endpoint, on_s3)) == 1
    client.force_login(treasurer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/apply/applications/{draft.pk}/documents/{attachment.pk}/remove/")
    assert not Attachment.objects.exists()
    assert objects(s3_endpoint, on_s3) == {}


@pytest.mark.django_db
def test_a_stored_document_round_trips_through_the_bucket(on_s3, s3_endpoint):
    content = b"%PDF-1.4 offer letter for CCIF26-000001"
    document = document_store(
        kind="offer-letter",
        reference="CCIF26-000001",
        key="application:1",
        description="Offer letter",
        content=content,
    )
    assert objects(s3_endpoint, on_s3) == {f"fundmgr/{document.file.name}": content}
    assert stored_content(document) == content
    response = document_response(document)
    assert b"".join(response.streaming_content) == content
    same = document_store(
        kind="offer-letter",
        reference="CCIF26-000001",
        key="application:1",
        description="Offer letter",
        content=content,
    )
    assert same.pk == document.pk and len(objects(s3_endpoint, on_s3)) == 1


@pytest.mark.django_db
def test_a_missing_bucket_is_a_clear_error_and_keeps_nothing(settings, on_s3, draft, treasurer):
    settings.STORAGES["default"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    settings.STORAGES = dict(settings.STORAGES)  # the storage is built again
    with pytest.raises(ClientError, match="NoSuchBucket.*The specified bucket does not exist"):
        s.attachment_add(
            application=draft,
            by=treasurer,
            description="Plan",
            file=SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
        )
    assert not Attachment.objects.exists()
