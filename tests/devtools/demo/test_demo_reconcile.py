"""On the demo: grants paid through payment runs, a payment held for changed bank details, and
fixtures/demo-statement.csv importing and reconciling."""

from pathlib import Path

import pytest
from django.conf import settings

from budgets import reconcile
from budgets.integrity import ledger_violations
from budgets.models import Payment, PaymentRun, PaymentRunLine, StatementLine
from budgets.statement_files import PRESETS
from finance import payments as pay
from fundmgr.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
STATEMENT = Path(settings.BASE_DIR) / "fixtures" / "demo-statement.csv"


@pytest.fixture(autouse=True)
def in_thornbury(demo):
    """The demo's first council, Thornbury Vale, read in its scope (the demo also holds
    Ashcombe, whose statement and figures these are not)."""
    from fundmgr import councils
    from fundmgr.models import Council

    with councils.acting_for(Council.objects.get(slug="thornbury-vale")):
        yield


def test_the_demos_grants_were_paid_through_runs_authorised_by_a_second_officer(demo):
    runs = PaymentRun.objects.filter(status="authorised")
    assert runs.count() >= 40
    assert all(run.prepared_by_id != run.authorised_by_id for run in runs)
    assert {run.files.count() for run in runs} == {2}
    assert ledger_violations() == []


def test_the_demo_has_payments_due_and_one_held_for_changed_bank_details(demo):
    due = pay.payable()
    assert len(due.due) >= 3
    assert [r.application.organisation.name for r in due.held] == ["Deanery Arts Collective CIC"]
    assert "changed" in due.held[0].reason
    assert due.waiting and due.stopped


def test_the_demo_statement_imports_and_reconciles(demo):
    finance = User.objects.get(username="finance")
    result = reconcile.statement_import(
        content=STATEMENT.read_bytes(),
        filename=STATEMENT.name,
        by=finance,
        layout=PRESETS["albion"],
    )
    lines = StatementLine.objects.filter(statement=result.statement)
    with_reference = lines.exclude(reference="").filter(amount__lt=0)
    assert with_reference.count() >= 80
    assert not with_reference.filter(status="unmatched").exists()  # all by reference
    left = lines.filter(status="unmatched")
    assert {line.description for line in left if line.amount > 0} >= {
        "INT Interest on credit balance"
    }
    # The two lines the bank sent without a reference: matched by amount, or offered by hand.
    for line in left.filter(amount__lt=0).exclude(description__startswith="CHG"):
        assert reconcile.suggestions([line])[line.pk], line.description
    # The payment the bank sent back carries its reference: recorded as returned.
    returned = lines.get(description__startswith="BGC RETURNED")
    assert returned.status == "returned"
    assert returned.matches.get().method == "reference"
    assert PaymentRunLine.objects.filter(status="cleared").count() >= 80
    assert Payment.objects.filter(status="cleared").count() >= 80


@pytest.mark.parametrize(
    "url",
    [
        "/finance/",
        "/finance/payments/",
        "/finance/runs/",
        "/finance/bank-details/",
        "/finance/statements/",
        "/finance/reconciliation/",
    ],
)
def test_the_finance_pages_open_on_the_demo(demo, client, url):
    client.force_login(User.objects.get(username="finance"))
    assert client.get(url).status_code == 200
