"""Each council's own settings (fundmgr.models.Council, edited by its administrator), never the
settings file and never another council's: two councils on one service, each with its own name,
address, help contact, BACS details and bank accounts, seen through their pages, PDFs, BACS
files, e-mails and statement imports."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets import ledger
from budgets.models import Councillor, GLImport, GLLine, PaymentFile, Statement
from decisions.documents import offer_letter_pdf
from finance.documents import remittance_pdf
from fundmgr import councils
from fundmgr import letterhead as lh
from fundmgr.errors import Refused
from fundmgr.models import Council
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
    assert "Get help" not in text  # the service has no help contact of its own yet
    settings.SERVICE_HELP_CONTACT = {"name": "service desk", "email": "desk@shared.example"}
    text = client.get("/sign-in/").text
    assert "Contact the service desk" in text and 'href="mailto:desk@shared.example"' in text
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


def test_letters_made_across_the_service_are_on_their_own_councils_letterhead(made):
    """As a command or a task working for the whole service would make them: the remittance is
    its payment line's council's, the offer letter its application's."""
    for key in ("a", "b"):
        _run, line, _bacs = accepted_and_paid(made[key])
        app = made[key].app
        assert councils.scope() == councils.SERVICE
        remittance = flat(pdf_text(remittance_pdf(line, app)))
        offer = flat(pdf_text(offer_letter_pdf(app, app.decisions.get(), None)))
        for text in (remittance, offer):
            assert text.startswith(OWN[key]["name"])
            assert OWN[key]["address"].split("\n")[-1] in text
            assert_own(text, key)
        assert f"e-mail {OWN[key]['email']} or call {OWN[key]['phone']}" in offer


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


# --- the finance system's GL export ------------------------------------------------------------

GL_OWN_HEADINGS = (
    "Cost Centre,Posting Date,Doc Ref,Narrative,Net\r\n"
    "R4410-7310,02/03/2027,CCIF26-000001/1,Grant FRIENDS OF ABBEY PARK,£500.00\r\n"
)


def import_gl(client, key: str):
    upload = SimpleUploadedFile("gl.csv", GL_OWN_HEADINGS.encode(), content_type="text/csv")
    return client.post(f"/council-{key}/finance/general-ledger/", {"file": upload}, follow=True)


def test_a_councils_gl_export_is_read_with_the_column_headings_its_settings_name(client, made):
    council = made["b"].council
    council.gl_columns = {"cost_code": "Cost Centre", "amount": "Net"}
    council.full_clean()
    council.save()
    for key in ("a", "b"):
        with councils.acting_for(made[key].council):
            client.force_login(UserFactory(username=f"finance-{key}", roles=["Finance officer"]))
        response = import_gl(client, key)
        if key == "a":  # the usual headings only: "Net" is no amount column it knows
            assert "The file has no amount column" in response.text
    (imported,) = GLImport.objects.all()
    assert imported.council_id == council.pk
    (line,) = GLLine.objects.all()
    assert (line.cost_code, line.amount) == ("R4410-7310", Decimal("500.00"))


def test_gl_headings_that_are_no_column_are_refused():
    with pytest.raises(ValidationError, match="cost_centre is not a column of a GL export"):
        Council(gl_columns={"cost_centre": "Cost Centre"}).clean_fields(
            exclude=[f.name for f in Council._meta.fields if f.name != "gl_columns"]
        )


# --- the council's administrator, in /admin/ ----------------------------------------------------


def png(colour=(0, 94, 165)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 100), colour).save(out, "PNG")
    return out.getvalue()


def change_form(council: Council, **changes) -> dict:
    """What the admin's change form posts for `council`, with `changes`."""
    data = {
        field.name: getattr(council, field.name)
        for field in Council._meta.fields
        if field.name not in ("id", "logo")
    }
    data["gl_columns"] = json.dumps(council.gl_columns)
    data["slug"] = council.slug or ""
    data.update(changes)
    return data


@pytest.fixture
def admin_b(client, made):
    with councils.acting_for(made["b"].council):
        user = UserFactory(username="admin-b", is_staff=True, roles=["Administrator"])
    client.force_login(user)
    return user


def test_a_councils_administrator_sees_and_edits_only_its_own_council(client, made, admin_b):
    a, b = made["a"].council, made["b"].council
    listing = client.get("/council-b/admin/fundmgr/council/")
    assert listing.status_code == 200
    assert OWN["b"]["name"] in listing.text and OWN["a"]["name"] not in listing.text
    other = client.get(f"/council-b/admin/fundmgr/council/{a.pk}/change/")
    assert other.status_code == 302  # the admin's "no such council": not in its list
    assert OWN["a"]["help_email"] not in other.text
    assert client.get("/council-a/admin/fundmgr/council/").status_code in (403, 404)

    page = f"/council-b/admin/fundmgr/council/{b.pk}/change/"
    form = client.get(page)
    assert form.status_code == 200
    changed = change_form(
        b,
        help_name="Brackley grants desk",
        host="grants.elsewhere.example",
        slug="somewhere-else",
        gss_code="E07000999",
    )
    response = client.post(page, changed)
    assert response.status_code == 302, response.content
    b.refresh_from_db()
    assert b.help_name == "Brackley grants desk"
    # Where a council is, and which it is, are the service administrator's to change.
    assert (b.host, b.slug, b.gss_code) == ("", "council-b", "E07000102")
    a.refresh_from_db()
    assert a.help_name == OWN["a"]["help_name"]
    client.logout()
    assert "Contact the Brackley grants desk" in client.get("/council-b/sign-in/").text


def test_the_logo_must_be_a_png_or_jpeg_and_then_heads_the_councils_letters(client, made, admin_b):
    b = made["b"].council
    page = f"/council-b/admin/fundmgr/council/{b.pk}/change/"
    gif = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (30, 10)).save(gif, "GIF")
    for name, content in (("logo.gif", gif.getvalue()), ("logo.png", b"not an image")):
        upload = SimpleUploadedFile(name, content, content_type="image/png")
        refused = client.post(page, change_form(b, logo=upload))
        assert refused.status_code == 200
        assert "The logo must be a PNG or JPEG image" in refused.text
    b.refresh_from_db()
    assert not b.logo

    upload = SimpleUploadedFile("crest.png", png(), content_type="image/png")
    assert client.post(page, change_form(b, logo=upload)).status_code == 302
    b.refresh_from_db()
    assert b.logo.name.startswith("councils/")
    with councils.acting_for(b):
        letter = lh.render([lh.paragraph("Hello")], title="T", reference="R-1")
    with councils.acting_for(made["a"].council):
        other = lh.render([lh.paragraph("Hello")], title="T", reference="R-1")
    assert b"/Subtype /Image" in letter
    assert b"/Subtype /Image" not in other


def test_a_statement_imported_for_no_council_of_several_is_refused(made):
    """Service-wide (a command, the service administrator), the council's accounts are
    unknown: nothing is read as if any account would do."""
    from budgets.statement_imports import statement_read

    with open(LLOYDS, "rb") as f, pytest.raises(Refused, match="several councils"):
        statement_read(f.read())
    assert Statement.objects.count() == 0


# --- upgrading: council 1 from the environment, once -------------------------------------------


def test_the_upgrade_gives_council_one_the_settings_the_environment_gave(settings):
    """fundmgr/0009 reads FIRST_COUNCIL (the former council variables) for the one council of
    an installation from before councils had their own settings."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("fundmgr.migrations.0009_council_settings")
    settings.FIRST_COUNCIL = {
        **settings.FIRST_COUNCIL,
        "address": ["Guildhall", "Upton", "UP1 1UP"],
        "help_email": "help@upton.example",
        "bacs_service_user_number": "654321",
        "bank_accounts": ["309950 10203040", "401234 55556666"],
    }
    council = CouncilFactory(name="Upton District Council")
    migration.settings_to_councils(apps, None)
    council.refresh_from_db()
    assert council.slug == "upton"
    assert council.address_lines == ["Guildhall", "Upton", "UP1 1UP"]
    assert (council.help_email, council.bacs_service_user_number) == (
        "help@upton.example",
        "654321",
    )
    assert council.bank_accounts == "309950 10203040\n401234 55556666"
    council.full_clean()


def test_a_reminder_sent_by_the_timers_command_ends_with_its_own_councils_help_contact(
    made, settings
):
    """send_reminders runs across the service: each e-mail ends with its bid's council's help
    contact (the support reminder to each council's ward councillor)."""
    import datetime

    from applications.reminders import send_reminders

    settings.SITE_URL = "https://grants.example"
    later = datetime.date.today() + datetime.timedelta(days=10)
    while later.weekday() >= 5:
        later += datetime.timedelta(days=1)
    send_pending()  # what making the bids sent
    mail.outbox.clear()
    send_reminders(later)
    send_pending()
    for key in ("a", "b"):
        (message,) = [m for m in mail.outbox if m.to == [made[key].councillor.email]]
        assert OWN[key]["help_email"] in message.body.splitlines()[-1]
        assert OWN[other(key)]["help_email"] not in message.body
