"""Several app servers share their files on S3-compatible object storage: gunicorn started with
FUNDMGR_STORAGE=s3 (the settings' own S3 storage) keeps a group's upload in the bucket, and
another gunicorn, on nothing but the same database and bucket, serves the same bytes back."""

from __future__ import annotations

import re

import pytest
import requests
from django.conf import settings
from django.test import Client

from tests.fundmgr.test_storage_s3 import PDF, new_bucket, objects, s3_endpoint, s3_env
from tests.processes import AppServer, in_test_time

__all__ = ["s3_endpoint"]
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def signed_in(user) -> requests.Session:
    client = Client()
    client.force_login(user)  # the session row, in the database gunicorn reads
    http = requests.Session()
    http.cookies.set(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    return http


def test_an_upload_on_one_app_server_is_served_by_another_from_the_bucket(
    s3_endpoint, tmp_path, draft, treasurer, officer
):
    bucket = new_bucket(s3_endpoint)
    env = s3_env(s3_endpoint, bucket) | in_test_time()
    group = signed_in(treasurer)
    with AppServer(MEDIA_ROOT=str(tmp_path / "first"), **env) as first:
        page = f"{first.url}/apply/applications/{draft.pk}/documents/"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', group.get(page).text)
        answer = group.post(
            page,
            data={"csrfmiddlewaretoken": token.group(1), "description": "Plan"},
            files={"file": ("plan.pdf", PDF, "application/pdf")},
            allow_redirects=False,
        )
    assert answer.status_code == 302, answer.text[:2000]
    attachment = draft.attachments.get()
    assert objects(s3_endpoint, bucket) == {f"fundmgr/{attachment.file.name}": PDF}
    assert not any((tmp_path / "first").rglob("*.pdf"))  # nothing on the server's own disk

    with AppServer(MEDIA_ROOT=str(tmp_path / "second"), **env) as second:
        download = signed_in(officer).get(f"{second.url}/files/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["Content-Disposition"] == 'attachment; filename="plan.pdf"'
