"""`manage.py import_councillors`: councillors and their terms from the council's own file, with
accounts made and an invitation to choose a password, never a password in a file or an e-mail
(budgets/councillor_imports.py)."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command

from budgets.councillor_imports import CouncillorsImporter
from budgets.models import Councillor
from fundmgr import councils
from fundmgr.imports import run_import
from fundmgr.models import StaffRole, User
from fundmgr.roles import Role
from tests.factories import CouncilFactory, CouncillorFactory, UserFactory, WardFactory

pytestmark = pytest.mark.django_db

FILE = (
    "Name,E-mail,Ward,Party,Term start,Term end\r\n"
    " Nia  Evans ,Nia.Evans@Example.gov.uk, abbey   meadow ,Green Party,8 May 2023,\r\n"
    "Tom Birch,tom.birch@example.gov.uk,e05000202,Labour,02/05/2019,04/05/2023\r\n"
).encode("utf-8-sig")


@pytest.fixture
def council(db):
    council = CouncilFactory(name="Council a", gss_code="E07000101", slug="council-a")
    with councils.acting_for(council):
        WardFactory(council=council, gss_code="E05000201", name="Abbey Meadow")
        WardFactory(council=council, gss_code="E05000202", name="Brookfield")
    return council


def run(tmp_path, content: bytes, *args, name="councillors.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    call_command("import_councillors", str(path), *args, stdout=out)
    return out.getvalue()


def terms() -> list[tuple]:
    with councils.across_the_service():
        return list(
            Councillor.objects.order_by("term_start", "name").values_list(
                "name", "user__email", "ward__gss_code", "party", "term_start", "term_end"
            )
        )


def test_new_councillors_get_an_account_a_term_a_role_and_an_invitation(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = run(tmp_path, FILE)

    assert terms() == [
        (
            "Tom Birch",
            "tom.birch@example.gov.uk",
            "E05000202",
            "Labour",
            datetime.date(2019, 5, 2),
            datetime.date(2023, 5, 4),
        ),
        (
            "Nia Evans",
            "nia.evans@example.gov.uk",
            "E05000201",
            "Green Party",
            datetime.date(2023, 5, 8),
            None,
        ),
    ]
    assert "Row 2: created Cllr Nia Evans (Abbey Meadow): A new account" in out
    nia = User.objects.get(email="nia.evans@example.gov.uk")
    assert not nia.has_usable_password() and nia.get_full_name() == "Nia Evans"
    with councils.acting_for(council):
        assert StaffRole.objects.filter(user=nia, role=str(Role.COUNCILLOR)).exists()
        # A term that has ended gives the account no councillor's role.
        tom = User.objects.get(email="tom.birch@example.gov.uk")
        assert not StaffRole.objects.filter(user=tom).exists()
    # Only the councillor in office is invited: Tom Birch's account is for the record.
    assert [m.to for m in mailoutbox] == [["nia.evans@example.gov.uk"]]
    assert "for the record of a past term: no e-mail is sent" in out


def test_the_invitation_has_a_link_to_choose_a_password_and_no_password(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        run(tmp_path, FILE)
    mail = next(m for m in mailoutbox if m.to == ["nia.evans@example.gov.uk"])

    assert "Council a" in mail.subject
    assert "password" in mail.body.lower() and "your password is" not in mail.body.lower()
    link = re.search(r"https?://\S+/account/password-reset/\S+", mail.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    choose = client.get("/" + path, follow=True)
    assert choose.status_code == 200 and "new_password1" in choose.content.decode()
    client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": "a-Long-new-passphrase-42", "new_password2": "a-Long-new-passphrase-42"},
    )
    assert User.objects.get(email="nia.evans@example.gov.uk").check_password(
        "a-Long-new-passphrase-42"
    )


def test_someone_with_an_account_gets_a_new_term_on_it_and_no_invitation(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    with councils.acting_for(council):
        earlier = CouncillorFactory(
            ward__council=council,
            ward__gss_code="E05000203",
            user__email="nia.evans@example.gov.uk",
            term_start=datetime.date(2019, 5, 2),
            term_end=datetime.date(2023, 5, 4),
        )

    with django_capture_on_commit_callbacks(execute=True):
        out = run(tmp_path, FILE)

    assert "A new term on the existing account of nia.evans@example.gov.uk." in out
    assert User.objects.filter(email__iexact="nia.evans@example.gov.uk").count() == 1
    with councils.acting_for(council):
        assert earlier.user.councillor_terms.count() == 2
    assert mailoutbox == []


def test_the_same_file_twice_changes_nothing_and_sends_nothing_more(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run(tmp_path, FILE)
        out = run(tmp_path, FILE)

    assert "2 unchanged" in out and "created" not in out
    assert len(terms()) == 2 and len(mailoutbox) == 1


def test_a_changed_party_is_a_change_and_a_changed_end_is_refused(council, tmp_path):
    run(tmp_path, FILE)
    changed = FILE.replace(b"Green Party", b"Independent")
    out = run(tmp_path, changed)
    assert "Row 2: changed Cllr Nia Evans (Abbey Meadow): party Green Party -> Independent." in out

    ended = FILE.replace(b"8 May 2023,", b"8 May 2023,31/12/2026")
    out = io.StringIO()
    path = tmp_path / "ended.csv"
    path.write_bytes(ended)
    with pytest.raises(CommandError):
        call_command("import_councillors", str(path), stdout=out)
    assert "Row 2, column term_end ('31/12/2026'): refused" in out.getvalue()
    assert "End this term" in out.getvalue()


def test_overlapping_terms_of_one_person_are_refused(council, tmp_path):
    with councils.acting_for(council):
        CouncillorFactory(
            ward__council=council,
            ward__gss_code="E05000203",
            user__email="nia.evans@example.gov.uk",
            term_start=datetime.date(2022, 5, 5),
        )
    content = FILE + b"Tom Birch,TOM.BIRCH@example.gov.uk,Abbey Meadow,Labour,1/1/2020,\r\n"
    out = io.StringIO()
    path = tmp_path / "c.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_councillors", str(path), stdout=out)

    lines = out.getvalue()
    assert "Row 2, column term_start ('8 May 2023'): refused" in lines
    assert "overlaps their term for Ward" in lines
    assert "Row 4, column term_start ('1/1/2020'): refused" in lines
    assert "overlaps their term on row 3" in lines
    assert len(terms()) == 1


def test_refused_rows_name_row_column_value_and_reason_and_write_nothing(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    content = (
        b"name,email,ward,party,term_start,term_end\n"
        b"Ann Ash,ann@example.gov.uk,Abbey Meadow,,8/5/2023,\n"
        b"Bo Bell,not-an-address,Abbey Meadow,,8/5/2023,\n"
        b"Cy Cole,cy@example.gov.uk,Nowhere,,8/5/2023,\n"
        b"Di Dunn,di@example.gov.uk,Brookfield,,31/2/2023,\n"
        b"Ed Eke,ed@example.gov.uk,Brookfield,,8/5/2023,1/5/2023\n"
    )
    out = io.StringIO()
    path = tmp_path / "c.csv"
    path.write_bytes(content)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(CommandError):
            call_command("import_councillors", str(path), "--council", "council-a", stdout=out)

    lines = out.getvalue()
    assert "Row 2: would create Cllr Ann Ash (Abbey Meadow)" in lines
    assert "Row 3, column email ('not-an-address'): refused Cllr Bo Bell" in lines
    assert "Row 4, column ward ('Nowhere'): refused" in lines
    assert "Row 5, column term_start ('31/2/2023'): refused" in lines
    assert "Row 6, column term_end ('1/5/2023'): refused" in lines
    assert terms() == [] and mailoutbox == []
    assert not User.objects.filter(email="ann@example.gov.uk").exists()


def test_a_dry_run_writes_nothing_and_sends_nothing(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out = run(tmp_path, FILE, "--dry-run")

    assert "Row 3: would create Cllr Tom Birch (Brookfield)" in out
    assert terms() == [] and mailoutbox == [] and not User.objects.exists()


def test_a_term_in_an_ended_ward_after_it_ended_is_refused(council):
    with councils.acting_for(council):
        from budgets.models import Ward

        Ward.objects.filter(gss_code="E05000202").update(ended_on=datetime.date(2023, 5, 4))
    content = (
        b"name,email,ward,term_start,term_end\n"
        b"Tom Birch,tom@example.gov.uk,Brookfield,2/5/2019,4/5/2023\n"
        b"Uma Ure,uma@example.gov.uk,E05000202,5/5/2023,\n"
    )

    report = run_import(
        CouncillorsImporter, content, "c.csv", council=council, by=None, dry_run=True
    )

    assert [(o.row, o.action, o.column) for o in report.outcomes] == [
        (2, "create", ""),
        (3, "refuse", "ward"),
    ]


def test_a_workbook_with_dates_as_dates_and_as_text(council, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Councillor", "Email address", "Ward code", "Political party", "Elected on"])
    sheet.append(
        ["Nia Evans", "nia@example.gov.uk", "E05000201", "Green", datetime.date(2023, 5, 8)]
    )
    sheet.append(["Tom Birch", "tom@example.gov.uk", "E05000201", "Green", "8-May-2023"])
    data = io.BytesIO()
    book.save(data)

    run(tmp_path, data.getvalue(), name="councillors.xlsx")

    assert [(t[0], t[4]) for t in terms()] == [
        ("Nia Evans", datetime.date(2023, 5, 8)),
        ("Tom Birch", datetime.date(2023, 5, 8)),
    ]


def test_an_existing_user_found_by_username_is_not_made_twice(council, tmp_path):
    UserFactory(username="tom.birch@example.gov.uk", email="")

    run(tmp_path, FILE)

    assert User.objects.filter(username__iexact="tom.birch@example.gov.uk").count() == 1


def test_an_invitation_run_out_is_asked_for_again_on_the_forgotten_password_page(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks, client
):
    run(tmp_path, FILE)  # the invitations are not sent: as if they had run out

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/password-reset/", {"email": "Nia.Evans@example.gov.uk"})

    assert [m.to for m in mailoutbox] == [["nia.evans@example.gov.uk"]]
    assert "/account/password-reset/" in mailoutbox[0].body


def test_an_address_signed_up_for_and_never_confirmed_is_handed_to_its_owner(
    council, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    """Someone signed up with the councillor's address and a password of their choosing, and
    never confirmed it: the import takes that password away and invites the address's owner."""
    squatter = UserFactory(username="nia.evans@example.gov.uk", email="nia.evans@example.gov.uk")
    squatter.is_active = False
    squatter.save()

    with django_capture_on_commit_callbacks(execute=True):
        out = run(tmp_path, FILE)

    assert "which was signed up for and never confirmed" in out
    squatter.refresh_from_db()
    assert squatter.is_active and not squatter.has_usable_password()
    assert not squatter.check_password("correct-horse-battery")
    assert [m.to for m in mailoutbox] == [["nia.evans@example.gov.uk"]]
