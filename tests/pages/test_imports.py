"""The administrator's "Import from a file" page, through the real views, with the tiny test
importer of wards (tests/fundmgr/test_imports.py) so it depends on no app's importer."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.models import Ward
from fundmgr import councils, imports
from fundmgr.models import ImportRun
from tests.councils_fixtures import two_councils
from tests.factories import UserFactory
from tests.fundmgr.test_imports import TinyWardsImporter, tiny_importer  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/officer/imports/"
WARDS = b"\xef\xbb\xbf  Ward Name ,GSS code\r\nAbbey,E05000001\r\n\r\nBrook,E05000002\r\n"


def visible(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def admin(client, tiny_importer):  # noqa: F811
    user = UserFactory(roles=["Administrator"])
    client.force_login(user)
    return user


def upload(client, data=WARDS, *, name="wards.csv", check_only=True, kind="tiny_wards"):
    form = {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if check_only:
        form["check_only"] = "on"
    return client.post(URL, form)


def follow(client, response):
    assert response.status_code == 302, visible(response)[:2000]
    return client.get(response["Location"])


def test_the_page_offers_each_kind_with_its_columns_and_a_sample(client, admin):
    page = client.get(URL)
    assert page.status_code == 200
    text = visible(page)
    assert "Import from a file" in text and "Tiny wards" in text
    assert 'name="check_only" checked' in page.content.decode() or re.search(
        r'name="check_only"[^>]*checked', page.content.decode()
    )
    assert "gss_code" in text and "or GSS code, WD23CD, Ward code" in text
    assert "Nothing has been imported yet." in text
    sample = client.get(f"{URL}samples/tiny_wards.csv")
    assert sample.status_code == 200 and sample["Content-Type"].startswith("text/csv")
    assert sample.content.decode("utf-8-sig").splitlines()[0] == "name,gss_code,reviewed_on"
    assert client.get(f"{URL}samples/nothing.csv").status_code == 404
    assert "Imports" in text  # the administrator's navigation links here


def test_a_check_shows_every_row_and_writes_nothing_then_import_applies_it(client, admin):
    report = follow(client, upload(client))
    text = visible(report)
    assert "Check of wards.csv" in text and "To create 2" in text
    assert "Ward Abbey (E05000001)" in text and "Ward Brook (E05000002)" in text
    assert "This was a check only: nothing has been imported." in text
    assert Ward.objects.count() == 0
    check = ImportRun.objects.get()
    assert check.dry_run and check.data is not None and check.by == admin
    assert "Import these rows" in text

    imported = follow(client, client.post(f"{URL}{check.pk}/"))
    text = visible(imported)
    assert "Import of wards.csv" in text and "Created 2" in text and "Imported wards.csv." in text
    assert "Import these rows" not in text
    assert set(Ward.objects.values_list("gss_code", flat=True)) == {"E05000001", "E05000002"}
    check.refresh_from_db()
    assert check.data is None
    # The check now points at its import; a second click imports nothing more.
    again = follow(client, client.post(f"{URL}{check.pk}/"))
    assert "already been imported" in visible(again)
    assert ImportRun.objects.count() == 2

    # The same file again, imported straight away: every row unchanged.
    third = follow(client, upload(client, check_only=False))
    assert "Unchanged 2" in visible(third) and Ward.objects.count() == 2
    listing = visible(client.get(URL))
    assert listing.count("wards.csv") == 3 and "Imported" in listing and "Checked" in listing


def test_a_refused_file_changes_nothing_and_its_csv_names_row_column_value_reason(client, admin):
    report = follow(client, upload(client, WARDS + b"Crook,E0501234\r\n", check_only=False))
    text = visible(report)
    assert "Nothing was imported" in text and "Refused 1" in text
    assert "Import these rows" not in text
    assert Ward.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.refused and run.data is None
    download = client.get(f"{URL}{run.pk}/report.csv")
    assert download.status_code == 200
    assert f"import-{run.pk}-tiny_wards-report.csv" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    refused = [r for r in rows if r["action"] == "refuse"]
    assert refused == [
        {
            "row": "5",
            "action": "refuse",
            "column": "gss_code",
            "value": "E0501234",
            "reason": "A ward's GSS code is E05 then 6 digits.",
            "record": "Ward Crook (E0501234)",
        }
    ]


def test_a_file_with_a_missing_column_is_refused_with_the_headings_found(client, admin):
    report = follow(client, upload(client, b"Ward,Code\nAbbey,E05000001\n"))
    text = visible(report)
    assert "no column for name" in text and "'Ward', 'Code'" in text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("wards.pdf", b"%PDF-1.4", "The file must be .csv or .xlsx: wards.pdf is not."),
        ("wards.csv", b"", "The file is empty"),
    ],
)
def test_a_file_of_the_wrong_type_gets_a_clear_message(client, admin, name, data, message):
    page = upload(client, data, name=name)
    assert page.status_code == 400
    assert message in visible(page)
    assert ImportRun.objects.count() == 0


def test_a_file_too_large_gets_a_clear_message(client, admin, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 10 * 1024 * 1024)
    page = upload(client, WARDS + b"x" * (10 * 1024 * 1024))
    assert page.status_code == 400
    assert "The file must be 10 MB or smaller" in visible(page)
    assert ImportRun.objects.count() == 0


def test_no_kind_chosen_is_asked_for(client, admin):
    page = upload(client, kind="")
    assert page.status_code == 400 and "Choose what the file holds" in visible(page)


def test_other_roles_are_refused_and_another_councils_staff_find_nothing(client, tiny_importer):  # noqa: F811
    made = two_councils()
    a, b = made["a"].council, made["b"].council
    with councils.acting_for(a):
        admin_a = UserFactory(username="admin-a", roles=["Administrator"])
    with councils.acting_for(b):
        admin_b = UserFactory(username="admin-b", roles=["Administrator"])
    client.force_login(admin_a)
    report = follow(client, upload_to(client, "/council-a" + URL))
    assert "To create 2" in visible(report)
    run = ImportRun.objects.get()
    assert run.council == a
    # Council b's administrator: council a's pages are not there for them.
    client.force_login(admin_b)
    for url in (
        f"/council-a{URL}",
        f"/council-a{URL}{run.pk}/",
        f"/council-a{URL}{run.pk}/report.csv",
    ):
        assert client.get(url).status_code == 404
    # ... and at their own council, council a's run is not there either.
    assert client.get(f"/council-b{URL}{run.pk}/").status_code == 404
    assert client.post(f"/council-b{URL}{run.pk}/").status_code == 404
    assert client.get(f"/council-b{URL}").status_code == 200
    # A grants officer of council a may not use the page.
    client.force_login(made["a"].officer)
    assert client.get(f"/council-a{URL}").status_code == 403
    assert client.post(f"/council-a{URL}{run.pk}/").status_code == 403
    assert Ward.objects.filter(gss_code="E05000001").count() == 0


def upload_to(client, url, data=WARDS):
    return client.post(
        url,
        {
            "kind": "tiny_wards",
            "file": SimpleUploadedFile("wards.csv", data, content_type="text/csv"),
            "check_only": "on",
        },
    )


def test_a_long_report_is_shown_a_page_at_a_time_and_downloaded_whole(client, admin):
    rows = "".join(f"Ward {n},E05{n:06d}\r\n" for n in range(1, 251))
    report = follow(client, upload(client, f"name,gss_code\r\n{rows}".encode()))
    text = visible(report)
    assert "To create 250" in text and "Rows 1 to 100 of 250 lines of the report." in text
    assert "Ward Ward 100 (E05000100)" in text and "Ward Ward 101 " not in text
    run = ImportRun.objects.get()
    third = visible(client.get(f"{URL}{run.pk}/?page=3"))
    assert "Ward Ward 250 (E05000250)" in third and "Ward Ward 200 " not in third
    download = client.get(f"{URL}{run.pk}/report.csv").content.decode("utf-8-sig")
    assert len(download.splitlines()) == 251


def test_an_imports_options_are_offered_and_kept_for_import_these_rows(client, admin):
    page = client.get(URL).content.decode()
    assert 'name="tiny_wards__refuse_at"' in page and 'name="tiny_wards__upper"' in page
    assert "tiny_wards__lookup" not in page  # a file on the server: the command's alone
    form = {
        "kind": "tiny_wards",
        "file": SimpleUploadedFile("wards.csv", WARDS, content_type="text/csv"),
        "check_only": "on",
        "tiny_wards__upper": "on",
        "tiny_wards__refuse_at": "E05000002",
    }
    check = visible(follow(client, client.post(URL, form)))
    assert "Ward ABBEY (E05000001)" in check and "To create 2" in check
    run = ImportRun.objects.get()
    assert run.options == {"refuse_at": "E05000002", "upper": True}
    refused = visible(follow(client, client.post(f"{URL}{run.pk}/")))
    assert "Another import changed the wards meanwhile." in refused
    assert "Nothing was imported" in refused and Ward.objects.count() == 0


def test_a_workbooks_sheet_is_chosen_by_name(client, admin):
    from tests.fundmgr.test_imports import xlsx

    data = xlsx([["name", "gss_code"], ["Abbey", "E05000001"]], sheet_title="Wards 2026")
    form = {
        "kind": "tiny_wards",
        "file": SimpleUploadedFile("wards.xlsx", data),
        "check_only": "on",
        "sheet": "Ward list",
    }
    refused = visible(follow(client, client.post(URL, form)))
    assert "The workbook has no sheet called 'Ward list': its sheets are Wards 2026." in refused
    form["file"] = SimpleUploadedFile("wards.xlsx", data)
    form["sheet"] = "Wards 2026"
    assert "To create 1" in visible(follow(client, client.post(URL, form)))


def test_a_checks_file_is_let_go_after_a_week(client, admin):
    follow(client, upload(client))
    old = ImportRun.objects.get()
    ImportRun.objects.filter(pk=old.pk).update(at=old.at - imports.KEEP_FILES)
    follow(client, upload(client))  # any later run lets older files go
    old.refresh_from_db()
    assert old.data is None
    page = visible(client.get(f"{URL}{old.pk}/"))
    assert "Import these rows" not in page
    assert "Its file is kept for 7 days and no longer is" in page
    assert ImportRun.objects.exclude(pk=old.pk).get().data is not None
