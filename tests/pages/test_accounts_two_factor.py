"""Two-factor authentication: a code from an authenticator app after the password, required for
finance officers, administrators and superusers, offered to everyone, with recovery codes.

These tests sign in for real (the `real_two_factor` fixture turns off the conftest shortcut that
lets other tests' force_login pass the code step)."""

import re
from base64 import b32decode

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken

from fundmgr import two_factor
from tests.api_fixtures import client_for
from tests.authenticator import authenticator_for
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("real_two_factor")
PASSWORD = "correct-horse-battery"


def code_from(key: bytes) -> str:
    return f"{totp(key, step=30, t0=0, digits=6, drift=0):06d}"


def sign_in(client, user) -> None:
    response = client.post("/sign-in/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"


def enter(client, code, next_url=""):
    url = "/account/two-factor/code/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"code": code})


def error_of(response) -> str:
    """The GOV.UK error summary's messages."""
    match = re.search(r'govuk-error-summary__list">(.*?)</ul>', response.text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def test_a_finance_officer_reaches_finance_only_after_a_code_from_their_app(client, finance):
    device = authenticator_for(finance)
    sign_in(client, finance)
    blocked = client.get("/finance/")
    assert blocked.status_code == 302
    assert blocked.url == "/account/two-factor/code/?next=/finance/"
    step = client.get(blocked.url)
    assert "Enter the code from your authenticator app" in step.text
    assert 'navigation__link" href="/finance/"' not in step.text  # the header offers sign-out only

    passed = enter(client, code_from(device.bin_key), "/finance/")
    assert passed.status_code == 302 and passed.url == "/finance/"
    page = client.get("/finance/")
    assert page.status_code == 200
    assert "<h1" in page.text and "Finance" in page.text


def test_a_wrong_code_is_refused_and_says_so(client, finance):
    right = code_from(authenticator_for(finance).bin_key)
    sign_in(client, finance)
    refused = enter(client, f"{(int(right) + 1) % 1000000:06d}")
    assert refused.status_code == 200
    assert "There is a problem" in refused.text
    assert "The code is not right" in error_of(refused)
    assert client.get("/finance/").status_code == 302


def test_a_code_cannot_be_used_twice(client, finance):
    device = authenticator_for(finance)
    code = code_from(device.bin_key)
    sign_in(client, finance)
    assert enter(client, code).status_code == 302
    other = Client()
    sign_in(other, finance)
    assert enter(other, code).status_code == 200  # refused: that code has been used
    assert other.get("/finance/").status_code == 302


def test_a_finance_officer_without_an_app_sets_one_up_before_anything_else(client, finance):
    sign_in(client, finance)
    for address in ("/finance/", "/", "/budgets/", "/admin/"):
        response = client.get(address)
        assert response.status_code == 302
        assert response.url.startswith("/account/two-factor/set-up/")

    setup = client.get("/account/two-factor/set-up/?next=/finance/")
    assert "Set up two-factor authentication" in setup.text
    assert "Your role needs two-factor authentication" in setup.text
    assert '<svg role="img" aria-label="QR code to scan with your authenticator app"' in setup.text
    typed = re.search(r"<code>([A-Z2-7 ]+)</code>", setup.text).group(1)
    key = b32decode(typed.replace(" ", ""))

    wrong = client.post("/account/two-factor/set-up/?next=/finance/", {"code": "12345x"})
    assert "The code is not right" in error_of(wrong)
    done = client.post("/account/two-factor/set-up/?next=/finance/", {"code": code_from(key)})
    assert done.status_code == 302
    assert done.url == "/account/two-factor/recovery-codes/?next=%2Ffinance%2F"

    shown = client.get(done.url)
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", shown.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "We will not show them again" in shown.text
    assert 'href="/finance/"' in shown.text
    again = client.get(done.url)
    assert re.findall(r"<li><code>([a-z2-7]+)</code></li>", again.text) == []
    assert "You have 10 recovery codes left" in again.text

    assert client.get("/finance/").status_code == 200


def test_a_recovery_code_works_once_in_place_of_the_app(client, finance):
    authenticator_for(finance)
    codes = two_factor.recovery_codes_make(user=finance)
    sign_in(client, finance)
    used = enter(client, codes[0].upper(), "/finance/")
    assert used.status_code == 302 and used.url == "/finance/"
    page = client.get("/finance/")
    assert page.status_code == 200
    assert "You used a recovery code. You have 9 left" in page.text

    again = Client()
    sign_in(again, finance)
    refused = enter(again, codes[0])
    assert refused.status_code == 200 and "The code is not right" in error_of(refused)
    assert again.get("/finance/").status_code == 302
    assert StaticToken.objects.filter(device__user=finance).count() == 9


def test_new_recovery_codes_replace_the_old_ones(client, finance):
    authenticator_for(finance)
    old = two_factor.recovery_codes_make(user=finance)
    sign_in(client, finance)
    enter(client, old[0])
    client.post("/account/two-factor/recovery-codes/")
    page = client.get("/account/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    sign_in(other, finance)
    assert enter(other, old[1]).status_code == 200  # refused


def test_an_administrator_needs_a_code_for_admin(client, db):
    admin = UserFactory(is_staff=True, roles=["Administrator"])
    device = authenticator_for(admin)
    sign_in(client, admin)
    assert client.get("/admin/").url.startswith("/account/two-factor/code/")
    enter(client, code_from(device.bin_key))
    assert client.get("/admin/").status_code == 200


def test_a_superuser_must_set_up_two_factor(client, db):
    boss = UserFactory(is_superuser=True, is_staff=True)
    sign_in(client, boss)
    assert client.get("/admin/").url.startswith("/account/two-factor/set-up/")


def test_an_applicant_is_offered_two_factor_and_then_asked_for_a_code(client, treasurer):
    sign_in(client, treasurer)
    home = client.get("/apply/")
    assert home.status_code == 200  # not required
    assert 'href="/account/two-factor/">Two-factor authentication</a>' in home.text
    overview = client.get("/account/two-factor/")
    assert "Set up two-factor authentication" in overview.text and "Off" in overview.text
    setup = client.get("/account/two-factor/set-up/")
    assert "Your role needs" not in setup.text
    key = b32decode(re.search(r"<code>([A-Z2-7 ]+)</code>", setup.text).group(1).replace(" ", ""))
    client.post("/account/two-factor/set-up/", {"code": code_from(key)})
    assert "On" in client.get("/account/two-factor/").text

    later = Client()
    sign_in(later, treasurer)
    assert later.get("/apply/").url == "/account/two-factor/code/?next=/apply/"


def test_a_session_waiting_for_its_code_cannot_set_up_another_app(client, finance):
    authenticator_for(finance)
    sign_in(client, finance)
    response = client.get("/account/two-factor/set-up/")
    assert response.status_code == 302 and response.url.startswith("/account/two-factor/code/")


def test_the_api_refuses_a_session_that_has_not_passed_the_code_step(client, finance):
    device = authenticator_for(finance)
    sign_in(client, finance)
    refused = client.get("/api/v1/fund-years/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert "Enter the code from your authenticator app" in refused.json()["detail"]
    enter(client, code_from(device.bin_key))
    assert client.get("/api/v1/fund-years/").status_code == 200


def test_the_api_refuses_a_required_role_that_has_no_app_yet(client, finance):
    sign_in(client, finance)
    assert client.get("/api/v1/fund-years/").status_code == 401


def test_api_tokens_are_not_affected(finance):
    assert client_for(finance).get("/api/v1/fund-years/").status_code == 200


def test_an_administrator_resets_a_persons_two_factor_in_admin(client, finance):
    authenticator_for(finance)
    two_factor.recovery_codes_make(user=finance)
    admin = UserFactory(is_staff=True, roles=["Administrator"])
    admin_device = authenticator_for(admin)
    sign_in(client, admin)
    enter(client, code_from(admin_device.bin_key))
    done = client.post(
        "/admin/fundmgr/user/",
        {"action": "reset_two_factor", "_selected_action": [finance.pk]},
        follow=True,
    )
    assert "Two-factor authentication reset for 1 person." in done.text
    assert not two_factor.has_authenticator(finance)
    assert two_factor.recovery_codes_left(finance) == 0

    person = Client()
    sign_in(person, finance)
    assert person.get("/finance/").url.startswith("/account/two-factor/set-up/")


def test_admin_does_not_show_authenticator_keys(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    device = authenticator_for(admin)
    sign_in(client, admin)
    enter(client, code_from(device.bin_key))
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
