"""`manage.py import_wards`: a council's wards from its own file or from the ONS Ward to Local
Authority District lookup, with the mistakes people make, and boundary reviews that keep each
ward's history (budgets/ward_imports.py)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from applications import services
from applications.models import Application
from budgets.models import Ward
from budgets.ward_imports import WardsImporter
from fundmgr import councils
from fundmgr.errors import InvalidInput
from fundmgr.imports import run_import
from fundmgr.models import ImportRun
from tests.councils_fixtures import two_councils
from tests.factories import CouncilFactory, WardFactory

pytestmark = pytest.mark.django_db

# The ONS lookup's layout as downloaded from the Open Geography Portal: a BOM, the year's
# column names, an ObjectId, and every district's wards (here ours, E07000101, and another's).
ONS_LOOKUP = (
    "\ufeffWD24CD,WD24NM,LAD24CD,LAD24NM,ObjectId\r\n"
    "E05000201,Abbey,E07000101,Council a,1\r\n"
    "E05000202,Brook Green,E07000101,Council a,2\r\n"
    "E05000301,Castle,E07000777,Elsewhere,3\r\n"
    "E05000302,Dale,E07000777,Elsewhere,4\r\n"
    "E05000303,Eastgate,E07000777,Elsewhere,5\r\n"
).encode()


@pytest.fixture
def council(db):
    return CouncilFactory(name="Council a", gss_code="E07000101", slug="council-a")


def run(tmp_path, content: bytes, *args, name="wards.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    call_command("import_wards", str(path), *args, stdout=out)
    return out.getvalue()


def refused(tmp_path, content: bytes, *args, name="wards.csv") -> str:
    out = io.StringIO()
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_wards", str(path), *args, stdout=out)
    return out.getvalue()


def wards() -> dict[str, str]:
    with councils.across_the_service():
        return dict(Ward.objects.values_list("gss_code", "name"))


def test_the_ons_lookup_gives_the_councils_own_wards_and_skips_other_districts(council, tmp_path):
    out = run(tmp_path, ONS_LOOKUP, "--council", "council-a")

    assert wards() == {"E05000201": "Abbey", "E05000202": "Brook Green"}
    assert "Row 2: created Ward Abbey (E05000201): A new ward." in out
    assert "3 row(s) are wards of other districts (not E07000101) and were skipped." in out
    assert "LAD24NM, ObjectId" in out  # the columns not used are named
    assert all(w.council_id == council.pk for w in Ward.objects.all())


def test_the_same_file_twice_changes_nothing_the_second_time(council, tmp_path):
    run(tmp_path, ONS_LOOKUP)
    out = run(tmp_path, ONS_LOOKUP)

    assert "Row 2: unchanged Ward Abbey (E05000201)" in out
    assert "2 unchanged" in out and "created" not in out
    assert wards() == {"E05000201": "Abbey", "E05000202": "Brook Green"}


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(council, tmp_path):
    out = run(tmp_path, ONS_LOOKUP, "--dry-run")

    assert "Row 3: would create Ward Brook Green (E05000202)" in out
    assert "This was a check only: nothing was imported." in out
    assert wards() == {}
    assert ImportRun.objects.get().dry_run is True


def test_stray_spaces_lower_case_codes_and_windows_1252_names_are_read_as_meant(council, tmp_path):
    content = (
        "Ward Code ; Ward Name \r\n"
        "  e05000201 ;  Ynys  Môn \r\n"
        "w05000202;Pen-y-bont ar Ogwr   \r\n"
        " ; \r\n"
        "S13002901; Ayr North\r\n"
        "n08000101;Ballymena South\r\n"
    ).encode("cp1252")

    out = run(tmp_path, content)

    assert wards() == {
        "E05000201": "Ynys Môn",
        "W05000202": "Pen-y-bont ar Ogwr",
        "S13002901": "Ayr North",
        "N08000101": "Ballymena South",
    }
    assert "read as Windows-1252" in out


def test_a_name_in_another_case_is_not_a_change(council, tmp_path):
    WardFactory(council=council, gss_code="E05000201", name="Abbey Meadow")

    out = run(tmp_path, b"gss_code,name\nE05000201,ABBEY MEADOW\n")

    assert "Row 2, column name ('ABBEY MEADOW'): unchanged Ward Abbey Meadow (E05000201)" in out
    assert "differs only in case from Abbey Meadow, which is kept" in out
    assert wards() == {"E05000201": "Abbey Meadow"}


def test_refused_rows_name_row_column_value_and_reason_and_nothing_is_written(council, tmp_path):
    other = CouncilFactory(name="Council b", gss_code="E07000102", slug="council-b")
    with councils.acting_for(other):
        WardFactory(council=other, gss_code="E05000999", name="Theirs")
    content = (
        b"gss_code,name\n"
        b"E05000201,Abbey\n"
        b"E0500201,Brook\n"  # a digit short
        b"E05000201,Abbey again\n"  # the code twice
        b"E05000203,abbey\n"  # the name twice
        b"E05000999,Theirs\n"  # another council's ward
        b"E05000204,\n"  # no name
        b"E06000001,Unitary\n"  # not a ward's code
    )

    out = refused(tmp_path, content, "--council", "council-a")

    assert "Row 3, column gss_code ('E0500201'): refused Ward Brook (E0500201): A ward's GSS" in out
    assert "Row 4, column gss_code ('E05000201'): refused" in out
    assert "The code is on row 2 already." in out
    assert "Row 5, column name ('abbey'): refused" in out
    assert "Row 6, column gss_code ('E05000999'): refused" in out
    assert "The code is a ward of Council b." in out
    assert "Row 7, column name: refused" in out
    assert "Row 8, column gss_code ('E06000001')" in out
    assert "Nothing was imported" in out
    assert wards() == {"E05000999": "Theirs"}
    run_ = ImportRun.objects.get()
    assert run_.refused and run_.counts["refuse"] == 6
    assert "E0500201" in run_.report  # the downloadable report has the rows too


def test_a_file_without_a_code_column_is_refused_naming_the_headings(council, tmp_path):
    out = refused(tmp_path, b"Ward,Population\nAbbey,1200\n")

    assert "The file has no column for gss_code" in out
    assert "'Ward', 'Population'" in out


def test_an_xlsx_with_merged_district_cells_reads_each_row(council, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["WD23CD", "WD23NM", "LAD23CD", "LAD23NM"])
    sheet.append(["E05000201", "Abbey", "E07000101", "Council a"])
    sheet.append(["E05000202", "Brook Green", None, None])
    sheet.append(["E05000301", "Castle", "E07000777", "Elsewhere"])
    sheet.merge_cells("C2:C3")
    sheet.merge_cells("D2:D3")
    data = io.BytesIO()
    book.save(data)

    out = run(tmp_path, data.getvalue(), name="wards.xlsx")

    assert wards() == {"E05000201": "Abbey", "E05000202": "Brook Green"}
    assert "Merged cells were read as if each cell held the merged value." in out
    assert "1 row(s) are wards of other districts" in out


def test_the_current_validator_accepts_the_four_nations_ward_codes_and_no_others(council):
    from django.core.exceptions import ValidationError

    for code in ("E05012345", "W05000999", "S13002901", "N08000101"):
        Ward(council=council, name=code, gss_code=code).full_clean()
    for code in ("S05000001", "N05000001", "E06000001", "E0501234"):
        with pytest.raises(ValidationError):
            Ward(council=council, name=code, gss_code=code).full_clean()


# --- boundary reviews ---------------------------------------------------------------------------


@pytest.fixture
def made(db):
    return two_councils()


def import_for(council, content: bytes, *, dry_run=False, **options):
    return run_import(
        WardsImporter,
        content,
        "wards.csv",
        council=council,
        by=None,
        dry_run=dry_run,
        options=options,
    )


def test_a_renamed_ward_keeps_its_row_and_its_bids(made):
    a = made["a"]
    ward = a.app.wards.get()

    report = import_for(a.council, b"gss_code,name\nE05000101,Ward a North\n")

    assert [(o.action, o.record) for o in report.outcomes] == [
        ("change", "Ward Ward a North (E05000101)")
    ]
    assert "Renamed from Ward a" in report.outcomes[0].reason
    ward.refresh_from_db()
    assert ward.name == "Ward a North" and ward.ended_on is None
    assert list(Application.objects.get(pk=a.app.pk).wards.all()) == [ward]


def test_merged_wards_end_and_keep_history_and_new_bids_name_only_current_wards(made):
    a = made["a"]
    with councils.acting_for(a.council):
        old = a.app.wards.get()
        second = WardFactory(council=a.council, gss_code="E05000103", name="Ward a East")
        started = services.application_create(
            fund_year=a.app.fund_year, organisation=a.app.organisation, by=a.treasurer
        )
        services.application_update(application=started, by=a.treasurer, wards=[old])
    content = (
        b"GSS code,Ward name,Replaces\n"
        b'E05000110,Ward a,"E05000101, e05000103"\n'  # the new ward takes an old name
    )

    first = import_for(a.council, content, ended_on="6 May 2027")
    again = import_for(a.council, content, ended_on="6 May 2027")

    assert [o.action for o in first.outcomes] == ["create", "warn"]
    assert "ends Ward a (E05000101), Ward a East (E05000103)" in first.outcomes[0].reason
    # Ward a's councillor is still in office: told, and their term stays with the old ward.
    assert first.outcomes[1].reason.startswith("Cllr Sam Shaw a sits for Ward a after it ends")
    assert [o.action for o in again.outcomes] == ["unchanged"]
    with councils.acting_for(a.council):
        new = Ward.objects.get(gss_code="E05000110")
        old.refresh_from_db()
        second.refresh_from_db()
        assert (str(old.ended_on), old.replaced_by) == ("2027-05-06", new)
        assert second.replaced_by == new
        assert list(Ward.objects.current()) == [new]
        # The past bid still names its old ward...
        assert list(Application.objects.get(pk=a.app.pk).wards.all()) == [old]
        # ...a draft that named it may keep it, but no bid can newly name an ended ward.
        services.application_update(
            application=started, by=a.treasurer, wards=[old], title="Still the old ward"
        )
        with pytest.raises(InvalidInput, match="a boundary review ended it"):
            services.application_update(application=started, by=a.treasurer, wards=[second])
        services.application_update(application=started, by=a.treasurer, wards=[new])
        assert list(started.wards.all()) == [new]


def checkbox_labels(page: str) -> list[str]:
    return [
        " ".join(label.split())
        for label in re.findall(
            r'govuk-checkboxes__label" for="id_wards_\d+">(.*?)</label>', page, re.S
        )
    ]


def test_the_about_page_offers_current_wards_and_those_a_draft_named_before(made, client):
    a = made["a"]
    with councils.acting_for(a.council):
        before = services.application_create(  # takes the group's ward, Ward a
            fund_year=a.app.fund_year, organisation=a.app.organisation, by=a.treasurer
        )
    import_for(a.council, b"gss_code,name,replaces\nE05000110,Ward a Central,E05000101\n")
    with councils.acting_for(a.council):
        after = services.application_create(  # the group's ward has ended: none
            fund_year=a.app.fund_year, organisation=a.app.organisation, by=a.treasurer
        )
    client.force_login(a.treasurer)

    def offered(draft) -> list[str]:
        page = client.get(f"/council-a/apply/applications/{draft.pk}/about/")
        return checkbox_labels(page.content.decode())

    assert offered(after) == ["Ward a Central"]
    assert offered(before) == ["Ward a", "Ward a Central"]
    assert list(after.wards.all()) == []


def test_a_replaced_code_must_be_this_councils_and_not_a_ward_in_the_file(made):
    a = made["a"]
    content = (
        b"gss_code,name,replaces\n"
        b"E05000110,New one,E05000102\n"  # council b's ward
        b"E05000111,New two,E05000101\n"
        b"E05000101,Ward a,\n"  # ...which is also kept as a current ward
        b"E05000112,New three,E05000555\n"  # no such ward: only a warning
    )

    report = import_for(a.council, content)

    lines = report.lines()
    assert "Row 2, column replaces ('E05000102'): refused" in lines[0]
    assert "E05000102 is a ward of Council b." in lines[0]
    assert "E05000101 is a ward on row 4" in lines[1]
    assert [o.action for o in report.outcomes if o.row == 5] == ["warn", "create"]
    with councils.acting_for(a.council):
        assert Ward.objects.count() == 1


def test_every_amount_of_history_stays_on_the_ended_ward(made):
    """The allocation and the bid of an ended ward's councillor are untouched by the import."""
    a = made["a"]
    with councils.acting_for(a.council):
        old = a.app.wards.get()
        held = a.app.amount_requested
    import_for(a.council, b"gss_code,name,replaces\nE05000110,Ward a,E05000101\n")
    with councils.acting_for(a.council):
        app = Application.objects.get(pk=a.app.pk)
        assert app.amount_requested == held and held > Decimal("0")
        assert old.councillors.get().user == a.councillor


def test_the_import_page_checks_then_imports_the_ons_lookup(council, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import UserFactory

    with councils.acting_for(council):
        client.force_login(UserFactory(roles=["Administrator"]))
    offered = client.get("/officer/imports/").content.decode()
    assert "Wards" in offered and "WD24CD" in offered
    checked = client.post(
        "/officer/imports/",
        {
            "kind": "wards",
            "check_only": "on",
            "file": SimpleUploadedFile("Ward_to_LAD_(May_2024).csv", ONS_LOOKUP),
        },
        follow=True,
    )
    text = " ".join(checked.content.decode().split())
    assert "Ward Brook Green (E05000202)" in text and "wards of other districts" in text
    assert wards() == {}

    client.post(f"/officer/imports/{ImportRun.objects.get().pk}/")

    assert wards() == {"E05000201": "Abbey", "E05000202": "Brook Green"}


def test_a_groups_profile_offers_current_wards_and_keeps_its_own_ended_one(made, client):
    a = made["a"]
    with councils.acting_for(a.council):
        WardFactory(council=a.council, gss_code="E05000103", name="Ward a East")
    import_for(a.council, b"gss_code,name,replaces\nE05000110,Ward a Central,E05000101 E05000103\n")
    group = a.app.organisation
    client.force_login(a.treasurer)

    page = client.get(f"/council-a/apply/organisations/{group.pk}/edit/").content.decode()
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', page)

    assert [o.strip() for o in options] == ["Ward a", "Ward a Central"]
    with councils.acting_for(a.council):
        other = services.application_create(
            fund_year=a.app.fund_year, organisation=a.app.organisation, by=a.treasurer
        )
    assert list(other.wards.all()) == []  # a new bid does not take the group's ended ward


def test_a_district_column_needs_the_councils_own_code_and_a_bad_end_day_is_refused(tmp_path):
    CouncilFactory(name="Council z", gss_code="", slug="council-z")

    out = refused(tmp_path, ONS_LOOKUP)
    assert "Council z has no GSS code set to pick its own" in out

    out = refused(tmp_path, b"gss_code,name\nE05000201,Abbey\n", "--ended-on", "31/02/2027")
    assert "The file, column ended_on ('31/02/2027'): refused" in out
    assert wards() == {}
