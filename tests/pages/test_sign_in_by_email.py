"""Signing in by e-mail address: no page of the sign-in journey asks an applicant for a
"username" (staff without an address are told, in the hint, that theirs still works)."""

import re

import pytest

from tests.factories import CouncilFactory, UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct-horse-battery"
STAFF_HINT = "Council staff without an email address on their account: enter your username."


@pytest.fixture
def rowan(db):
    CouncilFactory()  # the council whose sign-in pages these are (its help contact)
    return UserFactory(username="rowan@example.org", email="rowan@example.org", roles=["Applicant"])


def words(response) -> str:
    """What a person reads on the page: its text without tags, the staff hint taken out."""
    main = response.text[response.text.index("<main") : response.text.index("</main>")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    return text.replace(STAFF_HINT, "")


def assert_no_username(response) -> None:
    assert "username" not in words(response).lower()


def sign_in(client, username, password):
    return client.post("/sign-in/", {"username": username, "password": password})


def test_the_sign_in_page_asks_for_an_email_address_and_tells_staff_their_username_works(client):
    page = client.get("/sign-in/")
    assert ">Email address</label>" in page.text
    assert STAFF_HINT in page.text
    assert_no_username(page)


def test_a_wrong_password_says_enter_a_correct_email_address(client, rowan):
    page = sign_in(client, "rowan@example.org", "wrong")
    assert "Enter a correct email address and password" in words(page)
    assert "Please enter a correct" not in page.text
    assert_no_username(page)


def test_an_empty_form_asks_for_the_email_address_at_the_field_and_in_the_summary(client):
    page = sign_in(client, "", "")
    assert words(page).count("Enter your email address") == 2
    assert_no_username(page)


def test_the_lockout_speaks_of_the_password_and_gives_the_help_contact(client, rowan, settings):
    council = CouncilFactory()
    council.help_email, council.help_phone = "help@grants.example", "01632 960123"
    council.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rowan@example.org", "wrong")
    locked = sign_in(client, "rowan@example.org", RIGHT)
    assert locked.status_code == 429
    assert "too many attempts to sign in with the wrong password" in words(locked)
    assert "contact the Grants team at help@grants.example or on 01632 960123" in words(locked)
    assert_no_username(locked)


def test_the_forgotten_password_pages_ask_for_the_email_address(client, rowan):
    form = client.get("/account/password-reset/")
    assert "Email address" in words(form)
    assert_no_username(form)
    sent = client.post("/account/password-reset/", {"email": "rowan@example.org"}, follow=True)
    assert "Check your email" in words(sent)
    assert "contact the Grants team at grants@thornburyvale.example or on 01632 960000" in (
        words(sent)
    )
    assert_no_username(sent)


def test_the_two_factor_pages_never_ask_for_a_username(client, rowan):
    sign_in(client, "rowan@example.org", RIGHT)
    for path in ("/account/two-factor/", "/account/two-factor/set-up/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_no_username(page)


def test_staff_signing_in_to_admin_use_the_same_sign_in_page(client):
    UserFactory(username="j.bloggs", email="", is_staff=True, roles=["Administrator"])
    to_admin = client.get("/admin/", follow=True)
    assert to_admin.redirect_chain[-1][0].startswith("/sign-in/?next=/admin/")
    assert ">Email address</label>" in to_admin.text
    assert "/sign-in/" in client.get("/admin/login/?next=/admin/")["Location"]
