"""Forgotten passwords: a link by e-mail, and the same answer whether or not an address has an
account."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import UserFactory

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def rowan(db):
    return UserFactory(username="rowan@example.org", email="rowan@example.org", roles=["Applicant"])


def ask_for_a_link(client, email, capture):
    with capture(execute=True):
        return client.post("/account/password-reset/", {"email": email}, follow=True)


def reset_link(mail) -> str:
    return re.search(r"http://testserver(/account/password-reset/\S+/\S+/)", mail.body).group(1)


def test_the_sign_in_page_leads_to_the_reset_page(client, db):
    sign_in = client.get("/sign-in/").text
    assert 'href="/account/password-reset/">Forgotten your password?</a>' in sign_in
    page = client.get("/account/password-reset/")
    assert page.status_code == 200
    assert "Reset your password" in page.text and "Email address" in page.text


def test_the_answer_is_the_same_for_an_address_with_an_account_and_one_without(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks
):
    known = ask_for_a_link(client, "rowan@example.org", django_capture_on_commit_callbacks)
    unknown = ask_for_a_link(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 200
    assert (
        known.redirect_chain == unknown.redirect_chain == [("/account/password-reset/sent/", 302)]
    )
    assert CSRF.sub("", known.text) == CSRF.sub("", unknown.text)
    assert "Check your email" in known.text
    assert [mail.to for mail in mailoutbox] == [["rowan@example.org"]]


def test_the_link_sets_a_new_password_once(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks
):
    ask_for_a_link(client, "ROWAN@example.org", django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert mail.subject.startswith("Reset your password")
    link = reset_link(mail)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "compost-heap-2027", "new_password2": "compost-heap-2027"},
        follow=True,
    )
    assert "Your password has been changed" in done.text
    rowan.refresh_from_db()
    assert rowan.check_password("compost-heap-2027")
    again = client.get(link, follow=True)
    assert "The link has expired" in again.text
    assert "Choose a new password" not in again.text


def test_the_new_password_must_pass_the_same_checks(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks
):
    ask_for_a_link(client, "rowan@example.org", django_capture_on_commit_callbacks)
    form = client.get(reset_link(mailoutbox[0]), follow=True)
    refused = client.post(
        form.redirect_chain[-1][0], {"new_password1": "password", "new_password2": "passwrd"}
    )
    assert "There is a problem" in refused.text
    assert "Enter the same password in both boxes" in refused.text


def test_the_link_expires_after_a_day(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks, time_machine
):
    ask_for_a_link(client, "rowan@example.org", django_capture_on_commit_callbacks)
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=25))
    page = client.get(reset_link(mailoutbox[0]), follow=True)
    assert "The link has expired" in page.text


def test_a_reset_ends_the_lockout_on_the_account(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks
):
    for attempt in range(10):
        client.post("/sign-in/", {"username": "rowan@example.org", "password": f"x{attempt}"})
    locked = client.post("/sign-in/", {"username": "rowan@example.org", "password": "y"})
    assert locked.status_code == 429
    ask_for_a_link(client, "rowan@example.org", django_capture_on_commit_callbacks)
    form = client.get(reset_link(mailoutbox[0]), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "compost-heap-2027", "new_password2": "compost-heap-2027"},
    )
    signed = client.post(
        "/sign-in/", {"username": "rowan@example.org", "password": "compost-heap-2027"}
    )
    assert signed.status_code == 302 and "_auth_user_id" in client.session


def test_the_reset_link_is_not_kept_in_the_outbox_that_admin_shows(
    client, rowan, mailoutbox, django_capture_on_commit_callbacks
):
    from fundmgr.models import Notification

    ask_for_a_link(client, "rowan@example.org", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    assert not Notification.objects.filter(body__contains="/account/password-reset/").exists()
