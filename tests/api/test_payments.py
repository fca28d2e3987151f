"""The API's finance side: payments, payment runs (prepared by one finance officer, authorised by
another), their BACS and finance files, bank statement uploads and matching. Finance officers
act; auditors read; nobody else sees any of it."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications import organisations
from budgets.models import (
    FundYear,
    Match,
    Payment,
    PaymentFile,
    PaymentRun,
    PaymentRunLine,
    PaymentSchedule,
    Statement,
    StatementLine,
)
from fundmgr.models import User
from tests.api.test_budgets import client_for
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, next_weekday, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
pytestmark = pytest.mark.django_db
API = "/api/v1"
DATA = Path(__file__).parents[1] / "data" / "statements"
HEADING = "Date,Type,Description,Paid out,Paid in,Balance\r\n"


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["Auditor"])


@pytest.fixture
def people(accepted, treasurer, shaw, officer, finance, finance2, auditor, administrator):
    return {
        "anonymous": None,
        "applicant": treasurer,
        "councillor": shaw.user,
        "grants officer": officer,
        "finance officer": finance,
        "second finance officer": finance2,
        "auditor": auditor,
        "administrator": administrator,
    }


def albion(*lines: str) -> bytes:
    return (HEADING + "".join(line + "\r\n" for line in lines)).encode("cp1252")


def upload(client: APIClient, name: str, content: bytes, **fields):
    return client.post(
        f"{API}/statements/",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def ddmmyyyy(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- who may: reads -------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "applicant",
    "councillor",
    "grants officer",
    "finance officer",
    "second finance officer",
    "auditor",
    "administrator",
]
READERS = [401, 403, 403, 403, 200, 200, 200, 403]
#  endpoint                          anon app  cllr grants fin  fin2 audit admin
READ_MATRIX = [
    ("payments/", READERS),
    ("payments/{payment}/", READERS),
    ("payment-runs/", READERS),
    ("payment-runs/due/", READERS),
    ("payment-runs/{run}/", READERS),
    # Auditors see a run but, as on the pages, only finance officers take its files.
    ("payment-runs/{run}/bacs/", [401, 403, 403, 403, 200, 200, 403, 403]),
    ("payment-runs/{run}/finance-csv/", [401, 403, 403, 403, 200, 200, 403, 403]),
    ("statements/", READERS),
    ("statements/{statement}/", READERS),
    ("statement-lines/", READERS),
    ("statement-lines/{line}/", READERS),
    ("matches/", READERS),
    ("matches/{match}/", READERS),
]


@pytest.fixture
def reconciled(accepted, finance, finance2):
    """The grant's £500 paid in an authorised run and cleared by an imported statement line."""
    from budgets import reconcile
    from budgets.statement_files import PRESETS

    run = paid_run(finance, finance2)
    line = run.lines.get()
    reconcile.statement_import(
        content=albion(f"{ddmmyyyy(run.pay_date)},BACS,{line.reference} FRIENDS,£500.00,,"),
        filename="cleared.csv",
        by=finance,
        layout=PRESETS["albion"],
    )
    return run


@pytest.mark.parametrize(("endpoint", "expected"), READ_MATRIX, ids=[r[0] for r in READ_MATRIX])
def test_who_may_read_each_finance_resource(people, reconciled, endpoint, expected):
    match = Match.objects.get()
    url = (
        API
        + "/"
        + endpoint.format(
            payment=match.run_line.payment_id,
            run=reconciled.pk,
            statement=match.line.statement_id,
            line=match.line_id,
            match=match.pk,
        )
    )
    got = [client_for(people[role]).get(url).status_code for role in ROLES]
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


# --- who may: changes -----------------------------------------------------------------------

ACTIONS = [
    ("post", "payment-runs/", {"pay_date": "{day}"}),
    ("post", "payment-runs/{run}/authorise/", {}),
    ("post", "payment-runs/{run}/cancel/", {"reason": "Wrong date"}),
    ("post", "payments/{payment}/reissue/", {}),
    ("post", "matches/reconcile/", {}),
    ("post", "statement-lines/{line}/set-aside/", {"note": "Bank charge"}),
]
NOT_FINANCE = ["anonymous", "applicant", "councillor", "grants officer", "auditor", "administrator"]


@pytest.mark.parametrize(("method", "endpoint", "body"), ACTIONS, ids=[a[1] for a in ACTIONS])
@pytest.mark.parametrize("role", NOT_FINANCE)
def test_only_finance_officers_change_anything(people, finance, method, endpoint, body, role):
    run = prepared_run(finance)
    payment = Payment.objects.get()
    statement = Statement.objects.create(
        sha256="0" * 64, filename="x.csv", format="csv", imported_by=finance
    )
    line = StatementLine.objects.create(
        statement=statement, number=2, date=run.pay_date, amount=Decimal("-7.50"), description="X"
    )
    url = API + "/" + endpoint.format(run=run.pk, payment=payment.pk, line=line.pk)
    data = {k: v.format(day=next_weekday().isoformat()) for k, v in body.items()}
    response = getattr(client_for(people[role]), method)(url, data, format="json")
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert response["Content-Type"] == "application/problem+json"
    run.refresh_from_db()
    line.refresh_from_db()
    assert (run.status, PaymentRun.objects.count(), line.status) == ("prepared", 1, "unmatched")


def test_an_auditor_is_told_why_they_cannot_act(people):
    response = client_for(people["auditor"]).post(f"{API}/matches/reconcile/")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Auditors can read everything in fundmgr and change nothing."
    )


# --- payment runs ---------------------------------------------------------------------------


def test_a_finance_officer_prepares_a_run_of_what_is_due(people, accepted):
    day = next_weekday()
    response = client_for(people["finance officer"]).post(
        f"{API}/payment-runs/", {"pay_date": day.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["count"], body["total"]) == ("prepared", 1, "500.00")
    assert body["prepared_by"] == str(people["finance officer"])
    (line,) = body["lines"]
    assert line["reference"] == f"{accepted.reference}/1"
    assert line["account"] == "20-**-** ****5678"
    assert Payment.objects.get().status == "in_run"


def test_payments_due_says_which_are_payable_and_why_others_are_held(people, accepted, treasurer):
    client = client_for(people["auditor"])
    body = client.get(f"{API}/payment-runs/due/").json()
    assert [r["payment"]["reference"] for r in body["due"]] == [f"{accepted.reference}/1"]
    assert (body["due_total"], body["held"]) == ("500.00", [])
    organisations.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="FRIENDS NEW",
        sort_code="400000",
        account_number="87654321",
    )
    body = client.get(f"{API}/payment-runs/due/").json()
    assert body["due"] == []
    (held,) = body["held"]
    assert held["application"] == accepted.pk
    assert "not yet verified by a finance officer" in held["reason"]
    assert client.get(f"{API}/payment-runs/due/", {"on": "soon"}).status_code == 400


def test_the_officer_who_prepared_a_run_cannot_authorise_it(people, finance):
    run = prepared_run(finance)
    response = client_for(people["finance officer"]).post(f"{API}/payment-runs/{run.pk}/authorise/")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You prepared this payment run, so another finance officer must authorise it."
    )
    run.refresh_from_db()
    assert (run.status, run.authorised_by, PaymentFile.objects.count()) == ("prepared", None, 0)


def test_a_second_finance_officer_authorises_it_and_the_files_are_written(people, finance):
    run = prepared_run(finance)
    client = client_for(people["second finance officer"])
    check = client.get(f"{API}/payment-runs/{run.pk}/").json()["check"]
    response = client.post(f"{API}/payment-runs/{run.pk}/authorise/", {"check": check})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "authorised"
    assert body["authorised_by"] == str(people["second finance officer"])
    assert sorted(f["kind"] for f in body["files"]) == ["bacs", "finance_csv"]
    assert [line["status"] for line in body["lines"]] == ["sent"]
    again = client.post(f"{API}/payment-runs/{run.pk}/authorise/", {"check": check})
    assert again.status_code == 409
    assert "was authorised by" in again.json()["detail"]


def test_a_run_whose_payee_changed_bank_details_is_refused_with_the_reason(
    people, finance, accepted, treasurer
):
    run = prepared_run(finance)
    organisations.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="FRIENDS NEW",
        sort_code="400000",
        account_number="87654321",
    )
    client = client_for(people["second finance officer"])
    check = client.get(f"{API}/payment-runs/{run.pk}/").json()["check"]
    response = client.post(f"{API}/payment-runs/{run.pk}/authorise/", {"check": check})
    assert response.status_code == 409
    assert "not yet verified" in response.json()["detail"]
    run.refresh_from_db()
    assert run.status == "prepared" and not PaymentFile.objects.exists()


def test_a_run_is_not_authorised_through_the_api_unread_or_changed_since_it_was_read(
    people, finance
):
    """As on the page: the run's `check` as read is required, and a stale one is refused."""
    run = prepared_run(finance)
    client = client_for(people["second finance officer"])
    unread = client.post(f"{API}/payment-runs/{run.pk}/authorise/", {})
    assert unread.status_code == 409
    assert "read the run and send its `check`" in unread.json()["detail"]
    stale = client.post(f"{API}/payment-runs/{run.pk}/authorise/", {"check": "0" * 64})
    assert stale.status_code == 409
    assert "changed since you checked it" in stale.json()["detail"]
    run.refresh_from_db()
    assert (run.status, run.authorised_by, PaymentFile.objects.count()) == ("prepared", None, 0)


def test_a_payment_held_for_unverified_bank_details_is_not_put_in_a_run(
    people, accepted, treasurer
):
    organisations.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="FRIENDS NEW",
        sort_code="400000",
        account_number="87654321",
    )
    response = client_for(people["finance officer"]).post(
        f"{API}/payment-runs/", {"pay_date": next_weekday().isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("No payment is due to be paid by")
    assert not PaymentRun.objects.exists()
    assert Payment.objects.get().status == "scheduled"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "pay_date: This field is required."),
        ({"pay_date": "tomorrow"}, "pay_date: Date has wrong format."),
        ({"pay_date": "2020-01-06"}, "The payment date must be today or later"),
    ],
)
def test_a_bad_pay_date_answers_400_and_prepares_nothing(people, accepted, body, says):
    response = client_for(people["finance officer"]).post(
        f"{API}/payment-runs/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(says)
    assert not PaymentRun.objects.exists()


def test_cancelling_a_run_needs_a_reason_and_makes_its_payments_due_again(people, finance):
    run = prepared_run(finance)
    client = client_for(people["second finance officer"])
    assert client.post(f"{API}/payment-runs/{run.pk}/cancel/", {}, format="json").status_code == 400
    response = client.post(
        f"{API}/payment-runs/{run.pk}/cancel/", {"reason": "Wrong pay date"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "Wrong pay date",
    )
    assert Payment.objects.get().status == "scheduled"


def test_the_bacs_file_downloads_with_its_records(people, finance, finance2, accepted):
    run = paid_run(finance, finance2)
    response = client_for(people["finance officer"]).get(f"{API}/payment-runs/{run.pk}/bacs/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="bacs-run-{run.number}.txt"'
    assert response["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    records = response.content.decode("ascii").split("\r\n")[:-1]
    assert [r[:4] for r in records[:4]] == ["VOL1", "HDR1", "HDR2", "UHL1"]
    assert all(len(r) == 100 for r in records)
    credit = records[4]
    assert credit[0:6] == "200000" and credit[6:14] == "12345678"  # the payee's account
    assert credit[35:46] == "00000050000"  # £500.00 in pence
    assert credit[64:82].strip() == f"{accepted.reference}/1"


def test_the_finance_csv_downloads(people, finance, finance2, accepted):
    run = paid_run(finance, finance2)
    response = client_for(people["second finance officer"]).get(
        f"{API}/payment-runs/{run.pk}/finance-csv/", HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = response.content.decode().split("\r\n")
    assert rows[0] == "Cost code,Reference,Grant,Payee,Amount,Payment date"
    assert rows[1].startswith(f"R4410-7310,{accepted.reference}/1,{accepted.reference},")
    assert ",500.00," in rows[1]


def test_a_prepared_run_has_no_files_yet(people, finance):
    run = prepared_run(finance)
    response = client_for(people["finance officer"]).get(f"{API}/payment-runs/{run.pk}/bacs/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_payments_filter_by_status_and_due_date(people, finance, accepted):
    client = client_for(people["auditor"])
    today = datetime.date.today()
    assert client.get(f"{API}/payments/", {"status": "scheduled"}).json()["count"] == 1
    assert client.get(f"{API}/payments/", {"status": "sent"}).json()["count"] == 0
    tomorrow = (today + datetime.timedelta(days=400)).isoformat()
    assert client.get(f"{API}/payments/", {"due_from": tomorrow}).json()["count"] == 0
    (row,) = client.get(f"{API}/payments/", {"grant": accepted.reference}).json()["results"]
    assert (row["amount"], row["payee"], row["status"]) == (
        "500.00",
        "Friends of Abbey Park",
        "scheduled",
    )
    assert client.get(f"{API}/payments/", {"status": "lost"}).status_code == 400


# --- statements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fields", "lines", "format_"),
    [
        ("albion.csv", {"layout": "albion"}, 5, "csv"),
        ("crown.csv", {"layout": "crown"}, None, "csv"),
        ("statement.ofx", {}, 3, "ofx"),
        ("camt053.xml", {}, None, "camt053"),
    ],
)
def test_a_statement_file_is_imported(people, name, fields, lines, format_):
    response = upload(
        client_for(people["finance officer"]), name, (DATA / name).read_bytes(), **fields
    )
    assert response.status_code == 201, response.content
    statement = response.json()["statement"]
    assert (statement["filename"], statement["format"]) == (name, format_)
    assert statement["line_count"] == StatementLine.objects.count() > 0
    if lines is not None:
        assert statement["line_count"] == lines


def test_an_upload_clears_the_payment_its_line_names(people, finance, finance2):
    run = paid_run(finance, finance2)
    line = run.lines.get()
    content = albion(f"{ddmmyyyy(run.pay_date)},BACS,{line.reference} FRIENDS,£500.00,,")
    response = upload(client_for(people["finance officer"]), "mine.csv", content)
    assert response.status_code == 201
    assert response.json()["matched"] == 1
    assert response.json()["statement"]["unmatched"] == 0
    line.refresh_from_db()
    assert line.status == "cleared"


def test_a_bad_file_answers_400_naming_the_line_and_imports_nothing(people):
    response = upload(
        client_for(people["finance officer"]),
        "bad.csv",
        (DATA / "impossible-date.csv").read_bytes(),
        layout="albion",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Line 5: '31/02/2027' is not a real date in the form dd/mm/yyyy. Nothing was imported."
    )
    assert not Statement.objects.exists() and not StatementLine.objects.exists()


def test_the_same_file_twice_answers_409_and_changes_nothing(people):
    content = (DATA / "statement.ofx").read_bytes()
    assert upload(client_for(people["finance officer"]), "a.ofx", content).status_code == 201
    again = upload(client_for(people["second finance officer"]), "renamed.ofx", content)
    assert again.status_code == 409
    assert "This file was imported already, as statement" in again.json()["detail"]
    assert (Statement.objects.count(), StatementLine.objects.count()) == (1, 3)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"layout": "custom"}, "date_column", "Enter the name of the date column"),
        ({"layout": "fictional"}, "layout", '"fictional" is not a valid choice.'),
        ({"layout": "custom", "skip_rows": "many"}, "skip_rows", "A valid integer is required."),
    ],
)
def test_a_bad_layout_answers_400_naming_the_field(people, fields, field, says):
    response = upload(
        client_for(people["finance officer"]),
        "a.csv",
        (DATA / "albion.csv").read_bytes(),
        **fields,
    )
    assert response.status_code == 400
    assert says in response.json()["errors"][field]
    assert not Statement.objects.exists()


def test_an_upload_without_a_file_or_as_json_is_refused(people):
    client = client_for(people["finance officer"])
    assert client.post(f"{API}/statements/", {}, format="multipart").status_code == 400
    assert client.post(f"{API}/statements/", {"file": "x"}, format="json").status_code == 415


def test_a_custom_layout_names_the_columns(people):
    content = (
        b"When,What,Out,In\r\n02/03/2027,BACS CCIF26-000001/1,500.00,\r\n"
        b"03/03/2027,REFUND,,20.00\r\n"
    )
    response = upload(
        client_for(people["finance officer"]),
        "own.csv",
        content,
        layout="custom",
        date_column="When",
        description_columns="What",
        out_column="Out",
        in_column="In",
    )
    assert response.status_code == 201, response.content
    assert response.json()["statement"]["money_out"] == "500.00"
    assert response.json()["statement"]["money_in"] == "20.00"


# --- matching by hand -----------------------------------------------------------------------


@pytest.fixture
def unmatched(finance, finance2):
    """A sent £500 payment and a statement line of £500 out that names nothing."""
    from budgets import reconcile
    from budgets.statement_files import PRESETS

    run = paid_run(finance, finance2)
    far = run.pay_date + datetime.timedelta(days=20)  # beyond the matching's few days
    reconcile.statement_import(
        content=albion(f"{ddmmyyyy(far)},BACS,GRANT FRIENDS,£500.00,,"),
        filename="later.csv",
        by=finance,
        layout=PRESETS["albion"],
    )
    return StatementLine.objects.get(), run.lines.get()


def test_a_line_is_matched_by_hand_and_the_match_undone_with_a_reason(people, unmatched):
    line, run_line = unmatched
    client = client_for(people["finance officer"])
    response = client.post(
        f"{API}/statement-lines/{line.pk}/match/", {"run_line": run_line.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "matched"
    run_line.refresh_from_db()
    assert run_line.status == "cleared"
    match = Match.objects.get()
    assert client.post(f"{API}/matches/{match.pk}/undo/", {}, format="json").status_code == 400
    undone = client.post(
        f"{API}/matches/{match.pk}/undo/", {"reason": "Another grant's payment"}, format="json"
    )
    assert undone.status_code == 200
    assert undone.json()["undo_reason"] == "Another grant's payment"
    assert undone.json()["undone_by"] == str(people["finance officer"])
    run_line.refresh_from_db()
    line.refresh_from_db()
    assert (run_line.status, line.status) == ("sent", "unmatched")
    again = client.post(f"{API}/matches/{match.pk}/undo/", {"reason": "x"}, format="json")
    assert again.status_code == 409


def test_matching_a_line_twice_is_refused(people, unmatched):
    line, run_line = unmatched
    client = client_for(people["finance officer"])
    url = f"{API}/statement-lines/{line.pk}/match/"
    assert client.post(url, {"run_line": run_line.pk}, format="json").status_code == 200
    second = client.post(url, {"run_line": run_line.pk}, format="json")
    assert second.status_code == 409
    assert second.json()["detail"] == f"Line {line.number} is matched to a payment already."
    assert Match.objects.count() == 1


def test_matching_to_an_unknown_payment_answers_400(people, unmatched):
    line, _ = unmatched
    response = client_for(people["finance officer"]).post(
        f"{API}/statement-lines/{line.pk}/match/", {"run_line": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "run_line" in response.json()["errors"]


def test_a_line_is_set_aside_with_a_note_and_restored(people, unmatched):
    line, _ = unmatched
    client = client_for(people["finance officer"])
    url = f"{API}/statement-lines/{line.pk}/"
    assert client.post(url + "set-aside/", {"note": ""}, format="json").status_code == 400
    response = client.post(url + "set-aside/", {"note": "Council tax refund"}, format="json")
    assert (response.json()["status"], response.json()["note"]) == (
        "set_aside",
        "Council tax refund",
    )
    assert client.post(url + "restore/").json()["status"] == "unmatched"
    assert client.post(url + "restore/").status_code == 409


def test_the_automatic_matching_runs_through_the_api(people, finance, finance2):
    run = paid_run(finance, finance2)
    statement = Statement.objects.create(
        sha256="1" * 64, filename="s.csv", format="csv", imported_by=finance
    )
    StatementLine.objects.create(
        statement=statement,
        number=2,
        date=run.pay_date,
        amount=Decimal("-500.00"),
        description="BACS",
        reference=run.lines.get().reference,
    )
    client = client_for(people["finance officer"])
    assert client.post(f"{API}/matches/reconcile/").json() == {"matched": 1}
    assert client.post(f"{API}/matches/reconcile/").json() == {"matched": 0}
    assert client.get(f"{API}/matches/", {"statement": statement.pk}).json()["count"] == 1


def test_a_returned_payment_is_recorded_and_reissued(people, finance, finance2):
    run = paid_run(finance, finance2)
    run_line = run.lines.get()
    statement = Statement.objects.create(
        sha256="2" * 64, filename="s.csv", format="csv", imported_by=finance
    )
    line = StatementLine.objects.create(
        statement=statement,
        number=2,
        date=run.pay_date,
        amount=Decimal("500.00"),
        description="RETURNED",
        reference=run_line.reference,
    )
    client = client_for(people["finance officer"])
    payment = Payment.objects.get()
    assert client.post(f"{API}/payments/{payment.pk}/reissue/").status_code == 409
    response = client.post(
        f"{API}/statement-lines/{line.pk}/returned/", {"run_line": run_line.pk}, format="json"
    )
    assert response.json()["status"] == "returned"
    assert Payment.objects.get().status == "returned"
    reissued = client.post(f"{API}/payments/{payment.pk}/reissue/", {"note": "New account"})
    assert reissued.status_code == 200
    assert reissued.json()["status"] == "scheduled"


# --- a fixed number of queries per list, whatever its length ---------------------------------


def grow(n: int, finance: User) -> None:
    """n grants each with a payment sent in a run of its own, a statement line and a match."""
    fund_year = FundYear.objects.get()
    first = PaymentSchedule.objects.count()
    schedules = PaymentSchedule.objects.bulk_create(
        PaymentSchedule(
            reference=f"CCIF26-{900000 + first + i}",
            fund_year=fund_year,
            payee=f"Group {i}",
            award=Decimal("10.00"),
        )
        for i in range(n)
    )
    runs = PaymentRun.objects.bulk_create(
        PaymentRun(
            pay_date=datetime.date(2027, 1, 4),
            status="authorised",
            total=Decimal("10.00"),
            count=1,
            prepared_by=finance,
            authorised_by=finance.__class__.objects.exclude(pk=finance.pk).first(),
            authorised_at="2027-01-01T10:00:00Z",
        )
        for _ in range(n)
    )
    PaymentFile.objects.bulk_create(
        PaymentFile(run=r, kind="bacs", name=f"bacs-{r.pk}.txt", content=b"x", sha256="0")
        for r in runs
    )
    payments = Payment.objects.bulk_create(
        Payment(
            schedule=sc,
            number=1,
            reference=f"{sc.reference}/1",
            amount=Decimal("10.00"),
            due_on=datetime.date(2027, 1, 4),
            status="cleared",
            run=r,
        )
        for sc, r in zip(schedules, runs, strict=True)
    )
    run_lines = PaymentRunLine.objects.bulk_create(
        PaymentRunLine(
            run=r,
            payment=p,
            reference=p.reference,
            amount=p.amount,
            payee="Group",
            bank_account=1,
            account_name="GROUP",
            sort_code="200000",
            account_number="12345678",
            status="cleared",
        )
        for p, r in zip(payments, runs, strict=True)
    )
    statement = Statement.objects.create(
        sha256=f"{first:064d}", filename="grown.csv", format="csv", imported_by=finance
    )
    lines = StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            number=i + 2,
            date=datetime.date(2027, 1, 4),
            amount=Decimal("-10.00"),
            description="BACS",
            status="matched",
        )
        for i in range(n)
    )
    Match.objects.bulk_create(
        Match(line=line, run_line=rl, method="reference", matched_by=finance)
        for line, rl in zip(lines, run_lines, strict=True)
    )
    Statement.objects.bulk_create(
        Statement(sha256=f"s{first}-{i}", filename="more.csv", format="csv", imported_by=finance)
        for i in range(n - 1)
    )


def grow_scheduled(n: int) -> None:
    """n payments scheduled for grants that are not (or no longer) being paid."""
    fund_year = FundYear.objects.get()
    first = PaymentSchedule.objects.count()
    schedules = PaymentSchedule.objects.bulk_create(
        PaymentSchedule(
            reference=f"CCIF26-{800000 + first + i}",
            fund_year=fund_year,
            payee=f"Group {i}",
            award=Decimal("10.00"),
        )
        for i in range(n)
    )
    Payment.objects.bulk_create(
        Payment(
            schedule=sc,
            number=1,
            reference=f"{sc.reference}/1",
            amount=Decimal("10.00"),
            due_on=datetime.date(2027, 1, 4),
        )
        for sc in schedules
    )


def test_payments_due_queries_do_not_grow_with_payments(people):
    client = client_for(people["finance officer"])
    url = f"{API}/payment-runs/due/"
    grow_scheduled(10)
    small = queries(client, url)
    grow_scheduled(990)
    assert len(client.get(url).json()["stopped"]) == 1000
    assert queries(client, url) == small


LISTS = ["payments/", "payment-runs/", "statements/", "statement-lines/", "matches/"]


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


@pytest.mark.parametrize("endpoint", LISTS)
def test_list_queries_do_not_grow_with_rows(people, finance, endpoint):
    client = client_for(people["auditor"])
    url = f"{API}/{endpoint}"
    grow(10, finance)
    small = queries(client, url)
    grow(990, finance)
    big = client.get(url, {"page_size": 500}).json()
    assert big["count"] >= 1000 and len(big["results"]) == 500
    assert queries(client, url) == small
