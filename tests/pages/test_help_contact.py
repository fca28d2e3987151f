"""The council's help contact, from its own settings: in the footer of every page and at the end
of every e-mail."""

import pytest
from django.core import mail

from fundmgr.notifications import help_footer, notify, send_pending
from tests.factories import CouncilFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTACT = {
    "name": "Grants team",
    "email": "help@grants.example",
    "phone": "01632 960123",
    "hours": "Monday to Friday, 9am to 5pm",
}


@pytest.fixture(autouse=True)
def council(db):
    return CouncilFactory(**{f"help_{field}": value for field, value in CONTACT.items()})


def footer(text: str) -> str:
    return text[text.index("<footer") :]


@pytest.mark.parametrize(
    "path", ["/sign-in/", "/apply/create-account/", "/account/password-reset/"]
)
def test_every_page_for_someone_signed_out_ends_with_the_help_contact(client, path):
    page = client.get(path)
    assert page.status_code == 200
    end = footer(page.text)
    assert "Get help" in end
    assert '<a class="govuk-footer__link" href="mailto:help@grants.example">' in end
    assert '<a class="govuk-footer__link" href="tel:01632960123">01632 960123</a>' in end
    assert "Monday to Friday, 9am to 5pm" in end


def test_a_signed_in_applicants_pages_end_with_the_help_contact(client):
    client.force_login(UserFactory(username="tess@example.org", roles=["Applicant"]))
    page = client.get("/", follow=True)
    assert page.status_code == 200
    assert "mailto:help@grants.example" in footer(page.text)


def test_the_help_contact_comes_from_the_councils_settings(client, council):
    council.help_name, council.help_phone = "Community team", "+44 1632 960999"
    council.save()
    end = footer(client.get("/sign-in/").text)
    assert "Contact the Community team" in end
    assert 'href="tel:+441632960999"' in end


def test_every_e_mail_ends_with_the_help_contact_once():
    notify(to=["tess@example.org"], subject="Bid received", body="Thank you.")
    notify(
        to=["tess@example.org"],
        subject="Bid received",
        body=f"Thank you.\n\n{help_footer()}\n",
    )
    send_pending()
    expected = (
        "Thank you.\n\nNeed help? Grants team, help@grants.example, 01632 960123, "
        "Monday to Friday, 9am to 5pm\n"
    )
    assert [m.body for m in mail.outbox] == [expected, expected]


def test_the_password_reset_e_mail_ends_with_the_help_contact(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="rowan@example.org", email="rowan@example.org", roles=["Applicant"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/password-reset/", {"email": "rowan@example.org"})
    (message,) = mailoutbox
    assert message.body.rstrip().endswith(help_footer())


def test_the_sign_up_confirmation_e_mail_ends_with_the_help_contact(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/apply/create-account/",
            {
                "first_name": "Rowan",
                "last_name": "Ashby",
                "email": "rowan@example.org",
                "password1": "allotment-sheds-2026",
                "password2": "allotment-sheds-2026",
            },
        )
    (message,) = mailoutbox
    assert message.subject.startswith("Confirm your email address")
    assert message.body.rstrip().endswith(help_footer())
