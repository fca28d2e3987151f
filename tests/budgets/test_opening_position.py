"""A council switching to fundmgr on 1 October 2026 imports its opening position
(`manage.py import_opening_position`, budgets/opening.py): each councillor's allocation and the
grants already committed and paid from it. The tests live on 23 November 2026 (tests/conftest.py).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from applications import support
from applications.models import Application, Pledge
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, LedgerTransaction
from budgets.opening import OpeningPositionImporter
from fundmgr.imports import run_import
from fundmgr.models import Council
from tests.factories import ApplicationFactory, CouncillorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
D = Decimal
SAMPLE = Path(settings.BASE_DIR) / "fixtures" / "imports" / "opening-position.csv"
SWITCH = ["--switch-date", "2026-10-01"]


def opening() -> list[LedgerTransaction]:
    return list(LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.OPENING))


def run(path, *args: str) -> str:
    out = io.StringIO()
    try:
        call_command("import_opening_position", str(path), *SWITCH, *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + f"\nCommandError: {error}"
    return out.getvalue()


def write(tmp_path, text: str, *, encoding: str = "utf-8", name: str = "position.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def summary(page: str) -> dict[str, str]:
    """The statement's summary list: each key's money, as the page shows it."""
    pairs = re.findall(
        r'summary-list__key">(?:<strong>)?([^<]+)(?:</strong>)?</dt><dd[^>]*>(?:<strong>)?([^<]+)',
        page,
    )
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.fixture
def switching(fund_year, shaw, okafor):
    """The sample file's council: CCIF 2026/27 with a £10,000 budget, nothing allocated yet, and
    Shaw and Okafor in Abbey Meadow."""
    return fund_year


def test_the_sample_file_opens_each_statement_at_the_right_balance(switching, shaw, client):
    output = run(SAMPLE)
    assert "Imported opening-position.csv: 5 created." in output, output
    assert "CommandError" not in output, output
    assert ledger_violations() == []
    # Shaw: £1,000 allocated; £300 committed and paid, £250 committed of which £100 paid.
    client.force_login(shaw.user)
    page = client.get(reverse("budgets:statement", args=["CCIF", 2026, shaw.pk])).content.decode()
    figures = summary(page)
    assert figures["Allocation"] == "£1,000.00"
    assert figures["Committed to grants"] == "£550.00"
    assert figures["Of what was committed, paid out"] == "£400.00"
    assert figures["Of what was committed, not yet paid"] == "£150.00"
    assert figures["Balance of the allocation"] == "£450.00"
    assert figures["Left to pledge"] == "£450.00"
    assert "Opening position" in page
    assert "Before the switch on 1 October 2026: WB-2026-031 Defibrillator cabinet" in page


def test_okafors_allocation_and_grant_on_one_row(switching, okafor):
    run(SAMPLE)
    allocation = Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=okafor)
    commitment = Account.objects.get(kind=Account.Kind.COMMITMENT, reference="WB-2026-022")
    assert allocation.balance == D("600.00")
    assert commitment.balance == D("400.00")  # nothing paid yet
    pot = Account.objects.get(kind=Account.Kind.POT, fund_year=switching)
    assert pot.balance == D("8000.00")


def test_a_pledge_beyond_what_is_left_is_refused_on_the_support_page(switching, shaw, client):
    run(SAMPLE)
    bid = ApplicationFactory(
        fund_year=switching,
        organisation=OrganisationFactory(ward=shaw.ward),
        amount_requested=D("900.00"),
        total_cost=D("900.00"),
    )
    Application.objects.filter(pk=bid.pk).update(status=Status.AWAITING_SUPPORT)
    client.force_login(shaw.user)
    url = reverse("councillor:support", args=[bid.reference])
    refused = client.post(url, {"amount": "450.01", "statement": "A good cause"})
    assert refused.status_code == 200
    assert "You have £450.00 left to pledge this year" in refused.content.decode()
    assert not Pledge.objects.exists()
    accepted = client.post(url, {"amount": "450.00", "statement": "A good cause"})
    assert accepted.status_code == 302
    assert Pledge.objects.get().amount == D("450.00")


def test_a_dry_run_reports_and_writes_nothing(switching):
    output = run(SAMPLE, "--dry-run")
    assert (
        "Row 2, column allocation ('1000.00'): would create Cllr Sam Shaw, CCIF 2026/27" in output
    )
    assert "This was a check only: nothing was imported." in output
    assert opening() == []
    assert not Account.objects.filter(kind=Account.Kind.ALLOCATION).exists()


def test_importing_the_same_file_twice_changes_nothing(switching):
    run(SAMPLE)
    postings = LedgerTransaction.objects.count()
    balances = list(Account.objects.order_by("pk").values_list("balance", flat=True))
    again = run(SAMPLE)
    assert "refused" not in again
    assert re.search(r"Imported opening-position.csv: 5 unchanged\.", again), again
    assert LedgerTransaction.objects.count() == postings
    assert list(Account.objects.order_by("pk").values_list("balance", flat=True)) == balances


def test_allocate_year_after_the_import_allocates_nobody_twice(switching, shaw):
    run(SAMPLE)
    summary = ledger.allocate_year(fund_year=switching, by=None)
    assert summary.allocated == []
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("450")


UNTIDY = (
    "\ufeff Councillor , Ward code,Fund,Financial Year,Allocation,Grant ref,Grant title,"
    "Group,Amount awarded,Amount paid,Date awarded\n"
    '  sam   SHAW ,E05800000,ccif,2026-27,"£1,200.00",,,,,,\n'
    'Cllr Sam Shaw,,CCIF,2026/2027,"£1,200.00",old-7,Café chairs,Café Club,£200,£50.00,'
    "3rd September 2026\n"
    'PRIYA OKAFOR,abbey meadow,CCIF,,900,OLD-8,Benches,,"£1,000.00",,1-Sep-2026\n'
)


def test_untidy_headings_and_values_are_read_as_a_person_meant(switching, shaw, okafor, tmp_path):
    shaw.ward.gss_code = "E05800000"
    shaw.ward.save()
    path = write(tmp_path, UNTIDY.replace("PRIYA OKAFOR", "Priya Okafor").replace("900,", "1000,"))
    output = run(path)
    assert "refused" not in output, output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("1000")
    assert Account.objects.get(kind=Account.Kind.PAID, councillor=shaw).balance == D("50.00")
    memo = LedgerTransaction.objects.get(reference="old-7").memo
    assert "Café chairs, to Café Club, committed 3 September 2026" in memo
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=okafor).balance == D("0")


def test_a_windows_1252_file_is_read_with_a_note(switching, shaw, tmp_path):
    path = write(
        tmp_path,
        "councillor,allocation,reference,title,committed\n"
        "Sam Shaw,1000,OLD-9,Café tables,£120.00\n",
        encoding="cp1252",
    )
    output = run(path)
    assert "read as Windows-1252" in output
    assert "Café tables" in LedgerTransaction.objects.get(reference="OLD-9").memo


def test_a_file_with_mistakes_is_refused_row_by_row_and_writes_nothing(
    switching, shaw, okafor, tmp_path
):
    text = UNTIDY + (
        "Jo Nobody,,CCIF,2026/27,500,,,,,,\n"
        "Sam Shaw,,CCIF,2026/27,,OLD-10,Mural,,£1.005,,\n"
        "Sam Shaw,,CCIF,2026/27,,OLD-11,Mural,,50,60,31/02/2026\n"
        "Sam Shaw,,CCIF,2026/27,,OLD-12,Late grant,,50,,2/10/2026\n"
        "Sam Shaw,,CCIF,2026/27,,CCIF26-000001,Ours,,50,,\n"
    )
    output = run(write(tmp_path, text))
    # Okafor's £1,000 grant overdraws the £900 allocation the same row gives.
    assert (
        "Row 4, column committed ('1000.00'): refused Grant OLD-8 (Cllr Priya Okafor): "
        "Cllr Priya Okafor has £900.00 of the CCIF 2026/27 allocation left by this row, and "
        "this grant commits £1,000.00" in output
    ), output
    assert "Row 5, column councillor ('Jo Nobody'): refused: No councillor is called" in output
    assert "Row 6, column committed ('£1.005'): refused: '£1.005' has more than two places" in (
        output
    )
    assert "Row 7, column date ('31/02/2026'): refused: '31/02/2026' is not a date" in output
    assert "Row 7, column paid ('60'): refused: More has been paid than the £50.00" in output
    assert "Row 8, column date ('2/10/2026'): refused: The date is after the switch" in output
    assert "Row 9, column reference ('CCIF26-000001'): refused: This is the form of fundmgr" in (
        output
    )
    assert "CommandError: Nothing was imported" in output
    assert opening() == []
    assert not Account.objects.filter(kind=Account.Kind.ALLOCATION).exists()


def test_two_councillors_of_one_name_need_the_ward(switching, shaw, tmp_path):
    CouncillorFactory(name="Sam Shaw")  # another ward
    output = run(write(tmp_path, "councillor,allocation\nSam Shaw,1000\n"))
    assert "2 councillors are called 'Sam Shaw' (Abbey Meadow, Ward" in output
    assert opening() == []
    output = run(write(tmp_path, "councillor,ward,allocation\nSam Shaw,ABBEY MEADOW,1000\n"))
    assert "refused" not in output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("1000")


def test_a_councillor_by_e_mail(switching, shaw, tmp_path):
    output = run(write(tmp_path, "Councillor e-mail,allocation\n CLLR.SHAW@example.org ,750\n"))
    assert "refused" not in output, output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("750")


def test_allocations_the_pot_cannot_cover_are_refused(switching, shaw, okafor, tmp_path):
    output = run(write(tmp_path, "councillor,allocation\nSam Shaw,6000\nPriya Okafor,4500\n"))
    assert (
        "The CCIF 2026/27 pot has £10,000.00 unallocated, and the allocations in this file "
        "need £10,500.00" in output
    )
    assert opening() == []


def test_a_changed_amount_is_refused_then_corrected_by_reversal(switching, shaw, tmp_path, client):
    run(SAMPLE)
    changed = SAMPLE.read_text().replace("250.00,100.00", "275.00,100.00")
    path = write(tmp_path, changed)
    output = run(path)
    first = LedgerTransaction.objects.get(reference="WB-2026-031", kind="opening")
    assert (
        f"WB-2026-031 was posted as £250.00 committed, £100.00 paid (#{first.pk}); the file says "
        "£275.00 committed, £100.00 paid. A posting is never edited: to put it right, import this "
        "file again with --correct" in output
    ), output
    assert LedgerTransaction.objects.filter(reference="WB-2026-031").count() == 1

    output = run(path, "--correct")
    assert "Row 4, column committed ('275.00'): changed Grant WB-2026-031" in output, output
    reversal = LedgerTransaction.objects.get(reverses=first)
    assert reversal.kind == LedgerTransaction.Kind.REVERSAL
    assert ledger_violations() == []
    client.force_login(shaw.user)
    page = client.get(reverse("budgets:statement", args=["CCIF", 2026, shaw.pk])).content.decode()
    assert summary(page)["Balance of the allocation"] == "£425.00"
    # And the corrected file, imported once more, changes nothing.
    assert "refused" not in run(path)
    assert LedgerTransaction.objects.filter(reference="WB-2026-031").count() == 3


def test_a_changed_allocation_is_corrected_around_the_grants_posted_from_it(
    switching, shaw, tmp_path
):
    run(SAMPLE)
    path = write(
        tmp_path,
        SAMPLE.read_text().replace(
            "Sam Shaw,Abbey Meadow,CCIF,2026/27,1000.00",
            "Sam Shaw,Abbey Meadow,CCIF,2026/27,800.00",
        ),
    )
    assert "allocation was posted as £1,000.00" in run(path)
    output = run(path, "--correct")
    assert "changed Cllr Sam Shaw, CCIF 2026/27: allocation £1,000.00 reversed" in output, output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("250")
    assert ledger_violations() == []
    # Down to £500, the £550 already committed from it does not fit: refused, nothing changed.
    path = write(tmp_path, SAMPLE.read_text().replace("1000.00,,,,,,", "500.00,,,,,,"))
    assert "refused" in run(path, "--correct")
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("250")


def test_the_page_and_commands_share_run_import(switching, administrator):
    council = Council.objects.get()
    data = SAMPLE.read_bytes()
    checked = run_import(
        OpeningPositionImporter,
        data,
        "opening-position.csv",
        council=council,
        by=administrator,
        dry_run=True,
        options={"switch_date": "2026-10-01"},
    )
    assert checked.counts()["create"] == 5 and not checked.refused
    assert opening() == []
    done = run_import(
        OpeningPositionImporter,
        data,
        "opening-position.csv",
        council=council,
        by=administrator,
        dry_run=False,
        options={"switch_date": "2026-10-01"},
    )
    assert done.counts()["create"] == 5
    assert {p.created_by for p in opening()} == {administrator}
    assert b"Grant WB-2026-014 (Cllr Sam Shaw)" in done.as_csv()


def test_a_workbook_with_merged_cells_and_real_dates(switching, shaw, tmp_path):
    """A councillor's name and allocation merged down over their grant rows, as people lay a
    sheet out; amounts as numbers, dates as Excel dates."""
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Councillor", "Allocation", "Grant ref", "Grant title", "Awarded", "Paid", "Date"]
    )
    sheet.append(["Sam Shaw", 1000, "OLD-20", "Bulbs", 120.5, 120.5, datetime.date(2026, 5, 1)])
    sheet.append([None, None, "OLD-21", "Benches", 300, 0, datetime.datetime(2026, 9, 30)])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    path = tmp_path / "position.xlsx"
    book.save(path)
    output = run(path)
    assert "Merged cells were read as if each cell held the merged value" in output
    assert "Imported position.xlsx: 3 created" in output, output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("579.50")
    assert Account.objects.get(kind=Account.Kind.PAID, councillor=shaw).balance == D("120.50")
    assert "committed 30 September 2026" in LedgerTransaction.objects.get(reference="OLD-21").memo


def test_without_a_switch_date_today_stands_for_it(switching, tmp_path):
    council = Council.objects.get()
    data = b"councillor,allocation,reference,committed,date\nSam Shaw,1000,OLD-30,100,24/11/2026\n"
    late = run_import(
        OpeningPositionImporter, data, "p.csv", council=council, by=None, dry_run=False
    )
    assert "The date is after the switch (23 November 2026)" in "\n".join(late.lines())
    done = run_import(
        OpeningPositionImporter,
        data.replace(b"24/11", b"23/11"),
        "p.csv",
        council=council,
        by=None,
        dry_run=False,
    )
    assert not done.refused
    assert LedgerTransaction.objects.get(reference="OLD-30").memo.startswith(
        "Before the switch: OLD-30 committed 23 November 2026"
    )


def test_pledges_already_made_beyond_the_opening_balance_are_warned_of(switching, shaw):
    ledger.allocate_year(fund_year=switching, by=None)  # before the import: £1,000 each
    bid = ApplicationFactory(
        fund_year=switching,
        organisation=OrganisationFactory(ward=shaw.ward),
        amount_requested=D("800.00"),
        total_cost=D("800.00"),
    )
    Application.objects.filter(pk=bid.pk).update(status=Status.AWAITING_SUPPORT)
    support.pledge_make(
        application=bid, councillor=shaw, amount=D("800.00"), statement="Yes", by=shaw.user
    )
    output = run(SAMPLE)
    assert "Row 2, column allocation ('1000.00'): unchanged Cllr Sam Shaw" in output
    assert (
        "Row 2: warning Cllr Sam Shaw, CCIF 2026/27: Cllr Sam Shaw has pledged £800.00 to bids "
        "waiting for a decision, more than the £450.00 the allocation will hold" in output
    ), output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("450")


def test_the_administrators_import_page_checks_then_imports_the_sample(
    switching, shaw, administrator, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fundmgr.models import ImportRun

    client.force_login(administrator)
    page = client.get("/officer/imports/").content.decode()
    assert "Opening position (allocations, committed and paid)" in page
    sample = client.get("/officer/imports/samples/opening_position.csv")
    assert sample.content.decode("utf-8-sig").splitlines()[0].startswith("councillor,ward,fund")
    upload = SimpleUploadedFile("opening-position.csv", SAMPLE.read_bytes(), "text/csv")
    checked = client.post(
        "/officer/imports/", {"kind": "opening_position", "file": upload, "check_only": "on"}
    )
    assert checked.status_code == 302
    report = client.get(checked["Location"]).content.decode()
    assert "Grant WB-2026-031 (Cllr Sam Shaw)" in report
    assert opening() == []
    run = ImportRun.objects.get()
    imported = client.post(f"/officer/imports/{run.pk}/")
    assert imported.status_code == 302
    assert len(opening()) == 5
    assert {p.created_by for p in opening()} == {administrator}
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("450")
    assert ledger_violations() == []


def test_a_reference_fundmgr_already_used_and_a_fund_paid_from_the_pot_are_refused(
    switching, shaw, tmp_path
):
    ledger.allocate_year(fund_year=switching, by=None)
    ledger.commitment_make(
        fund_year=switching, reference="OLD-40", shares=[(shaw, D("10.00"))], by=None
    )
    output = run(write(tmp_path, "councillor,reference,committed\nSam Shaw,OLD-40,100\n"))
    assert (
        "Row 2, column reference ('OLD-40'): refused: fundmgr already has money posted under "
        "this reference" in output
    )
    type(switching).objects.filter(pk=switching.pk).update(funded_from="central_pot")
    output = run(write(tmp_path, "councillor,fund,allocation\nSam Shaw,CCIF,100\n"))
    assert "CCIF 2026/27 is paid from the central pot: it has no allocations." in output, output
    assert opening() == []


def test_a_later_file_of_grants_alone_draws_on_the_allocation_already_posted(
    switching, shaw, okafor, tmp_path
):
    run(write(tmp_path, "councillor,allocation\nSam Shaw,1000\n"))
    output = run(
        write(
            tmp_path, "councillor,reference,committed\nSam Shaw,OLD-50,100\nPriya Okafor,OLD-51,5\n"
        )
    )
    assert (
        "Row 3, column allocation: refused Cllr Priya Okafor, CCIF 2026/27: Cllr Priya Okafor has "
        "no CCIF 2026/27 allocation in the file or in fundmgr" in output
    ), output
    output = run(write(tmp_path, "councillor,reference,committed\nSam Shaw,OLD-50,100\n"))
    assert "refused" not in output
    assert Account.objects.get(kind=Account.Kind.ALLOCATION, councillor=shaw).balance == D("900")


def test_a_posting_made_under_the_same_key_meanwhile_refuses_the_whole_import(
    switching, shaw, monkeypatch
):
    """Between the check and the postings, allocate_year gives Shaw £1,000 under the key the
    import was about to use (as a run at the same moment would): nothing from the file stays."""
    apply = OpeningPositionImporter.apply

    def meanwhile(self, plan, report):
        ledger.allocate_year(fund_year=switching, by=None)
        apply(self, plan, report)

    monkeypatch.setattr(OpeningPositionImporter, "apply", meanwhile)
    output = run(SAMPLE)
    assert (
        "The file: refused: While this file was being imported, something else posted to the "
        "ledger under the same key" in output
    ), output
    assert opening() == []
    assert not Account.objects.filter(kind=Account.Kind.ALLOCATION).exists()


def test_the_pdf_statement_and_the_api_show_the_opening_position(switching, shaw, client):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.documents_fixtures import flat, pdf_text

    run(SAMPLE)
    client.force_login(shaw.user)
    response = client.get(f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/")
    pdf = flat(pdf_text(b"".join(response.streaming_content)))
    assert "Allocation £1,000.00" in pdf and "Committed to grants £550.00" in pdf, pdf
    assert "Balance of the allocation £450.00" in pdf
    assert "Opening position" in pdf
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=shaw.user).key}")
    (budget,) = api.get("/api/v1/budgets/").json()["results"]
    assert (budget["balance"], budget["pledgeable"]) == ("450.00", "450.00")
    lines = api.get(f"/api/v1/budgets/{budget['id']}/statement/").json()
    assert [line["kind"] for line in lines["rows"]] == ["opening"] * 3, lines


def test_the_command_help_describes_the_layout_and_every_column():
    from budgets.management.commands.import_opening_position import Command

    text = " ".join(Command().help.split())
    assert "one row for each councillor's allocation, and one row for each grant" in text
    assert "Sample: fixtures/imports/opening-position.csv. Columns: councillor:" in text
    assert "committed (optional): The whole amount awarded" in text
    assert text.count("Import") == 1
