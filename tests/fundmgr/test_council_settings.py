"""Each council's own settings (fundmgr.models.Council, edited by its administrator), never the
settings file and never another council's: two councils on one service, each with its own name,
address, help contact, BACS details and bank accounts, seen through their pages, PDFs, BACS
files, e-mails and statement imports."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets import ledger
from budgets.models import Councillor, PaymentFile, Statement
from finance.documents import remittance_pdf
from fundmgr import councils
from fundmgr.notifications import send_pending
from tests import journeys
from tests.conftest import verified_bank_details
from tests.councils_fixtures import Made, two_councils
from tests.documents_fixtures import flat, pdf_text
from tests.factories import CouncilFactory, CouncillorFactory, UserFactory
from tests.payments_fixtures import paid_run

pytestmark = pytest.mark.django_db

OWN = {
    "a": {
        "name": "Ashdown District Council",
        "address": "1 Ashdown Road\nAshdown\nAS1 1AA",
        "email": "grants@ashdown.example",
        "phone": "01632 960101",
        "help_name": "Ashdown grants team",
        "help_email": "help@ashdown.example",
        "help_phone": "01632 960111",
        "help_hours": "Weekdays 9 to 4",
        "bacs_service_user_number": "111111",
        "bacs_name": "ASHDOWN DC",
        "bacs_sort_code": "309950",
        "bacs_account_number": "10203040",
        "bacs_account_name": "ASHDOWN GRANTS",
        "bank_accounts": "309950 10203040",
    },
    "b": {
        "name": "Brackley Borough Council",
        "address": "2 Brackley Street\nBrackley\nBR2 2BB",
        "email": "grants@brackley.example",
        "phone": "01632 960202",
        "help_name": "Brackley community team",
        "help_email": "help@brackley.example",
        "help_phone": "01632 960222",
        "help_hours": "Tuesdays 10 to 2",
        "bacs_service_user_number": "222222",
        "bacs_name": "BRACKLEY BC",
        "bacs_sort_code": "401234",
        "bacs_account_number": "55556666",
        "bacs_account_name": "BRACKLEY GRANTS",
        "bank_accounts": "401234 55556666\n401234 77778888",
    },
}
# What would show one council's settings on the other's page, letter or file.
MARKS = ("name", "email", "help_email", "bacs_service_user_number", "bacs_name")


@pytest.fixture
def made() -> dict[str, Made]:
    """The two councils, set up with their own settings before anything is made for them."""
    for key, gss in (("a", "E07000101"), ("b", "E07000102")):
        council = CouncilFactory.build(gss_code=gss, slug=f"council-{key}", **OWN[key])
        council.full_clean()
        council.save()
    made = two_councils()
    assert [made[key].council.name for key in OWN] == [OWN[key]["name"] for key in OWN]
    return made


def other(key: str) -> str:
    return "b" if key == "a" else "a"


def assert_own(text: str, key: str) -> None:
    """`text` carries council `key`'s settings and none of the other council's."""
    assert OWN[key]["name"] in text
    for field in MARKS:
        assert OWN[other(key)][field] not in text, (key, field)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "b"])
def test_each_councils_pages_carry_its_own_name_and_help_contact(client, made, key):
    page = client.get(f"/council-{key}/sign-in/")
    assert page.status_code == 200
    text = page.text
    assert f'<span class="fm-header__council-name">{OWN[key]["name"]}</span>' in text
    footer = text[text.index("<footer") :]
    assert f"Contact the {OWN[key]['help_name']}" in footer
    assert f'href="mailto:{OWN[key]["help_email"]}"' in footer
    assert OWN[key]["help_hours"] in footer
    assert_own(text, key)


def test_the_services_own_pages_show_the_services_name_and_no_councils(client, made, settings):
    settings.SERVICE_NAME = "Shared grants service"
    text = client.get("/sign-in/").text
    assert '<span class="fm-header__council-name">Shared grants service</span>' in text
    for key in OWN:
        for field in MARKS:
            assert OWN[key][field] not in text, (key, field)


# --- PDFs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "b"])
def test_each_councils_copy_of_the_answers_is_on_its_own_letterhead(client, made, key):
    app = made[key].app
    client.force_login(made[key].treasurer)
    response = client.get(f"/council-{key}/apply/applications/{app.pk}/answers.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = flat(pdf_text(body(response)))
    assert text.startswith(OWN[key]["name"])
    assert OWN[key]["address"].split("\n")[0] in text
    assert f"sent to {OWN[key]['name']}" in text
    assert OWN[key]["help_email"] in text
    assert_own(text, key)


def accepted_and_paid(made: Made):
    """Council `made`'s bid supported, approved, accepted and paid in a payment run of its own
    finance officers (every step in the council's scope, as its staff's requests would be)."""
    with councils.acting_for(made.council):
        app = made.app
        shaw = Councillor.objects.get(user=made.councillor)
        okafor = CouncillorFactory(ward=shaw.ward, user__username=f"okafor-{made.council.pk}")
        ledger.allocation_make(
            fund_year=app.fund_year, councillor=okafor, amount=app.amount_requested, by=None
        )
        verified_bank_details(app.organisation, made.treasurer)
        officer2 = UserFactory(roles=["Grants officer"])
        journeys.offer_accepted(
            app,
            treasurer=made.treasurer,
            officer=made.officer,
            officer2=officer2,
            shaw=shaw,
            okafor=okafor,
        )
        finance = UserFactory(roles=["Finance officer"])
        run = paid_run(finance, UserFactory(roles=["Finance officer"]))
        bacs = bytes(PaymentFile.objects.get(run=run, kind="bacs").content).decode("ascii")
        return run, run.lines.get(), bacs


def test_each_councils_bacs_file_carries_its_own_service_user_number_and_account(made):
    for key in ("a", "b"):
        _run, _line, bacs = accepted_and_paid(made[key])
        records = bacs.split("\r\n")
        own = OWN[key]
        assert records[0].startswith("VOL1") and own["bacs_service_user_number"] in records[0]
        (contra,) = [r for r in records if r[:6] == own["bacs_sort_code"] and r[15:17] == "17"]
        assert contra[6:14] == own["bacs_account_number"]
        assert own["bacs_account_name"] in contra
        for field in ("bacs_service_user_number", "bacs_name", "bacs_account_name"):
            assert OWN[other(key)][field] not in bacs, (key, field)


def test_a_remittance_made_across_the_service_is_on_its_own_councils_letterhead(made):
    """As a command or a task working for the whole service would make it: the line's council."""
    for key in ("a", "b"):
        _run, line, _bacs = accepted_and_paid(made[key])
        assert councils.scope() == councils.SERVICE
        text = flat(pdf_text(remittance_pdf(line, made[key].app)))
        assert text.startswith(OWN[key]["name"])
        assert OWN[key]["address"].split("\n")[-1] in text
        assert_own(text, key)


# --- e-mails -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "b"])
def test_each_councils_e_mails_carry_its_own_name_and_help_contact(
    client, made, key, django_capture_on_commit_callbacks
):
    group = made[key].app.organisation
    client.force_login(made[key].treasurer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/council-{key}/apply/organisations/{group.pk}/members/",
            {"email": "sam@example.org", "role": "member"},
        )
    assert response.status_code == 302, response.content
    send_pending()
    (message,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    assert message.subject == (
        f"You are invited to join {group.name} on {OWN[key]['name']}’s grants service"
    )
    footer = message.body.rstrip().splitlines()[-1]
    assert footer == (
        f"Need help? {OWN[key]['help_name'][0].upper()}{OWN[key]['help_name'][1:]}, "
        f"{OWN[key]['help_email']}, {OWN[key]['help_phone']}, {OWN[key]['help_hours']}"
    )
    assert_own(f"{message.subject}\n{message.body}", key)


def test_the_lockout_message_gives_the_councils_own_help_contact(client, made, settings):
    UserFactory(username="rowan@example.org", email="rowan@example.org", roles=["Applicant"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/council-b/sign-in/", {"username": "rowan@example.org", "password": "x"})
    locked = client.post("/council-b/sign-in/", {"username": "rowan@example.org", "password": "x"})
    assert locked.status_code == 429
    words = " ".join(re.sub(r"<[^>]+>", " ", locked.text).split())
    assert (
        "contact the Brackley community team at help@brackley.example or on 01632 960222" in words
    )
    assert "ashdown" not in words.lower()


# --- statement imports -------------------------------------------------------------------------


LLOYDS = "tests/data/statements/lloyds.csv"  # of account 30-99-50 10203040: council a's


def import_statement(client, key: str):
    with open(LLOYDS, "rb") as f:
        upload = SimpleUploadedFile("lloyds.csv", f.read(), content_type="text/csv")
    return client.post(
        f"/council-{key}/finance/statements/", {"file": upload, "layout": "lloyds"}, follow=True
    )


def test_a_statement_of_another_councils_account_is_refused_and_its_own_is_taken(client, made):
    with councils.acting_for(made["b"].council):
        finance_b = UserFactory(username="finance-b", roles=["Finance officer"])
    client.force_login(finance_b)
    refused = import_statement(client, "b")
    text = " ".join(refused.text.split())
    assert "The statement is for account 30-99-50 10203040" in text
    assert "(40-12-34 55556666, 40-12-34 77778888)" in text
    assert Statement.objects.count() == 0

    with councils.acting_for(made["a"].council):
        finance_a = UserFactory(username="finance-a", roles=["Finance officer"])
    client.force_login(finance_a)
    import_statement(client, "a")
    (statement,) = Statement.objects.all()
    assert statement.council_id == made["a"].council.pk
