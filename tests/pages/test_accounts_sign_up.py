"""Creating an account: the address is confirmed by a link before the account can be used, and
sign-up never says whether an address already has an account."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fundmgr.accounts import account_sign_up
from fundmgr.errors import InvalidInput
from fundmgr.models import Notification, User
from tests.factories import UserFactory

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def sign_up(client, capture, email="rowan@example.org", **extra):
    data = {
        "first_name": "Rowan",
        "last_name": "Ashby",
        "email": email,
        "password1": "allotment-sheds-2026",
        "password2": "allotment-sheds-2026",
        **extra,
    }
    with capture(execute=True):
        return client.post("/apply/create-account/", data, follow=True)


def confirmation_link(mail) -> str:
    return re.search(r"http://testserver(/account/confirm/\S+/\S+/)", mail.body).group(1)


def test_a_new_address_gets_a_link_and_the_account_cannot_sign_in_until_it_is_followed(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    page = sign_up(client, django_capture_on_commit_callbacks)
    assert page.redirect_chain[-1][0] == "/account/check-your-email/"
    assert "Check your email" in page.text and "rowan@example.org" in page.text
    (mail,) = mailoutbox
    assert mail.to == ["rowan@example.org"]
    assert mail.subject == "Confirm your email address to finish creating your account"

    refused = client.post(
        "/sign-in/", {"username": "rowan@example.org", "password": "allotment-sheds-2026"}
    )
    assert "follow the link in the email we sent you to confirm your address" in refused.text
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail)
    button = client.get(link)
    assert "Confirm your email address" in button.text
    assert "_auth_user_id" not in client.session  # opening the link alone changes nothing
    confirmed = client.post(link, follow=True)
    assert "Your email address is confirmed and you are signed in." in confirmed.text
    assert confirmed.redirect_chain[-1][0] == "/apply/"
    user = User.objects.get(email="rowan@example.org")
    assert int(client.session["_auth_user_id"]) == user.pk

    client.post("/sign-out/")
    signed = client.post(
        "/sign-in/", {"username": "rowan@example.org", "password": "allotment-sheds-2026"}
    )
    assert signed.status_code == 302 and "_auth_user_id" in client.session


def test_a_link_works_once(client, db, mailoutbox, django_capture_on_commit_callbacks):
    sign_up(client, django_capture_on_commit_callbacks)
    link = confirmation_link(mailoutbox[0])
    client.post(link)
    client.post("/sign-out/")
    again = client.post(link)
    assert "The link has expired" in again.text
    assert "_auth_user_id" not in client.session


def test_a_link_expires_after_a_day(
    client, db, mailoutbox, django_capture_on_commit_callbacks, time_machine
):
    sign_up(client, django_capture_on_commit_callbacks)
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=25))
    expired = client.post(confirmation_link(mailoutbox[0]))
    assert "The link has expired" in expired.text
    assert not User.objects.get(email="rowan@example.org").is_active


def test_a_made_up_link_confirms_nothing(client, db):
    page = client.post("/account/confirm/MQ/abc-123/")
    assert page.status_code == 200 and "The link has expired" in page.text


def test_an_address_with_an_account_gets_the_same_page_and_its_owner_an_email(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    new = sign_up(client, django_capture_on_commit_callbacks, email="new@example.org")
    owner = UserFactory(username="tess", email="tess@example.org", roles=["Applicant"])
    taken = sign_up(client, django_capture_on_commit_callbacks, email="Tess@Example.org")
    assert new.redirect_chain == taken.redirect_chain
    assert CSRF.sub("", new.text).replace("new@example.org", "") == CSRF.sub(
        "", taken.text
    ).replace("tess@example.org", "")
    assert "already" not in taken.text.replace("If this address already has an account", "")

    note = Notification.objects.get(to="tess@example.org")
    assert note.subject == "Someone tried to create an account with your email address"
    assert "sign in instead" in note.body and "/account/password-reset/" in note.body
    assert [m.to for m in mailoutbox] == [["new@example.org"], ["tess@example.org"]]
    owner.refresh_from_db()
    assert owner.first_name != "Rowan" and owner.check_password("correct-horse-battery")
    assert User.objects.filter(email__iexact="tess@example.org").count() == 1


def test_signing_up_again_before_confirming_sends_the_link_again_and_changes_nothing(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    sign_up(client, django_capture_on_commit_callbacks)
    sign_up(
        client,
        django_capture_on_commit_callbacks,
        password1="other-password-99x",
        password2="other-password-99x",
    )
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == mailoutbox[0].subject
    user = User.objects.get(email="rowan@example.org")
    assert user.check_password("allotment-sheds-2026")  # the second password is not taken
    client.post(confirmation_link(mailoutbox[1]))
    assert int(client.session["_auth_user_id"]) == user.pk


def test_an_account_the_council_switched_off_is_not_switched_on_by_signing_up(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone as tz

    UserFactory(
        username="gone@example.org", email="gone@example.org", is_active=False, last_login=tz.now()
    )
    sign_up(client, django_capture_on_commit_callbacks, email="gone@example.org")
    assert "/account/confirm/" not in "".join(m.body for m in mailoutbox)
    assert not User.objects.get(email="gone@example.org").is_active


def test_a_new_account_joins_the_applicant_role_switched_off_until_confirmed(db):
    Group.objects.filter(name="Applicant").delete()
    account_sign_up(
        first_name="A",
        last_name="B",
        email=" X@Example.org ",
        password="allotment-sheds-2026",
        site="http://testserver",
    )
    user = User.objects.get(username="x@example.org")
    assert user.check_password("allotment-sheds-2026") and not user.is_active
    assert user.groups.get().name == "Applicant"


def test_a_weak_password_is_refused_by_the_service_too(db):
    with pytest.raises(InvalidInput, match="too common"):
        account_sign_up(
            first_name="A",
            last_name="B",
            email="y@example.org",
            password="password",
            site="http://testserver",
        )
    assert not User.objects.filter(username="y@example.org").exists()
