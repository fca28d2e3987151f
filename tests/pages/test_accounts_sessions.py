"""Staff are signed out after a while without a request; applicants keep their sessions."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory


def later(time_machine, minutes: int) -> None:
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=minutes))


def test_staff_are_signed_out_after_30_minutes_without_a_request(client, officer, time_machine):
    client.force_login(officer)
    assert client.get("/officer/").status_code == 200
    later(time_machine, 31)
    response = client.get("/officer/", follow=True)
    assert response.redirect_chain[0] == ("/sign-in/?next=/officer/", 302)
    assert (
        "You were signed out because you had not used the service for 30 minutes. "
        "Sign in again to carry on." in response.text
    )
    assert "_auth_user_id" not in client.session


def test_a_staff_member_who_keeps_working_stays_signed_in(client, officer, time_machine):
    client.force_login(officer)
    for _ in range(4):  # an hour and more, a request every 20 minutes
        later(time_machine, 20)
        assert client.get("/officer/").status_code == 200
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    "role", ["Finance officer", "Panel member", "Auditor", "Administrator", "superuser"]
)
def test_every_staff_role_is_signed_out_when_idle(client, db, time_machine, role):
    user = (
        UserFactory(is_superuser=True, is_staff=True)
        if role == "superuser"
        else UserFactory(roles=[role])
    )
    client.force_login(user)
    client.get("/")
    later(time_machine, 31)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/sign-in/")
    assert "_auth_user_id" not in client.session


def test_applicants_keep_their_session_when_idle(client, treasurer, time_machine):
    client.force_login(treasurer)
    assert client.get("/apply/").status_code == 200
    later(time_machine, 6 * 60)
    page = client.get("/apply/")
    assert page.status_code == 200 and "Your applications" in page.text
    assert "_auth_user_id" in client.session


def test_the_idle_time_is_a_setting(client, officer, time_machine, settings):
    settings.STAFF_SESSION_IDLE_SECONDS = 5 * 60
    client.force_login(officer)
    client.get("/officer/")
    later(time_machine, 6)
    response = client.get("/officer/", follow=True)
    assert "had not used the service for 5 minutes" in response.text


def test_the_api_answers_an_idle_staff_session_as_not_signed_in(client, finance, time_machine):
    client.force_login(finance)
    assert client.get("/api/v1/fund-years/").status_code == 200
    later(time_machine, 31)
    response = client.get("/api/v1/fund-years/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_signing_out_after_the_idle_time_just_signs_out(client, officer, time_machine):
    client.force_login(officer)
    client.get("/officer/")
    later(time_machine, 31)
    response = client.post("/sign-out/", follow=True)
    assert response.redirect_chain[-1][0] == "/sign-in/"
    assert "_auth_user_id" not in client.session


def test_a_staff_session_records_the_time_once_a_minute_not_on_every_request(
    client, officer, time_machine
):
    client.force_login(officer)
    client.get("/officer/")
    first = client.session["fundmgr_last_seen"]
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=30))
    client.get("/officer/")
    assert client.session["fundmgr_last_seen"] == first  # no write to the session
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=31))
    client.get("/officer/")
    assert client.session["fundmgr_last_seen"] >= first + 60
