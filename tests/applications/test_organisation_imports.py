"""Groups imported from a council's own list or the Charity Commission's register extract
(applications/organisation_imports.py), through `manage.py import_organisations` and run_import."""

from __future__ import annotations

import datetime
import html
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import KnownOrganisation, Organisation
from applications.organisation_imports import OrganisationsImporter, postcode_wards
from applications.visibility import organisations_here
from budgets.models import Ward
from fundmgr import councils
from fundmgr.imports import importers, run_import
from fundmgr.models import ImportRun
from tests.councils_fixtures import two_councils
from tests.factories import CouncilFactory, OrganisationFactory, UserFactory, WardFactory

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "imports" / "organisations.csv"

# The Charity Commission's register extract (publicextract.charity.txt) as it comes: its own
# headings, tab-separated, numbers as whole numbers (a company's leading zero dropped), a CIO, a
# charity removed from the register and a linked charity listed under its main charity.
REGISTER_HEADINGS = (
    "date_of_extract\torganisation_number\tregistered_charity_number\tlinked_charity_number\t"
    "charity_name\tcharity_type\tcharity_registration_status\tdate_of_registration\t"
    "date_of_removal\tcharity_reporting_status\tlatest_acc_fin_period_start_date\t"
    "latest_acc_fin_period_end_date\tlatest_income\tlatest_expenditure\t"
    "charity_contact_address1\tcharity_contact_address2\tcharity_contact_address3\t"
    "charity_contact_address4\tcharity_contact_address5\tcharity_contact_postcode\t"
    "charity_contact_phone\tcharity_contact_email\tcharity_contact_web\t"
    "charity_company_registration_number\tcharity_insolvent\tcharity_in_administration\t"
    "charity_previously_excepted\tcharity_is_cdf_or_cif\tcharity_is_cio\tcio_is_dissolved\t"
    "date_cio_dissolution_notice\tcharity_activities\tcharity_gift_aid\tcharity_has_land"
)
EXTRACT_DAY = "2026-11-30 00:00:00.0000000"


def register_row(number, linked, name, kind, status, removed, lines, postcode, company, cio):
    cells = [EXTRACT_DAY, f"50{number}", number, linked, name, kind, status]
    cells += ["2015-03-02 00:00:00.0000000", removed, "Submission Received", "", "", "125000"]
    cells += ["118000", *lines, *[""] * (5 - len(lines)), postcode, "01632 960555"]
    cells += ["", "", company, "False", "False", "", "", cio, "False", "", "Runs a club"]
    cells += ["True", "False"]
    return "\t".join(cells)


REGISTER = "\r\n".join(
    [
        REGISTER_HEADINGS,
        register_row(
            "1190123", "0", "ABBEY PARK TRUST", "CIO", "Registered", "",
            ["The Lodge", "Abbey Park", "Thornbury"], "tv12ab", "", "True",
        ),
        register_row(
            "1100001", "0", "BROOKFIELD COMMUNITY CENTRE LIMITED", "Charitable company",
            "Registered", "", ["12 Mill Street", "Thornbury"], "TV1 3DE", "4567890", "False",
        ),
        register_row(
            "1000050", "0", "CASTLE HILL RELIEF IN NEED", "Trust", "Removed",
            "2019-06-30 00:00:00.0000000", ["Castle Road"], "TV3 4EF", "", "False",
        ),
        register_row(
            "1100001", "1", "BROOKFIELD CENTRE BUILDING FUND", "", "Registered", "",
            [], "", "", "False",
        ),
    ]
).encode()  # fmt: skip


@pytest.fixture
def council(db):
    council = CouncilFactory(name="Thornbury Vale Council")
    for code, name in (("E05900001", "Abbey Meadow"), ("E05900002", "Brookfield")):
        WardFactory(council=council, gss_code=code, name=name)
    WardFactory(council=council, gss_code="E05900003", name="Castle Hill")
    return council


def run(council, data: bytes, filename="groups.csv", *, dry_run=False, **options):
    return run_import(
        OrganisationsImporter,
        data,
        filename,
        council=council,
        by=None,
        dry_run=dry_run,
        options=options or None,
    )


def command(*args) -> str:
    out = io.StringIO()
    call_command("import_organisations", *args, stdout=out)
    return out.getvalue()


def csv_of(*rows: str, headings="name,type,charity_number,company_number,address,postcode,ward"):
    return ("\n".join([headings, *rows]) + "\n").encode()


def refusals(report):
    return [(o.row, o.column, o.value) for o in report.outcomes if o.action == "refuse"]


# --- the council's own list, through the command -----------------------------------------------


def test_the_sample_file_is_checked_then_imported_then_unchanged(council, tmp_path):
    out = command(str(SAMPLE), "--dry-run")
    assert "Row 2: would create Organisation Abbey Allotments Association (TV1 1AA)" in out
    assert "This was a check only" in out
    assert Organisation.objects.count() == 0 and KnownOrganisation.objects.count() == 0

    report_path = tmp_path / "report.csv"
    out = command(str(SAMPLE), "--report", str(report_path))
    assert "Imported organisations.csv: 4 created." in out
    assert "2,create,,,In ward Abbey Meadow.," in report_path.read_bytes().decode("utf-8-sig")
    groups = {o.name: o for o in Organisation.objects.select_related("ward")}
    cafe = groups["Brookfield Community Café CIC"]
    assert (cafe.kind, cafe.company_number, cafe.postcode, cafe.ward.name) == (
        "cic",
        "09876543",  # the leading zero a spreadsheet drops is put back
        "TV12 3DE",
        "Brookfield",
    )
    park = groups["Friends of Abbey Park"]
    assert (park.charity_number, park.address, park.ward.gss_code) == (
        "1190123",
        "The Lodge\nAbbey Park",
        "E05900001",
    )
    assert groups["Castle Hill Youth Football Club"].ward.name == "Castle Hill"
    assert groups["Castle Hill Youth Football Club"].email == ""
    with councils.acting_for(council):
        assert set(organisations_here()) == set(groups.values())

    again = command(str(SAMPLE))
    assert "Imported organisations.csv: 4 unchanged." in again
    assert Organisation.objects.count() == 4 and KnownOrganisation.objects.count() == 4


def test_a_refused_row_names_row_column_value_and_reason_and_nothing_is_written(council, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_bytes(
        csv_of(
            "Abbey Allotments,Constituted group,,,Allotment Lane,TV1 1AA,Abbey Meadow",
            "Brook Trust,Registered charity,12345678,,1 Mill St,TV1 3DE,Brookfield",
            "Castle Club,Constituted group,,,Castle Road,QW1 1AA,Castle Hill",
        )
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 refused") as error:
        call_command("import_organisations", str(path), stdout=out)
    assert error.value.returncode == 1
    said = out.getvalue()
    assert (
        "Row 3, column charity_number ('12345678'): refused Brook Trust: A charity number is 6 "
        "or 7 digits in England and Wales" in said
    )
    assert "Row 4, column postcode ('QW1 1AA'): refused Castle Club: This is not a UK postcode" in (
        said
    )
    assert Organisation.objects.count() == 0 and KnownOrganisation.objects.count() == 0


# --- the Charity Commission's register extract ---------------------------------------------------


def test_the_register_extract_is_read_as_it_comes(council, tmp_path):
    path = tmp_path / "publicextract.charity.txt"
    path.write_bytes(REGISTER)
    out = command(str(path))
    assert (
        "Row 4, column registration_status ('Removed'): skipped Organisation CASTLE HILL RELIEF "
        "IN NEED: Removed from the register of charities on 2019-06-30: not imported." in out
    )
    assert "Row 5, column linked_charity_number ('1'): skipped" in out
    assert "2 created, 2 skipped" in out
    trust = Organisation.objects.get(charity_number="1190123")
    assert (trust.name, trust.kind, trust.postcode, trust.ward) == (
        "ABBEY PARK TRUST",
        "cio",
        "TV1 2AB",
        None,  # the register names no ward, and no postcode file was given
    )
    assert trust.address == "The Lodge\nAbbey Park\nThornbury"
    centre = Organisation.objects.get(charity_number="1100001")
    assert (centre.kind, centre.company_number) == ("charity", "04567890")
    again = command(str(path))
    assert again.endswith(
        "Imported publicextract.charity.txt: 2 unchanged, 2 skipped, 1 with a warning.\n"
    )


# --- numbers and postcodes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("1190123", "1190123"),
        ("202918", "202918"),  # an older England and Wales number: 6 digits
        ("1190123-1", "1190123-1"),  # a linked charity
        ("sc 012345", "SC012345"),  # Scotland (OSCR)
        ("NIC100012", "NIC100012"),  # Northern Ireland (CCNI)
        ("100012", "100012"),  # CCNI's number as it writes it; no E&W number starts 1 in 6
        ("GB-CHC-1190123", "1190123"),  # org-ids, as a 360Giving file gives them
        ("GB-SC-SC012345", "SC012345"),
        ("GB-NIC-100012", "NIC100012"),
    ],
)
def test_charity_numbers_of_each_register_are_accepted(council, typed, kept):
    report = run(council, csv_of(f"Trust,,{typed},,1 Mill St,TV1 3DE,"))
    assert not report.refused
    assert Organisation.objects.get().charity_number == kept
    assert Organisation.objects.get().kind == "charity"  # no type given: a charity number says


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "12345678",
        "0123456",
        "ABC1234",
        "SC12345",
        "NIC12345",
        "1190123/1",
        "GB-COH-1234567",
    ],
)
def test_a_charity_number_of_no_register_is_refused(council, typed):
    report = run(council, csv_of(f"Trust,charity,{typed},,1 Mill St,TV1 3DE,"))
    assert refusals(report) == [(2, "charity_number", typed)]
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("1234567", "01234567"), ("123456", "00123456"), ("sc12345", "SC012345"),
     ("OC301234", "OC301234"), ("01234567", "01234567"), ("GB-COH-1234567", "01234567")],
)  # fmt: skip
def test_company_numbers_get_back_their_leading_zeros(council, typed, kept):
    report = run(council, csv_of(f"Cafe CIC,CIC,,{typed},1 Mill St,TV1 3DE,"))
    assert not report.refused
    assert Organisation.objects.get().company_number == kept


@pytest.mark.parametrize("typed", ["12", "123456789", "ABC12345", "S1234567"])
def test_a_company_number_that_is_not_one_is_refused(council, typed):
    report = run(council, csv_of(f"Cafe CIC,CIC,,{typed},1 Mill St,TV1 3DE,"))
    assert refusals(report) == [(2, "company_number", typed)]


def test_a_cic_without_its_company_number_is_refused(council):
    report = run(council, csv_of("Cafe CIC,community interest company,,,1 Mill St,TV1 3DE,"))
    assert refusals(report) == [(2, "company_number", "")]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("  ec1a 1bb ", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr26xh", "CR2 6XH"),
        ("DN551PT", "DN55 1PT"),
        ("bt15gs", "BT1 5GS"),  # Northern Ireland
        ("gir0aa", "GIR 0AA"),  # Girobank's: a real postcode of its own form
    ],
)
def test_postcodes_are_written_as_royal_mail_writes_them(council, typed, kept):
    report = run(council, csv_of(f"Club,constituted group,,,1 Mill St,{typed},"))
    assert not report.refused
    assert Organisation.objects.get().postcode == kept


@pytest.mark.parametrize("typed", ["SW1A 1A", "QW1 1AA", "12345", "TV1-3XY", "BFPO 123"])
def test_a_postcode_that_is_not_one_is_refused(council, typed):
    report = run(council, csv_of(f"Club,constituted group,,,1 Mill St,{typed},"))
    assert refusals(report) == [(2, "postcode", typed)]
    if typed.startswith("BFPO"):
        assert "forces' mail address" in report.outcomes[0].reason


def test_a_row_without_type_name_or_address_is_refused_naming_each(council):
    report = run(council, csv_of(",,,,,TV1 1AA,", "Club,choir,,,1 Mill St,TV1 1AA,"))
    assert refusals(report) == [
        (2, "name", ""),
        (2, "address", ""),
        (2, "type", ""),
        (3, "type", "choir"),
    ]


# --- wards -------------------------------------------------------------------------------------

# The ONS Postcode Directory's layout (pcd, pcd2, pcds first; the ward in osward), cut down.
ONSPD = (
    '"pcd","pcd2","pcds","dointr","doterm","oscty","ced","oslaua","osward","parish"\n'
    '"TV1 1AA","TV1  1AA","TV1 1AA","201001","","E99999999","","E07000998","E05900002",""\n'
    '"TV1 2AB","TV1  2AB","TV1 2AB","201001","","E99999999","","E07000998","E05900001",""\n'
    '"TV9 9ZZ","TV9  9ZZ","TV9 9ZZ","201001","","E99999999","","E07000999","E05999999",""\n'
)


def test_the_ward_comes_from_the_postcode_file_when_one_is_given(council, tmp_path):
    lookup = tmp_path / "ONSPD_NOV_2026_UK.csv"
    lookup.write_text(ONSPD)
    file = tmp_path / "groups.csv"
    file.write_bytes(
        csv_of(
            "Club,constituted group,,,1 Mill St,tv11aa,Castle Hill",  # the file wins: Brookfield
            "Park,constituted group,,,The Lodge,TV1 2AB,",
            "Far,constituted group,,,The Farm,TV9 9ZZ,",  # another council's ward
            "New,constituted group,,,New Road,TV8 8AA,",  # not in the file
        )
    )
    out = command(str(file), "--postcode-wards", str(lookup))
    wards = dict(Organisation.objects.values_list("name", "ward__name"))
    assert wards == {"Club": "Brookfield", "Park": "Abbey Meadow", "Far": None, "New": None}
    assert (
        "Row 4, column postcode ('TV9 9ZZ'): warning: The postcode file puts TV9 9ZZ in ward "
        "E05999999, which is not one of Thornbury Vale Council's: no ward set." in out
    )
    assert "TV8 8AA is not in the postcode file: no ward set." in out


def test_the_postcode_lookup_reads_the_statistics_lookups_columns_too():
    nspl = b"pcd,pcd2,pcds,dointr,wd24cd,lad24cd\nTV1 1AA,TV1  1AA,TV1 1AA,201001,E05900002,X\n"
    assert postcode_wards(io.BytesIO(nspl), {"TV11AA", "TV12AB"}) == {"TV11AA": "E05900002"}


def test_a_ward_ended_by_a_boundary_review_gives_way_to_the_one_that_took_its_place(council):
    meadow = Ward.objects.get(name="Abbey Meadow")
    WardFactory(
        council=council,
        gss_code="E05800009",
        name="Abbey",
        ended_on=datetime.date(2023, 5, 4),
        replaced_by=meadow,
    )
    report = run(council, csv_of("Club,constituted group,,,1 Mill St,TV1 1AA,abbey"))
    assert Organisation.objects.get().ward == meadow
    [warned, _] = report.outcomes
    assert warned.reason == (
        "Abbey (E05800009) was ended by a boundary review on 2023-05-04: the group is put in "
        "Abbey Meadow (E05900001), which took its place."
    )


def test_a_ward_by_name_or_code_in_any_case_and_an_unknown_one_warned(council):
    report = run(
        council,
        csv_of(
            "One,constituted group,,,1 Mill St,TV1 1AA,abbey  meadow",
            "Two,constituted group,,,2 Mill St,TV1 1AA,e05900002",
            "Three,constituted group,,,3 Mill St,TV1 1AA,Nowhere",
        ),
    )
    assert not report.refused
    wards = dict(Organisation.objects.values_list("name", "ward__name"))
    assert wards == {"One": "Abbey Meadow", "Two": "Brookfield", "Three": None}
    assert [(o.row, o.action, o.column) for o in report.outcomes if o.action == "warn"] == [
        (4, "warn", "ward")
    ]


# --- files as people make them -----------------------------------------------------------------


def test_windows_1252_names_and_a_bom_and_stray_spaces(council):
    cp1252 = csv_of("Caf\xe9 Cr\xe8me Club ,constituted group,,,1 Mill St, tv1 1aa ,").decode()
    report = run(council, cp1252.encode("cp1252"))
    assert not report.refused and report.outcomes[0].reason.startswith("The file is not UTF-8")
    assert Organisation.objects.get().name == "Café Crème Club"
    bom = "\ufeff" + csv_of("Élan Dance,constituted group,,,2 Mill St,TV1 1AA,").decode()
    report = run(council, bom.encode())
    assert not report.refused
    assert Organisation.objects.filter(name="Élan Dance").exists()


def test_an_xlsx_workbook(council):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Organisation name", "Type", "Company number", "Address", "Post code"])
    sheet.append(["Cafe CIC", "CIC", 9876543, "1 Mill St", "tv1 3de"])  # a number, as Excel keeps
    data = io.BytesIO()
    book.save(data)
    report = run(council, data.getvalue(), "groups.xlsx")
    assert not report.refused
    assert Organisation.objects.get().company_number == "09876543"


def test_a_group_twice_in_the_file_is_skipped_or_refused(council):
    same = "Club,constituted group,,,1 Mill St,TV1 1AA,"
    report = run(council, csv_of(same, same.replace("Club", "CLUB")))
    assert [o.action for o in report.outcomes] == ["create", "skip"]
    report = run(
        council, csv_of(same, "Club,constituted group,,,9 Other St,TV1 1AA,"), dry_run=True
    )
    assert refusals(report) == [(3, "name", "club")]


def test_a_dry_run_writes_nothing(council):
    report = run(council, SAMPLE.read_bytes(), dry_run=True)
    assert report.counts()["create"] == 4
    assert Organisation.objects.count() == 0 and KnownOrganisation.objects.count() == 0


# --- groups already on the service --------------------------------------------------------------


@pytest.mark.django_db
def test_a_group_of_another_council_is_matched_not_duplicated_and_seen_here():
    made = two_councils()
    group = made["a"].app.organisation  # has members, its ward is council a's
    group.charity_number = "1190123"
    group.save()
    b = made["b"].council
    with councils.acting_for(b):
        assert group not in organisations_here()
    row = f"Friends Renamed,charity,1190123,,{group.address.splitlines()[0]},TV1 2AB,Ward b"
    report = run(b, csv_of(row))
    [warned, changed] = report.outcomes
    assert (warned.action, warned.column) == ("warn", "name")
    assert "members keep its details" in warned.reason
    assert changed.action == "change"
    assert "put on Council b's list of groups" in changed.reason
    group.refresh_from_db()
    assert group.name == "Friends of a" and group.ward.council == made["a"].council
    assert Organisation.objects.count() == 2
    with councils.acting_for(b):
        assert group in organisations_here()
    with councils.acting_for(made["a"].council):
        assert KnownOrganisation.objects.count() == 0  # a's officers saw it already
    assert [o.action for o in run(b, csv_of(row)).outcomes] == ["warn", "unchanged"]


def test_an_imported_group_nobody_keeps_yet_takes_the_files_changes(council):
    run(council, csv_of("Cafe CIC,CIC,,1234567,1 Mill St,TV1 3DE,"))
    report = run(council, csv_of("The Cafe CIC,CIC,,01234567,2 Mill Street,TV1 3DE,Brookfield"))
    [changed] = report.outcomes
    assert changed.action == "change"
    assert changed.reason == "Its name, address, ward as the file has them."
    cafe = Organisation.objects.get()
    assert (cafe.name, cafe.address, cafe.ward.name) == (
        "The Cafe CIC",
        "2 Mill Street",
        "Brookfield",
    )


def test_a_group_is_matched_by_name_and_postcode_without_numbers(council):
    kept = OrganisationFactory(
        name="Abbey Choir", postcode="TV1 1AA", ward__council=council, members=[UserFactory()]
    )
    # The same address, its lines not broken as the group's own are.
    row = "ABBEY  CHOIR,constituted group,,,1 Park Lane Thornbury Vale,tv11aa,"
    report = run(council, csv_of(row))
    assert [o.action for o in report.outcomes] == ["unchanged"]
    assert Organisation.objects.get() == kept


def test_the_page_lists_the_import_and_its_sample_file_imports_cleanly(council):
    assert importers()["organisations"] is OrganisationsImporter
    report = run(council, OrganisationsImporter.sample_csv())
    assert [(o.action, o.reason) for o in report.outcomes] == [("create", "In ward Abbey Meadow.")]
    assert Organisation.objects.get().address == "Allotment Lane\nThornbury"


def visible(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return html.unescape(re.sub(r"\s+", " ", text))


def test_the_register_extract_through_the_administrators_page(client, council):
    client.force_login(UserFactory(roles=["Administrator"]))
    extract = SimpleUploadedFile("publicextract.charity.txt", REGISTER, content_type="text/plain")
    sent = client.post(
        "/officer/imports/", {"kind": "organisations", "file": extract, "check_only": "on"}
    )
    assert sent.status_code == 302, visible(sent)[:2000]
    text = visible(client.get(sent["Location"]))
    assert "Organisation ABBEY PARK TRUST (charity 1190123)" in text
    assert "Removed from the register of charities on 2019-06-30: not imported." in text
    assert Organisation.objects.count() == 0
    check = ImportRun.objects.get()
    done = client.post(f"/officer/imports/{check.pk}/")
    assert done.status_code == 302
    assert "Created 2" in visible(client.get(done["Location"]))
    assert set(Organisation.objects.values_list("charity_number", flat=True)) == {
        "1190123",
        "1100001",
    }


def test_an_email_or_phone_that_cannot_be_used_is_left_out_with_a_warning(council):
    report = run(
        council,
        csv_of(
            "Club,constituted group,,,1 Mill St,TV1 1AA,,club@@example,01632 960000 ext 12345",
            headings="name,type,charity_number,company_number,address,postcode,ward,email,phone",
        ),
    )
    assert [(o.action, o.column) for o in report.outcomes] == [
        ("warn", "email"),
        ("warn", "phone"),
        ("create", ""),
    ]
    club = Organisation.objects.get()
    assert (club.email, club.phone) == ("", "")


def test_the_queries_do_not_grow_with_the_rows(council):
    def queries(first: int, count: int) -> int:
        rows = [
            f"Club {n},constituted group,,{1000000 + n},Road {n},TV1 1AA,Brookfield"
            for n in range(first, first + count)
        ]
        with CaptureQueriesContext(connection) as seen:
            assert not run(council, csv_of(*rows)).refused
        return len(seen.captured_queries)

    assert queries(0, 3) == queries(100, 60)
    assert Organisation.objects.count() == 63
