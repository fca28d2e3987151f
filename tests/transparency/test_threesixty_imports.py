"""Past grants from a 360Giving file (issue 19): `manage.py import_360giving` and `run_import`,
from JSON, CSV and XLSX made with the standard's column titles, untidy files, another funder's
grants, dry runs, refusals, a second import of the same file, and a real published file that
imports, shows on /grants/ and is exported again valid with its own identifiers."""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from applications.models import Application, Organisation, next_reference
from budgets.integrity import ledger_violations
from fundmgr import councils
from fundmgr.imports import run_import
from fundmgr.models import Council
from tests.factories import FundYearFactory, UserFactory, WardFactory
from transparency import money_summaries, schema, summaries, threesixty
from transparency.models import ImportedGrant, StateCount
from transparency.published import published
from transparency.threesixty_imports import ThreeSixtyGivingImporter

pytestmark = pytest.mark.django_db
REAL = Path(__file__).resolve().parent.parent / "data" / "360giving"
OCF = REAL / "oxfordshire-community-foundation-2013.json"
FUNDER = "GB-LAE-TST"


@pytest.fixture
def council(db):
    fund_year = FundYearFactory()
    council = Council.objects.get(pk=fund_year.council_id)
    council.org_id, council.threesixty_prefix = FUNDER, "360G-testshire-"
    council.save()
    WardFactory(name="Abbey Meadow", gss_code="E05000101", council=council)
    return council


def grant(n: int, **changes) -> dict:
    record = {
        "id": f"360G-testshire-OLD-{n:03d}",
        "title": f"Benches {n}",
        "description": "Three benches for the park.",
        "currency": "GBP",
        "amountAwarded": 250 + n,
        "awardDate": "2019-06-14",
        "recipientOrganization": [{"id": "GB-CHC-1123456", "name": "Friends of Abbey Park"}],
        "fundingOrganization": [{"id": FUNDER, "name": "Testshire District Council"}],
        "grantProgramme": [{"code": "CCIF", "title": "Councillors' Community Initiative Fund"}],
        "beneficiaryLocation": [{"geoCode": "E05000101", "geoCodeType": "WD"}],
    }
    record.update(changes)
    return record


def package(*grants) -> bytes:
    return json.dumps({"grants": list(grants)}).encode()


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(tmp_path, name, data, *args) -> str:
    out = io.StringIO()
    call_command("import_360giving", write(tmp_path, name, data), *args, stdout=out)
    return out.getvalue()


def refused(tmp_path, name, data, *args) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_360giving", write(tmp_path, name, data), *args, stdout=out)
    return out.getvalue()


def visible(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return html.unescape(re.sub(r"\s+", " ", text))


def imported() -> list[Application]:
    return list(Application.objects.filter(imported_grant__isnull=False).order_by("reference"))


def test_a_json_package_imports_as_closed_grants_in_the_register_without_ledger_postings(
    council, tmp_path, client
):
    out = run(tmp_path, "grants.json", package(grant(1), grant(2, awardDate="2020-01-10")))

    # two grants, their organisation, and the fund's 2019/20 year made for past grants
    assert "Imported grants.json: 4 created" in out
    assert "Row 1, column award_date ('2019-06-14'): created Fund year CCIF 2019/20" in out
    apps = imported()
    assert [a.status for a in apps] == ["closed", "closed"]
    assert [a.amount_awarded for a in apps] == [Decimal("251.00"), Decimal("252.00")]
    assert {a.fund_year.year.label for a in apps} == {"2019/20"}
    assert [a.reference for a in apps] == ["CCIF19-000001", "CCIF19-000002"]
    assert next_reference(apps[0].fund_year) == "CCIF19-000003"  # the counter moved past them
    assert [w.gss_code for w in apps[0].wards.all()] == ["E05000101"]
    group = Organisation.objects.get()
    assert (group.name, group.charity_number, group.kind) == (
        "Friends of Abbey Park",
        "1123456",
        "charity",
    )
    assert set(published()) == set(apps)
    assert ledger_violations() == []
    assert summaries.differences() == []
    assert money_summaries.differences() == []
    kept = StateCount.objects.filter(status="closed").aggregate(n=Sum("n"), pence=Sum("awarded"))
    assert kept == {"n": 2, "pence": 50300}
    profile = client.get("/grants/wards/E05000101/")  # the ward's profile: its history
    assert profile.status_code == 200
    assert "Friends of Abbey Park" in profile.content.decode()
    register = client.get("/grants/").content.decode()
    assert "Benches 1" in register and "Benches 2" in register
    assert register.count("imported from a 360Giving file") == 2
    client.force_login(UserFactory(roles=["Grants officer"]))  # the dashboards: their year
    pipeline = client.get("/dashboards/pipeline/", {"year": apps[0].fund_year.year_id})
    assert re.search(r"Closed\s*2\s*£0\.00\s*£503\.00", visible(pipeline))


def test_the_export_writes_an_imported_grant_back_as_it_came(council, tmp_path):
    place = {"geoCode": "E01011681", "geoCodeType": "LSOA", "countryCode": "GB"}
    original = grant(
        1,
        amountDisbursed=200,
        beneficiaryLocation=[{"geoCode": "E05000101", "geoCodeType": "WD"}, place],
    )
    original["id"] = "360G-oldsystem-77"
    run(tmp_path, "grants.json", package(original))

    with councils.acting_for(council):
        record = next(threesixty.records())
        check = schema.PackageCheck()
        check.grant(record)
        check.metadata(threesixty.package_metadata(None))
    assert check.finish() == []
    assert record["id"] == "360G-oldsystem-77"
    assert record["recipientOrganization"] == [
        {"id": "GB-CHC-1123456", "name": "Friends of Abbey Park"}
    ]
    assert (record["amountAwarded"], record["amountDisbursed"]) == (251, 200)
    assert record["awardDate"] == "2019-06-14"
    assert record["grantProgramme"] == original["grantProgramme"]
    assert record["beneficiaryLocation"] == [
        {"geoCode": "E05000101", "geoCodeType": "WD", "name": "Abbey Meadow", "countryCode": "GB"},
        place,
    ]
    assert record["fundingOrganization"][0]["id"] == FUNDER

    with councils.acting_for(council):
        sheet = list(threesixty.rows())
    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["Identifier"] == "360G-oldsystem-77"
    assert row["Beneficiary Location:0:Geographic Code"] == "E05000101"
    assert row["Beneficiary Location:1:Geographic Code"] == "E01011681"


def test_a_dry_run_writes_nothing_and_a_second_import_changes_nothing(council, tmp_path):
    data = package(grant(1), grant(2))
    out = run(tmp_path, "grants.json", data, "--dry-run")
    assert "This was a check only" in out
    assert imported() == [] and Organisation.objects.count() == 0

    run(tmp_path, "grants.json", data)
    again = run(tmp_path, "grants.json", data)
    assert "2 unchanged" in again and "created" not in again
    assert len(imported()) == 2 and Organisation.objects.count() == 1


def test_a_grant_changed_in_the_file_is_changed_here(council, tmp_path):
    run(tmp_path, "grants.json", package(grant(1)))
    out = run(tmp_path, "grants.json", package(grant(1, amountAwarded=300, title="Seats")))
    assert "1 changed" in out
    (app,) = imported()
    assert (app.title, app.amount_awarded) == ("Seats", Decimal("300.00"))
    assert summaries.differences() == []


def test_other_funders_grants_are_skipped_with_a_count_unless_named(council, tmp_path):
    theirs = {"fundingOrganization": [{"id": "GB-CHC-999999", "name": "A Trust"}]}
    data = package(grant(1), grant(2, **theirs), grant(3, **theirs))
    out = run(tmp_path, "grants.json", data)
    assert "2 skipped" in out and "Another funder's grant" in out
    assert len(imported()) == 1

    out = run(tmp_path, "theirs.json", data, "--as-funder", "GB-CHC-999999")
    assert "2 created" in out and "1 skipped" in out
    assert len(imported()) == 3


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"currency": ""}, "currency", "The currency is missing"),
        ({"currency": "USD"}, "currency", "Only grants in pounds"),
        ({"amountAwarded": None}, "amount_awarded", "The amount is missing"),
        ({"amountAwarded": "lots"}, "amount_awarded", "is not an amount of money"),
        ({"awardDate": ""}, "award_date", "The award date is missing"),
        ({"awardDate": "31/02/2019"}, "award_date", "is not a date"),
        ({"id": ""}, "identifier", "needs its 360Giving identifier"),
        ({"grantProgramme": [{"title": "Mar-13"}]}, "programme_title", "No fund of the council"),
    ],
)
def test_a_row_whose_meaning_is_unclear_is_refused_and_nothing_is_written(
    council, tmp_path, change, column, reason
):
    out = refused(tmp_path, "grants.json", package(grant(1), grant(2, **change)))
    line = next(line for line in out.splitlines() if "refused" in line and "Row 2" in line)
    assert f"Row 2, column {column}" in line and reason in line
    assert imported() == [] and Organisation.objects.count() == 0
    assert ImportedGrant.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"grants": [{"id": "360G-x", "title": "Bench', "is not JSON that can be read"),
        (b'{"grants": {"id": "360G-x"}}', "needs a list of grants"),
        (b"[1, 2, 3]", "needs a list of grants"),
        (b"\xff\xfe\x00garbage", "is not UTF-8"),
        (b"", "is empty"),
    ],
)
def test_a_broken_file_is_refused_whole_without_a_traceback(council, tmp_path, data, message):
    out = refused(tmp_path, "grants.json", data)
    assert message in out


def test_odd_values_in_json_are_read_or_refused_never_a_traceback(council, tmp_path):
    odd = grant(
        2,
        title=12345,
        description=None,
        amountAwarded="£1,250.50",
        recipientOrganization="GB-CHC-1",
        beneficiaryLocation={"geoCode": 5},
        fromOpenCall="Y",
    )
    out = refused(tmp_path, "grants.json", package(grant(1), "a grant", 7, odd))
    assert "Row 2 (a grant): refused" in out and "Row 3 (7): refused" in out
    assert "Row 4, column recipient_id: refused" in out

    odd["recipientOrganization"] = [{"id": "GB-COH-1234567", "name": "Park CIC"}]
    out = run(tmp_path, "grants.json", package(odd))
    assert "column amount_awarded ('£1,250.50'): warning" in out
    assert "column open_call ('Y'): warning" in out and "Read as Yes" in out
    assert "column description: warning" in out
    (app,) = imported()
    assert (app.title, app.amount_awarded) == ("12345", Decimal("1250.50"))
    assert app.organisation.company_number == "01234567"


def spreadsheet_rows(*records) -> list[list]:
    """Grants as the 360Giving spreadsheet template holds them: the export's own titles."""
    rows = [threesixty.titles(1)]
    for record in records:
        record = {
            "amountDisbursed": record["amountAwarded"],
            "dateModified": "2019-07-01T10:00:00+01:00",
            **record,
        }
        rows.append(threesixty.flat(record, 1))
    return rows


def test_a_csv_in_the_template_with_the_mistakes_people_make_imports_with_warnings(
    council, tmp_path
):
    rows = spreadsheet_rows(grant(1), grant(2, description="", awardDate="27/09/2019"))
    rows[0] = [f" {title.upper()} " for title in rows[0]] + ["Notes"]  # spaces, case, extra
    rows[1] += ["kept by Jo"]
    rows[2] += [""]
    at = rows[0].index(" AMOUNT AWARDED ")
    rows[2][at] = "£1,252.00"
    at = rows[0].index(" FROM AN OPEN CALL? ")
    rows[1][at] = "N"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = text.getvalue().replace("Friends of Abbey Park", "Friends of Abbey Café")
    out = run(tmp_path, "grants.csv", data.encode("cp1252"))

    assert "read as Windows-1252" in out
    assert "These columns are not used" in out and "Notes" in out
    assert "Row 3, column award_date ('27/09/2019'): warning" in out
    assert "Row 3, column amount_awarded ('£1,252.00'): warning" in out
    assert "Row 2, column open_call ('N'): warning" in out
    assert "Row 3, column description: warning" in out
    apps = imported()
    assert [a.amount_awarded for a in apps] == [Decimal("251.00"), Decimal("1252.00")]
    assert apps[1].awarded_at.date().isoformat() == "2019-09-27"
    assert Organisation.objects.get().name == "Friends of Abbey Café"
    again = run(tmp_path, "grants.csv", data.encode("cp1252"))
    assert again.splitlines()[-1] == "Imported grants.csv: 2 unchanged, 6 with a warning."
    assert len(imported()) == 2


def test_an_xlsx_in_the_template_imports(council, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    rows = spreadsheet_rows(grant(1), grant(2, awardDate="2019-07-01"))
    for row in rows:
        sheet.append(row)
    at = rows[0].index("Award Date") + 1
    sheet.cell(2, at).value = datetime.datetime(2019, 6, 14)  # a date cell, not text
    funder = rows[0].index("Funding Org:Identifier") + 1
    sheet.merge_cells(start_row=2, start_column=funder, end_row=3, end_column=funder)
    data = io.BytesIO()
    book.save(data)
    out = run(tmp_path, "grants.xlsx", data.getvalue())
    assert "4 created" in out and "Merged cells were read" in out
    assert "award_date ('2019-06-14'): warning" not in out  # a date cell is a date
    apps = imported()
    assert [a.amount_awarded for a in apps] == [Decimal("251.00"), Decimal("252.00")]
    assert [a.awarded_at.date().isoformat() for a in apps] == ["2019-06-14", "2019-07-01"]


def test_run_import_from_the_page_keeps_the_run(council):
    report = run_import(
        ThreeSixtyGivingImporter,
        package(grant(1)),
        "grants.json",
        council=council,
        by=None,
        dry_run=True,
    )
    assert not report.refused and report.counts()["create"] == 3
    assert report.run is not None and report.run.dry_run
    assert imported() == []


def test_a_real_published_file_imports_shows_on_the_register_and_exports_valid(
    council, tmp_path, client
):
    source = json.loads(OCF.read_text(encoding="utf-8"))["grants"]
    out = run(
        tmp_path,
        OCF.name,
        OCF.read_bytes(),
        "--as-funder",
        "GB-CHC-1151621",
        "--fund",
        "CCIF",
    )
    assert f"{len(source)} created" not in out  # organisations are created too
    apps = imported()
    assert len(apps) == len(source) == 24
    assert ledger_violations() == []
    assert summaries.differences() == []

    page = client.get("/grants/?page=1")
    assert page.status_code == 200
    text = page.content.decode()
    assert source[0]["title"] in text

    exported = tmp_path / "out.json"
    call_command("export_360giving", "--out", str(exported), "--validate")
    again = json.loads(exported.read_text(encoding="utf-8"))
    assert schema.errors(again) == []
    by_id = {g["id"]: g for g in again["grants"]}
    assert set(by_id) == {g["id"] for g in source}
    for original in source:
        copy = by_id[original["id"]]
        assert Decimal(str(copy["amountAwarded"])) == Decimal(str(original["amountAwarded"]))
        assert copy["recipientOrganization"][0]["id"] == original["recipientOrganization"][0]["id"]
        assert copy["grantProgramme"][0]["title"] == original["grantProgramme"][0]["title"]
        day, month, year = original["awardDate"].split("/")
        assert copy["awardDate"] == f"{year}-{month}-{day}"


def test_the_pages_sample_is_the_360giving_template_and_imports(council):
    sample = ThreeSixtyGivingImporter.sample_csv()
    headings = sample.decode("utf-8-sig").splitlines()[0].split(",")
    assert headings[:3] == ["Identifier", "Title", "Description"]
    assert "Beneficiary Location:0:Geographic Code" in headings
    report = run_import(
        ThreeSixtyGivingImporter,
        sample,
        "sample.csv",
        council=council,
        dry_run=True,
        options={"as_funder": "GB-LAE-TVC"},
    )
    assert not report.refused, report.lines()
    assert report.counts()["create"] == 3  # the grant, its group, the fund's 2019/20 year


def test_the_administrators_page_checks_then_imports_a_real_file(council, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fundmgr.models import ImportRun

    client.force_login(UserFactory(roles=["Administrator"]))
    page = client.get("/officer/imports/")
    assert "Past grants (360Giving)" in page.content.decode()
    upload = SimpleUploadedFile(OCF.name, OCF.read_bytes(), content_type="application/json")
    form = {
        "kind": "360giving",
        "file": upload,
        "check_only": "on",
        "360giving__as_funder": "GB-CHC-1151621",
        "360giving__fund": "CCIF",
    }
    checked = client.post("/officer/imports/", form)
    assert checked.status_code == 302
    report = client.get(checked["Location"]).content.decode()
    assert "360G-ocf-a06G000000OoOhx" in report and "Import these rows" in report
    assert imported() == []

    check = ImportRun.objects.get()
    done = client.post(f"/officer/imports/{check.pk}/")
    assert done.status_code == 302
    assert len(imported()) == 24
    assert ledger_violations() == []
