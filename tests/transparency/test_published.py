"""Published grants data: the 360Giving export, its identifiers, the Transparency Code list, and
the ward population import."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from applications import services as s
from budgets import ledger
from transparency import identifiers, register, schema, threesixty
from transparency.models import WardPopulation
from transparency.population import ward_population_import
from transparency.published import grant_rows

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal
SHARED = Path(settings.BASE_DIR).parent / "shared" / "data" / "360giving"


def package(year=None) -> dict:
    return json.loads("".join(threesixty.json_chunks(year)))


def grant_of(reference: str, year=None) -> dict:
    return next(g for g in package(year)["grants"] if g["id"].endswith(reference))


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


# --- the 360Giving package --------------------------------------------------------------------


def test_the_schema_kept_in_the_app_is_the_standards_own(tmp_path):
    if not SHARED.is_dir():
        pytest.skip("../shared/data/360giving is not here to compare with")
    for name in ("360-giving-package-schema.json", "360-giving-schema.json"):
        assert (schema.SCHEMAS / name).read_bytes() == (SHARED / name).read_bytes()


def test_an_exported_package_is_valid_against_the_360giving_schema(town):
    town.award(town.bid(town.group("Friends of Abbey Park")), pay="500.00")
    town.award(
        town.bid(town.group("Brookfield Library", charity_number="1990127"), amount="1200.00"),
        accept=False,
    )
    assert schema.errors(package()) == []


def test_the_validator_asserts_formats_and_finds_a_bad_date(town):
    """A date in the wrong form must fail: without format checking it would pass unseen."""
    town.award(town.bid(town.group("Friends of Abbey Park")))
    broken = package()
    broken["grants"][0]["awardDate"] = "23/11/2026"
    broken["grants"][0]["dateModified"] = "yesterday"
    found = schema.errors(broken)
    assert any(p.startswith("grants/0/awardDate") for p in found)
    assert any(p.startswith("grants/0/dateModified") for p in found)


def test_a_grant_to_an_unregistered_group_is_identified_by_the_council_prefix(town):
    group = town.group("Friends of Abbey Park")
    app = town.award(town.bid(group))
    recipient = grant_of(app.reference)["recipientOrganization"][0]
    assert recipient["id"] == f"360G-thornburyvale-ORG-{group.pk}"
    assert "charityNumber" not in recipient and "companyNumber" not in recipient


def test_a_grant_to_a_charity_is_identified_by_its_charity_number(town):
    app = town.award(town.bid(town.group("Brookfield Library", charity_number="1990127")))
    recipient = grant_of(app.reference)["recipientOrganization"][0]
    assert recipient["id"] == "GB-CHC-1990127"
    assert recipient["charityNumber"] == "1990127"


def test_a_grant_to_a_company_is_identified_by_its_company_number(town):
    group = town.group("Larkrise Wellbeing Hub CIC", kind="cic", company_number="09876543")
    app = town.award(town.bid(group))
    recipient = grant_of(app.reference)["recipientOrganization"][0]
    assert recipient["id"] == "GB-COH-09876543"
    assert recipient["companyNumber"] == "09876543"


@pytest.mark.parametrize(
    ("charity", "company", "expected"),
    [
        ("SC012345", "", "GB-SC-SC012345"),
        ("NIC100005", "", "GB-NIC-100005"),
        ("1990127", "01234567", "GB-CHC-1990127"),  # a charitable company: the charity first
        ("", "1234567", "GB-COH-01234567"),  # leading zero restored
        ("", "SC123456", "GB-COH-SC123456"),  # a Scottish company is still Companies House
    ],
)
def test_each_register_gets_its_org_id(charity, company, expected):
    assert identifiers.organisation_id(pk=1, charity_number=charity, company_number=company) == (
        expected
    )


def test_the_grant_and_the_council_carry_the_configured_identifiers(town):
    town.council.threesixty_prefix = "360G-testshire-"
    town.council.save()
    app = town.award(town.bid(town.group("Friends of Abbey Park")))
    grant = grant_of(app.reference)
    assert grant["id"] == f"360G-testshire-{app.reference}"
    assert grant["fundingOrganization"] == [
        {
            "id": "GB-LAE-TST",
            "name": "Testshire District Council",
            "department": "Democratic and Community Services",
        }
    ]
    assert package()["publisher"] == {
        "name": "Testshire District Council",
        "identifier": "GB-LAE-TST",
    }


def test_a_grant_names_its_wards_programme_dates_and_amounts(town):
    app = town.bid(
        town.group("Friends of Abbey Park"), amount="900.00", wards=[town.abbey, town.brook]
    )
    app = town.award(app, amount="800.00", pay="300.00")
    grant = grant_of(app.reference)
    assert grant["beneficiaryLocation"] == [
        {"name": "Abbey Meadow", "countryCode": "GB", "geoCode": "E05800001", "geoCodeType": "WD"},
        {"name": "Brookfield", "countryCode": "GB", "geoCode": "E05800002", "geoCodeType": "WD"},
    ]
    assert grant["grantProgramme"] == [{"code": "CAF", "title": "Community Asset Fund"}]
    assert grant["plannedDates"] == [{"startDate": "2027-01-10", "endDate": "2027-03-20"}]
    assert (grant["amountAppliedFor"], grant["amountAwarded"], grant["amountDisbursed"]) == (
        900,
        800,
        300,
    )
    assert grant["currency"] == "GBP"
    assert grant["fromOpenCall"] == "Yes"


def test_amount_disbursed_is_what_the_ledger_holds_as_paid_net_of_refunds(town):
    app = town.award(town.bid(town.group("Friends of Abbey Park"), amount="750.00"), pay="750.00")
    ledger.refund_post(reference=app.reference, amount=D("125.50"), by=None, key="refund:1")
    assert grant_of(app.reference)["amountDisbursed"] == 624.5


def test_a_refund_moves_the_grants_last_modified(town):
    app = town.award(town.bid(town.group("Friends of Abbey Park")), pay="500.00")
    before = grant_of(app.reference)["dateModified"]
    posting = ledger.refund_post(reference=app.reference, amount=D("10.00"), by=None, key="r:1")
    assert grant_of(app.reference)["dateModified"] >= before
    assert grant_of(app.reference)["dateModified"] == threesixty.timestamp(posting.created_at)


def test_only_awards_that_stand_are_published(town):
    group = town.group("Friends of Abbey Park")
    offered = town.award(town.bid(group), accept=False)
    paid = town.award(town.bid(group), pay="500.00")
    withdrawn = town.award(town.bid(group), accept=False)
    s.application_withdraw(application=withdrawn, by=town.treasurer, reason="Found other money")
    revoked = town.award(town.bid(group), pay="200.00")
    s.application_revoke(application=revoked, by=town.officer, reason="The group dissolved.")
    draft = town.bid(group)
    s.application_submit(application=draft, by=town.treasurer)
    ids = {g["id"] for g in package()["grants"]}
    assert ids == {identifiers.grant_id(a.reference) for a in (offered, paid, revoked)}


def test_the_export_reads_in_chunks_and_misses_no_grant(town):
    group = town.group("Friends of Abbey Park")
    made = [town.award(town.bid(group, amount="100.00")).reference for _ in range(5)]
    assert [row.reference for row in grant_rows(chunk=2)] == made


def test_the_spreadsheet_uses_the_standards_column_titles(town):
    town.award(town.bid(town.group("Brookfield Library", charity_number="1990127")), pay="500.00")
    rows = list(csv.reader(io.StringIO("".join(threesixty.csv_chunks()))))
    heading, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    for title in (
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Beneficiary Location:Geographic Code",
        "Beneficiary Location:Geographic Code Type",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "Last Modified",
    ):
        assert title in heading
    assert row["Recipient Org:Identifier"] == "GB-CHC-1990127"
    assert row["Beneficiary Location:Geographic Code Type"] == "WD"
    assert row["Amount Disbursed"] == "500"


def test_a_grant_to_several_wards_numbers_the_location_columns_from_0(town):
    town.award(town.bid(town.group("Friends of Abbey Park"), wards=[town.abbey, town.brook]))
    heading = next(csv.reader(io.StringIO("".join(threesixty.csv_chunks()))))
    assert "Beneficiary Location:0:Geographic Code" in heading
    assert "Beneficiary Location:1:Geographic Code" in heading
    assert "Beneficiary Location:Geographic Code" not in heading


def test_the_xlsx_spreadsheet_has_a_grants_sheet_with_numbers_for_amounts(town, tmp_path):
    app = town.award(town.bid(town.group("Friends of Abbey Park"), amount="612.35"))
    threesixty.write_xlsx(tmp_path / "grants.xlsx")
    sheet = load_workbook(tmp_path / "grants.xlsx")["grants"]
    heading = [c.value for c in sheet[1]]
    row = dict(zip(heading, [c.value for c in sheet[2]], strict=True))
    assert row["Identifier"] == identifiers.grant_id(app.reference)
    assert row["Amount Awarded"] == 612.35


# --- the command --------------------------------------------------------------------------------


def test_export_360giving_writes_a_valid_json_file_for_the_year(town, tmp_path):
    town.award(town.bid(town.group("Friends of Abbey Park")), pay="500.00")
    out = tmp_path / "grants.json"
    said = run("export_360giving", "--year", "2026/27", "--out", str(out), "--validate")
    assert "valid against the 360Giving schema" in said and "Wrote 1 grant to" in said
    written = json.loads(out.read_text(encoding="utf-8"))
    assert schema.errors(written) == []
    assert written["identifier"] == "360G-thornburyvale-grants-2026-27"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_360giving_writes_the_spreadsheets(town, tmp_path, fmt):
    town.award(town.bid(town.group("Friends of Abbey Park")))
    out = tmp_path / f"grants.{fmt}"
    run("export_360giving", "--format", fmt, "--out", str(out))
    assert out.stat().st_size > 0


def test_export_360giving_refuses_a_year_with_no_grants_and_writes_nothing(town, tmp_path):
    out = tmp_path / "grants.json"
    with pytest.raises(CommandError, match="No grants were awarded in 2026/27"):
        run("export_360giving", "--year", "2026/27", "--out", str(out))
    assert not out.exists()


def test_export_360giving_explains_a_year_it_cannot_read(town, tmp_path):
    with pytest.raises(CommandError, match="'next year' is not a financial year"):
        run("export_360giving", "--year", "next year", "--out", str(tmp_path / "g.json"))


# --- the Transparency Code list -----------------------------------------------------------------


def register_rows(year=None) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(register.csv_chunks(year)))))


def test_the_transparency_code_list_has_every_column_the_code_requires(town):
    town.award(town.bid(town.group("Brookfield Library", charity_number="1990127")))
    heading = next(csv.reader(io.StringIO("".join(register.csv_chunks()))))
    assert [c for c in register.REQUIRED if c not in heading] == []
    assert register.REQUIRED == [
        "Date awarded",
        "Period",
        "Department",
        "Beneficiary",
        "Registration number",
        "Summary of purpose",
        "Amount",
    ]


def test_the_transparency_code_list_says_who_got_what_for_what(town):
    app = town.award(town.bid(town.group("Brookfield Library", charity_number="1990127")))
    (row,) = register_rows()
    assert row["Beneficiary"] == "Brookfield Library"
    assert row["Registration number"] == "1990127"
    assert row["Register"] == "Charity Commission for England and Wales"
    assert row["Department"] == "Democratic and Community Services"
    assert row["Amount"] == "500.00"
    assert row["Period"] == "2027-01-10 to 2027-03-20"
    assert row["Summary of purpose"] == app.purpose
    assert row["Date awarded"] == app.transitions.get(transition="approve").at.date().isoformat()


def test_the_transparency_code_list_leaves_out_parish_councils_and_schools(town):
    town.award(town.bid(town.group("Foxley Parish Council", kind="parish")))
    town.award(town.bid(town.group("St Aidan's Primary School", kind="school")))
    town.award(town.bid(town.group("Friends of Abbey Park")))
    assert [r["Beneficiary"] for r in register_rows()] == ["Friends of Abbey Park"]
    assert len(package()["grants"]) == 3


def test_export_transparency_register_writes_the_csv(town, tmp_path):
    town.award(town.bid(town.group("Friends of Abbey Park")))
    out = tmp_path / "register.csv"
    run("export_transparency_register", "--year", "2026/27", "--out", str(out))
    assert "Friends of Abbey Park" in out.read_text(encoding="utf-8")


# --- ward population ----------------------------------------------------------------------------


def test_ward_populations_are_imported_from_csv(town):
    summary = ward_population_import(
        data=b'gss_code,population,year\nE05800001,8412,2021\nE05800002,"10,250",2021\n'
    )
    assert summary.added == 2
    assert WardPopulation.objects.get(ward=town.brook, year=2021).population == 10250


def test_importing_the_same_file_twice_changes_nothing(town):
    data = "GSS_Code,Year,Population\r\nE05800001,2021,8412\r\n"
    ward_population_import(data=data)
    again = ward_population_import(data=data)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 1)
    assert WardPopulation.objects.count() == 1


def test_a_population_file_with_a_bad_line_imports_nothing_and_names_each_bad_line(town):
    from fundmgr.errors import InvalidInput

    data = (
        "gss_code,population,year\n"
        "E05800001,8412,2021\n"
        "E05999999,100,2021\n"
        "E05800002,lots,21\n"
        "E05800001,9000,2021\n"
    )
    with pytest.raises(InvalidInput) as refused:
        ward_population_import(data=data)
    message = refused.value.message
    assert message.startswith("Nothing was imported.")
    assert "Line 3: 'E05999999' is not the GSS code of any ward here." in message
    assert "Line 4: the population 'lots' is not a whole number above 0" in message
    assert "the year '21' is not a year such as 2021" in message
    assert "Line 5: E05800001 in 2021 is on line 2 already." in message
    assert WardPopulation.objects.count() == 0


def test_a_population_file_without_the_columns_is_refused(town):
    from fundmgr.errors import InvalidInput

    with pytest.raises(
        InvalidInput, match=r"it names gss_code, people \(missing: population, year\)"
    ):
        ward_population_import(data="gss_code,people\nE05800001,8412\n")


def test_import_ward_population_command_reports_a_refusal_and_imports_nothing(town, tmp_path):
    bad = tmp_path / "wards.csv"
    bad.write_text("gss_code,population,year\nE05800001,8412,2021\nE05800002,-5,2021\n")
    with pytest.raises(CommandError, match="Line 3: the population '-5'"):
        run("import_ward_population", str(bad))
    assert WardPopulation.objects.count() == 0
    good = tmp_path / "good.csv"
    good.write_text("gss_code,population,year\nE05800001,8412,2021\n")
    assert "1 added" in run("import_ward_population", str(good))


def test_a_file_that_is_not_utf8_is_refused_in_words(town):
    from fundmgr.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not UTF-8"):
        ward_population_import(
            data="gss_code,population,year\nE05800001,8412,2021\n£".encode("cp1252")
        )


def test_a_360giving_prefix_not_of_the_registered_form_is_warned_of(town):
    from transparency.checks import grants_prefix

    assert grants_prefix(None, databases=["default"]) == []
    town.council.threesixty_prefix = "thornburyvale"
    town.council.save()
    (warning,) = grants_prefix(None, databases=["default"])
    assert "starting '360G-', ending '-'" in warning.msg
    assert warning.msg.startswith("Testshire District Council's 360Giving prefix")


def test_two_councils_sharing_a_360giving_prefix_are_warned_of(town):
    from tests.factories import CouncilFactory
    from transparency.checks import grants_prefix

    CouncilFactory(name="Other", gss_code="E07000997", threesixty_prefix="360G-other-")
    assert grants_prefix(None, databases=["default"]) == []
    CouncilFactory(name="Copycat", gss_code="E07000996", threesixty_prefix="360G-thornburyvale-")
    (warning,) = grants_prefix(None, databases=["default"])
    assert warning.id == "transparency.W002"
    assert "Testshire District Council and Copycat share" in warning.msg
