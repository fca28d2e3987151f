"""The statement pages: import (presets, custom columns, bad files), the statement reconciled
line by line, and the actions a person takes on what is left."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import Match, Statement, StatementLine
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, paid_run, run_of_two

__all__ = ["accepted", "finance2", "run_of_two"]
D = Decimal
DATA = Path(__file__).parents[1] / "data" / "statements"
pytestmark = pytest.mark.django_db
HEADING = "Date,Type,Description,Paid out,Paid in,Balance\r\n"


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


@pytest.fixture
def sent(accepted, finance, finance2):
    return paid_run(finance, finance2).lines.get()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def albion(*lines: str) -> bytes:
    return (HEADING + "".join(line + "\r\n" for line in lines)).encode("cp1252")


def on(run, days=0) -> str:
    return (run.pay_date + datetime.timedelta(days=days)).strftime("%d/%m/%Y")


def test_a_finance_officer_imports_a_statement_and_sees_it_reconciled(finance_client, sent):
    content = albion(
        f"{on(sent.run)},BACS,{sent.reference} FRIENDS OF ABBEY PARK,£500.00,,",
        f"{on(sent.run)},CHG,Account fee,£7.50,,",
    )
    response = finance_client.post(
        "/finance/statements/",
        {"file": upload("march.csv", content), "layout": "albion"},
        follow=True,
    )
    statement = Statement.objects.get()
    assert f"Statement {statement.pk} imported: 2 lines, 1 matched to payments." in response.text
    matched, left = response.text.split('id="done"')[1], response.text.split('id="done"')[0]
    assert sent.reference in matched and "By reference" in matched.replace(
        "by reference", "By reference"
    )
    assert "Account fee" in left and "Not matched (1)" in left
    assert (
        "CSV, HSBC UK business; account 30-99-50 10203040</dd>" in response.text
    )  # the layout's name, whole


def test_a_bad_file_is_refused_in_the_error_summary_and_nothing_is_imported(finance_client):
    response = finance_client.post(
        "/finance/statements/",
        {
            "file": upload("bad.csv", (DATA / "impossible-date.csv").read_bytes()),
            "layout": "albion",
        },
    )
    assert response.status_code == 400
    assert 'class="govuk-error-summary"' in response.text
    assert (
        "Line 5: &#x27;31/02/2027&#x27; is not a real date in the form dd/mm/yyyy." in response.text
    )
    assert "Nothing was imported." in response.text
    assert not Statement.objects.exists()


def test_the_same_file_again_is_refused_and_changes_nothing(finance_client, sent):
    content = albion(f"{on(sent.run)},BACS,{sent.reference},£500.00,,")
    finance_client.post(
        "/finance/statements/", {"file": upload("a.csv", content), "layout": "albion"}
    )
    response = finance_client.post(
        "/finance/statements/", {"file": upload("a-copy.csv", content), "layout": "albion"}
    )
    assert "This file was imported already" in response.text
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 1


def test_another_layout_is_mapped_column_by_column(finance_client):
    data = {
        "file": upload("mine.csv", (DATA / "albion.csv").read_bytes()),
        "layout": "custom",
        "date_format": "%d/%m/%Y",
    }
    response = finance_client.post("/finance/statements/", data)
    assert "Enter the name of the date column" in response.text
    assert "Enter the amount column, or both the money out and money in columns" in response.text
    data |= {
        "file": upload("mine.csv", (DATA / "albion.csv").read_bytes()),
        "date_column": "date",
        "description_columns": "Type, Description",
        "out_column": "Paid out",
        "in_column": "Paid in",
    }
    finance_client.post("/finance/statements/", data)
    assert Statement.objects.get().line_count == 5


def test_an_ofx_file_needs_no_layout(finance_client):
    finance_client.post(
        "/finance/statements/",
        {"file": upload("march.ofx", (DATA / "statement.ofx").read_bytes()), "layout": "albion"},
    )
    assert Statement.objects.get().format == "ofx"


def test_an_auditor_sees_statements_but_cannot_import(client):
    client.force_login(UserFactory(roles=["Auditor"]))
    page = client.get("/finance/statements/").text
    assert "Import a statement" not in page
    content = (DATA / "albion.csv").read_bytes()
    response = client.post("/finance/statements/", {"file": upload("a.csv", content)})
    assert response.status_code == 403


def test_a_person_matches_a_line_the_rules_left_and_can_undo_it(finance_client, sent):
    content = albion(f"{on(sent.run, 20)},BACS,GRANT ABBEY,£500.00,,")
    finance_client.post(
        "/finance/statements/", {"file": upload("a.csv", content), "layout": "albion"}
    )
    line = StatementLine.objects.get()
    page = finance_client.get(f"/finance/statements/{line.statement_id}/").text
    assert f'<option value="{sent.pk}">{sent.reference}, Friends of Abbey Park' in page
    response = finance_client.post(
        f"/finance/statements/lines/{line.pk}/match/", {"run_line": sent.pk}, follow=True
    )
    assert f"Line {line.number} matched to {sent.reference}: it is cleared." in response.text
    match = Match.objects.get()
    refused = finance_client.post(f"/finance/matches/{match.pk}/undo/", {"reason": ""})
    assert refused.status_code == 400
    assert f'href="#match-{match.pk}-reason"' in refused.text
    assert "Say why the match is wrong." in refused.text
    finance_client.post(f"/finance/matches/{match.pk}/undo/", {"reason": "Not this grant"})
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_setting_a_line_aside_needs_a_note(finance_client, sent):
    finance_client.post(
        "/finance/statements/",
        {"file": upload("a.csv", albion("05/03/2027,CHG,Fee,£7.50,,")), "layout": "albion"},
    )
    line = StatementLine.objects.get()
    refused = finance_client.post(f"/finance/statements/lines/{line.pk}/set-aside/", {"note": ""})
    assert "Say what the line is, since it is not a grant payment." in refused.text
    assert "govuk-input--error" in refused.text
    finance_client.post(f"/finance/statements/lines/{line.pk}/set-aside/", {"note": "Bank fee"})
    line.refresh_from_db()
    assert line.status == "set_aside"


def test_a_returned_payment_is_recorded_from_its_credit_line(finance_client, sent):
    content = albion(
        f"{on(sent.run)},BACS,{sent.reference},£500.00,,",
        f"{on(sent.run, 3)},BGC,RETURNED {sent.reference},,£500.00,",
    )
    finance_client.post(
        "/finance/statements/", {"file": upload("a.csv", content), "layout": "albion"}
    )
    credit = StatementLine.objects.get(amount__gt=0)
    # The credit carries the payment's reference, so the import recorded the return; undone,
    # the line waits for a person, who records it by hand.
    found = Match.objects.get(line=credit)
    assert (found.kind, found.method) == ("returned", "reference")
    finance_client.post(f"/finance/matches/{found.pk}/undo/", {"reason": "To do it by hand"})
    page = finance_client.get(f"/finance/statements/{credit.statement_id}/").text
    assert f"Record as {sent.reference} returned by the bank" in page
    finance_client.post(f"/finance/statements/lines/{credit.pk}/returned/", {"run_line": sent.pk})
    sent.refresh_from_db()
    assert sent.status == "returned"
    assert sent.reference in finance_client.get("/finance/payments/").text.split('id="returned"')[1]


def test_the_statement_page_makes_the_same_queries_for_few_or_many_lines(
    finance_client, sent, finance
):
    from budgets import reconcile

    few = albion(
        f"{on(sent.run, 20)},BACS,A,£3.00,,", f"{on(sent.run)},BACS,{sent.reference},£500.00,,"
    )
    many = albion(*(f"{on(sent.run, 20)},BACS,L{i},£{i + 1}.00,," for i in range(30)))
    for name, content in (("few.csv", few), ("many.csv", many)):
        finance_client.post(
            "/finance/statements/", {"file": upload(name, content), "layout": "albion"}
        )
    first, second = Statement.objects.order_by("pk")
    for line in second.lines.order_by("number")[:6]:
        reconcile.line_set_aside(line=line, by=finance, note="Not a grant")
    counts = []
    for statement in (first, second):
        with CaptureQueriesContext(connection) as queries:
            assert finance_client.get(f"/finance/statements/{statement.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- a run's total and a returned payment, through the pages ----------------------------------


def _import(client, content: bytes, name="statement.csv"):
    from django.urls import reverse

    return client.post(
        reverse("finance:statements"),
        {"file": upload(name, content), "layout": "hsbc"},
        follow=True,
    )


def test_a_runs_single_contra_debit_clears_all_its_payments(finance_client, run_of_two):
    from django.urls import reverse

    from budgets.models import Payment

    response = _import(
        finance_client,
        albion(
            f"{on(run_of_two, 1)},BACS,GRANTS RUN {run_of_two.number} CONTRA,£500.00,,",
            f"{on(run_of_two, 1)},CHG,Account fee,£7.50,,",
        ),
    )
    statement = Statement.objects.get()
    assert f"Statement {statement.pk} imported: 2 lines, 1 matched to payments." in response.text
    lines = list(run_of_two.lines.order_by("reference"))
    assert {(r.status, r.cleared_on) for r in lines} == {
        ("cleared", run_of_two.pay_date + datetime.timedelta(days=1))
    }
    assert set(Payment.objects.values_list("status", flat=True)) == {"cleared"}
    contra = statement.lines.get(number=2)
    assert [(m.method, m.run_id) for m in contra.matches.all()] == [
        ("run_total", run_of_two.pk)
    ] * 2
    page = finance_client.get(reverse("finance:statement", args=[statement.pk])).text
    done = page.split('id="done"')[1]
    assert f"Payment run {run_of_two.number}: 2 payments" in done
    assert "by run total" in done

    # Undone from the page, every payment of the run is sent again.
    match = contra.matches.first()
    finance_client.post(reverse("finance:match_undo", args=[match.pk]), {"reason": "Wrong run"})
    assert set(run_of_two.lines.values_list("status", flat=True)) == {"sent"}
    assert contra.matches.filter(undone_at__isnull=True).count() == 0


def test_a_reference_printed_without_hyphen_or_instalment_clears_the_payment(finance_client, sent):
    grant = sent.reference.split("/")[0].replace("-", "")
    _import(finance_client, albion(f"{on(sent.run)},FPO,FRIENDS OF ABBEY {grant} BGC,£500.00,,"))
    sent.refresh_from_db()
    assert sent.status == "cleared"
    assert Match.objects.get().method == "reference"


def test_a_returned_credit_reopens_the_payment_and_holds_the_group(
    finance_client, sent, accepted, treasurer, finance2
):
    from django.urls import reverse

    from applications import organisations
    from budgets.models import Payment
    from budgets.payments import payment_reissue

    grant = sent.reference.split("/")[0]
    _import(
        finance_client,
        albion(
            f"{on(sent.run)},BACS,{sent.reference},£500.00,,",
            f"{on(sent.run, 3)},BGC,RETURNED {grant.lower()} ACCOUNT CLOSED,,£500.00,",
        ),
    )
    sent.refresh_from_db()
    payment = Payment.objects.get(pk=sent.payment_id)
    assert (sent.status, payment.status) == ("returned", "returned")
    payments_page = finance_client.get(reverse("finance:payments")).text
    assert sent.reference in payments_page.split('id="returned"')[1]

    payment_reissue(payment=payment, by=finance2)
    held = finance_client.get(reverse("finance:payments")).text.split('id="held"')[1]
    assert payment.reference in held.split("</table>")[0]
    assert "was returned by the bank" in held

    account = organisations.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="FRIENDS ABBEY PARK",
        sort_code="309950",
        account_number="87654321",
    )
    organisations.bank_account_verify(bank_account=account, by=finance2, approve=True)
    page = finance_client.get(reverse("finance:payments")).text
    assert "No payment is held." in page


# --- statements as each bank exports them, through the page ---------------------------------


def _bank_upload(finance_client, key: str, content: bytes | None = None, **fields):
    from django.urls import reverse

    content = content if content is not None else (DATA / f"{key}.csv").read_bytes()
    return finance_client.post(
        reverse("finance:statements"),
        {"file": upload(f"{key}.csv", content), "layout": "auto", **fields},
        follow=True,
    )


@pytest.mark.parametrize(
    "key",
    [
        "lloyds", "barclays", "hsbc", "hsbc-headerless", "natwest", "santander",
        "nationwide", "coop", "unity", "metro", "starling", "monzo",
    ],
)  # fmt: skip
def test_each_banks_export_is_imported_through_the_page(finance_client, key):
    from django.urls import reverse

    from fundmgr.money import pounds
    from tests.budgets.test_statement_files import AMBIGUOUS, BANKS

    lines, out, in_, first, last, opening, closing, references = BANKS[key]
    fields = {"layout": key} if key in AMBIGUOUS else {}
    response = _bank_upload(finance_client, key, **fields)
    statement = Statement.objects.get()
    assert f"Statement {statement.pk} imported: {lines} lines" in response.text
    assert (statement.money_out, statement.money_in) == (D(out), D(in_))
    assert (str(statement.first_date), str(statement.last_date)) == (first, last)
    assert statement.opening_balance == (D(opening) if opening else None)
    assert statement.closing_balance == (D(closing) if closing else None)
    assert statement.account == "30-99-50 10203040"
    if opening:
        page = finance_client.get(reverse("finance:statement", args=[statement.pk])).text
        assert f"{pounds(D(opening))} before the first line; {pounds(D(closing))} after" in page
    found = statement.lines.exclude(reference="").values_list("reference", flat=True)
    assert sorted(found) == references


def test_a_heading_two_banks_share_asks_the_officer_to_choose(finance_client):
    response = _bank_upload(finance_client, "santander")
    assert response.status_code == 400
    assert "its heading fits Santander or Co-operative Bank" in response.text
    assert not Statement.objects.exists()


def test_a_broken_bank_file_is_refused_on_the_page_naming_every_row(finance_client):
    # Line 4 loses its balance and the trailing comma that would otherwise stand in for it.
    content = (DATA / "natwest.csv").read_bytes()
    content = content.replace(b"-7.50,9592.50,", b"-7.50,")
    content = content.replace(b'10203040",\r\n03', b'10203040"\r\n03')
    content = content.replace(b"150.00,9742.50,", b"150.00,9742.50,EXTRA,")
    response = _bank_upload(finance_client, "natwest", content)
    assert response.status_code == 400
    assert "Line 4 has 6 columns where the heading has 7" in response.text
    assert "Line 5 has 8 columns where the heading has 7" in response.text
    assert not Statement.objects.exists()


def test_a_redownload_with_other_line_endings_imports_nothing_new(finance_client):
    _bank_upload(finance_client, "hsbc")
    again = (DATA / "hsbc.csv").read_bytes().replace(b"\r\n", b"\n") + b"\n\n"
    response = _bank_upload(finance_client, "hsbc", again)
    assert "Every line of this file was imported already" in response.text
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 3


def test_a_file_without_a_heading_is_mapped_by_column_number_and_remembered(finance_client):
    from budgets.models import BankAccountLayout

    content = (  # no heading; a fourth column no preset has
        b'01/09/2026,"BACS CCIF26-000105/1 THORNBURY FOOD BANK","-22,750.00",X\r\n'
        b'02/09/2026,"INTEREST","12.34",X\r\n'
        b'03/09/2026,"BACS SCOUTS","-250.00",X\r\n'
    )
    response = _bank_upload(
        finance_client,
        "mine",
        content,
        layout="custom",
        headerless="on",
        date_column="1",
        description_columns="2, 4",
        amount_column="3",
    )
    statement = Statement.objects.get()
    assert f"Statement {statement.pk} imported: 3 lines" in response.text
    assert statement.lines.first().description == "BACS CCIF26-000105/1 THORNBURY FOOD BANK X"
    remembered = BankAccountLayout.objects.get()
    assert (remembered.layout, remembered.columns["headerless"]) == ("custom", True)
    later = b'04/09/2026,"FEE","-1.00",X\r\n'
    response = _bank_upload(finance_client, "mine", later)  # auto: the account's last layout
    assert "imported: 1 lines" in response.text
