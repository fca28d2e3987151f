"""Signing in: with the e-mail address, the lockout after repeated wrong passwords (per account
and per address) and how an administrator ends it, and the API's throttles."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import CouncilFactory, UserFactory

RIGHT = "correct-horse-battery"


@pytest.fixture
def rowan(db):
    CouncilFactory()  # the council whose sign-in pages these are (its help contact)
    return UserFactory(username="rowan@example.org", email="rowan@example.org", roles=["Applicant"])


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        "/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def error_summary(response) -> str:
    match = re.search(r'class="govuk-error-summary".*?</ul>', response.text, re.S)
    assert match, "no error summary on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).replace("&#x27;", "'")


def test_the_sign_in_page_asks_for_the_email_address_and_links_to_a_reset(client, db):
    page = client.get("/sign-in/").text
    assert ">Email address</label>" in page
    assert ">Username<" not in page
    assert '<a class="govuk-link" href="/account/password-reset/">Forgotten your password?</a>' in (
        page
    )


def test_a_person_signs_in_with_their_email_address_in_any_case(client, rowan):
    response = sign_in(client, "Rowan@EXAMPLE.org", RIGHT)
    assert response.status_code == 302
    assert signed_in(client)


def test_staff_without_an_email_address_sign_in_with_their_username(client, db):
    UserFactory(username="j.bloggs", email="", roles=["Grants officer"])
    assert sign_in(client, "j.bloggs", RIGHT).status_code == 302
    assert signed_in(client)


def test_a_wrong_password_names_neither_the_account_nor_which_part_was_wrong(client, rowan):
    known = sign_in(client, "rowan@example.org", "wrong")
    unknown = sign_in(client, "nobody@example.org", "wrong")
    message = "Enter a correct email address and password. The password is case-sensitive."
    assert message in error_summary(known) and message in error_summary(unknown)
    assert known.status_code == unknown.status_code == 200


def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, rowan):
    for attempt in range(1, 10):
        response = sign_in(client, "rowan@example.org", f"guess-{attempt}")
        assert response.status_code == 200
        assert "locked" not in response.text
    tenth = sign_in(client, "rowan@example.org", "guess-10")
    assert tenth.status_code == 429
    summary = error_summary(tenth)
    assert "There is a problem" in summary
    assert "signing in is locked for 30 minutes" in summary
    assert "Wait 30 minutes and try again, or reset your password" in summary
    assert "contact the Grants team at grants@thornburyvale.example or on 01632 960000" in summary
    assert ">Email address</label>" in tenth.text  # the sign-in page, not a bare error page

    right = sign_in(client, "rowan@example.org", RIGHT)
    assert right.status_code == 429 and "locked for 30 minutes" in error_summary(right)
    assert not signed_in(client)


def test_the_lock_counts_the_address_whatever_case_it_is_typed_in(client, rowan):
    for attempt in range(10):
        sign_in(client, "ROWAN@example.org" if attempt % 2 else "rowan@example.org", "nope")
    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 429
    assert not signed_in(client)


def test_ten_wrong_passwords_from_one_address_lock_that_address_for_every_account(client, rowan):
    for attempt in range(10):
        sign_in(client, f"guess{attempt}@example.org", "nope", address="192.0.2.7")
    from_there = sign_in(client, "rowan@example.org", RIGHT, address="192.0.2.7")
    assert from_there.status_code == 429
    assert "locked for 30 minutes" in error_summary(from_there)
    assert not signed_in(client)
    assert sign_in(client, "rowan@example.org", RIGHT, address="198.51.100.4").status_code == 302
    assert signed_in(client)


def test_the_lock_ends_after_the_cool_off(client, rowan, time_machine):
    for attempt in range(10):
        sign_in(client, "rowan@example.org", f"guess-{attempt}")
    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 429
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=31))
    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 302
    assert signed_in(client)


def test_an_administrator_unlocks_an_account_in_admin(client, rowan):
    for attempt in range(10):
        sign_in(client, "rowan@example.org", f"guess-{attempt}")
    admin = UserFactory(username="it-admin", is_staff=True, roles=["Administrator"])
    officer = client_class_for(admin)
    listing = officer.get("/admin/axes/accessattempt/?q=rowan")
    assert listing.status_code == 200
    assert "rowan@example.org" in listing.text
    attempt_id = re.search(r"/admin/axes/accessattempt/(\d+)/change/", listing.text).group(1)
    done = officer.post(
        f"/admin/axes/accessattempt/{attempt_id}/delete/", {"post": "yes"}, follow=True
    )
    assert "was deleted successfully" in done.text

    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 302
    assert signed_in(client)


def test_an_auditor_sees_the_attempts_and_cannot_unlock(client, rowan):
    for attempt in range(10):
        sign_in(client, "rowan@example.org", f"guess-{attempt}")
    auditor = client_class_for(UserFactory(is_staff=True, roles=["Auditor"]))
    listing = auditor.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "rowan@example.org" in listing.text
    attempt_id = re.search(r"/admin/axes/accessattempt/(\d+)/change/", listing.text).group(1)
    auditor.post(f"/admin/axes/accessattempt/{attempt_id}/delete/", {"post": "yes"})
    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 429


def test_the_reset_command_unlocks_an_account(client, rowan):
    for attempt in range(10):
        sign_in(client, "rowan@example.org", f"guess-{attempt}")
    call_command("axes_reset_username", "rowan@example.org")
    assert sign_in(client, "rowan@example.org", RIGHT).status_code == 302


def client_class_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


# --- the API's throttles ----------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    # DRF's throttles read their rates when the classes are made, so the test sets them there.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})


def test_the_api_answers_429_with_a_problem_document_past_a_callers_rate(db, low_rates):
    from tests.api_fixtures import client_for

    caller = client_for(UserFactory(roles=["Grants officer"]))
    answers = [caller.get("/api/v1/fund-years/").status_code for _ in range(5)]
    assert answers == [200] * 5
    refused = caller.get("/api/v1/fund-years/")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["status"] == 429 and body["title"] == "Too many requests"
    assert "throttled" in body["detail"].lower()
    assert int(refused["Retry-After"]) > 0


def test_the_api_throttles_callers_who_are_not_signed_in_by_address(db, low_rates):
    from rest_framework.test import APIClient

    # Addresses anyone may call (here the API's own "no such address" answer) count per address.
    anonymous = APIClient()
    assert [anonymous.get("/api/v1/no-such-thing/").status_code for _ in range(3)] == [404] * 3
    refused = anonymous.get("/api/v1/no-such-thing/")
    assert refused.status_code == 429 and refused.json()["title"] == "Too many requests"
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.9")
    assert elsewhere.get("/api/v1/no-such-thing/").status_code == 404
