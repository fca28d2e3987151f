"""GOV.UK Notify beside SMTP: the real notifications-python-client against the fake Notify on
loopback (tests/fake_notify.py)."""

from __future__ import annotations

import io

import pytest
from notifications_python_client import NotificationsAPIClient, prepare_upload
from notifications_python_client.errors import HTTPError

from tests.fake_notify import TEMPLATES, FakeNotify


@pytest.fixture
def fake():
    with FakeNotify() as server:
        yield server


def test_the_fake_answers_the_real_client_as_notify_does(fake):
    client = NotificationsAPIClient(fake.api_key, base_url=fake.url)
    answer = client.send_email_notification(
        "someone@example.org",
        TEMPLATES["email"],
        personalisation={
            "subject": "Hello",
            "body": "Text",
            "file": prepare_upload(io.BytesIO(b"%PDF")),
        },
        reference="fundmgr-1",
    )
    assert answer["reference"] == "fundmgr-1" and answer["id"]
    assert fake.received[0]["files"]["file"]["content"] == b"%PDF"
    sms = client.send_sms_notification(
        "+447700900123", TEMPLATES["sms"], {"body": "Hi"}, "fundmgr-2"
    )
    listed = client.get_all_notifications(reference="fundmgr-1")["notifications"]
    assert [n["id"] for n in listed] == [answer["id"]]
    assert (
        client.get_all_notifications(reference="fundmgr-2")["notifications"][0]["id"] == sms["id"]
    )
    assert client.get_all_notifications(reference="fundmgr-3")["notifications"] == []


def test_the_fake_refuses_another_services_key_and_bad_messages(fake):
    other = FakeNotify()  # never started: only its key
    with pytest.raises(HTTPError) as refused:
        NotificationsAPIClient(other.api_key, base_url=fake.url).send_sms_notification(
            "+447700900123", TEMPLATES["sms"], {"body": "Hi"}
        )
    assert refused.value.status_code == 403
    forged = f"x-{fake.service_id}-{other.secret}"  # the right service, the wrong secret
    with pytest.raises(HTTPError) as refused:
        NotificationsAPIClient(forged, base_url=fake.url).get_all_notifications()
    assert refused.value.status_code == 403
    client = NotificationsAPIClient(fake.api_key, base_url=fake.url)
    with pytest.raises(HTTPError) as bad:
        client.send_email_notification("someone@example.org", TEMPLATES["email"], {"body": "x"})
    assert bad.value.status_code == 400
    assert "Missing personalisation: subject" in str(bad.value)
    fake.fail(500, keep=True)
    with pytest.raises(HTTPError) as failed:
        client.send_sms_notification("+447700900123", TEMPLATES["sms"], {"body": "Hi"}, "r-1")
    assert failed.value.status_code == 500
    assert len(fake.by_reference("r-1")) == 1  # kept all the same: the answer was lost
    assert fake.received and all(n["reference"] == "r-1" for n in fake.received)
