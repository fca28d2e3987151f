"""`budgets.reconcile._clear`, which every match of money out goes through (set-based on
PostgreSQL, the ORM elsewhere): each run line cleared on its own line's date with its audit
rows, and a step that would clear a payment twice, or one another officer cleared a moment
ago, refused whole."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from budgets import reconcile
from budgets.models import Match, Payment, PaymentEvent, PaymentRunLine, StatementLine
from fundmgr.errors import Refused
from tests.budgets.test_reconcile import _statement_lines, two_instalments
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2", "two_instalments"]
D = Decimal
pytestmark = pytest.mark.django_db


def clearing(line: StatementLine, run_line: PaymentRunLine) -> reconcile.Clearing:
    return reconcile.Clearing(
        line.pk,
        line.statement_id,
        line.number,
        line.date,
        run_line.pk,
        run_line.payment_id,
        run_line.run_id,
        Match.Method.AMOUNT_DATE,
        None,
    )


@pytest.fixture
def sent(two_instalments, finance, finance2):
    """The two £250 instalments sent in one run, and two £250 lines on different days."""
    run = paid_run(finance, finance2)
    first, second = sorted(run.lines.all(), key=lambda r: r.pk)
    days = [run.pay_date + datetime.timedelta(days=n) for n in (1, 2)]
    lines = _statement_lines(
        finance, (days[0], D("-250.00"), "BGC ONE"), (days[1], D("-250.00"), "BGC TWO")
    )
    return run, [first, second], lines


def state():
    return (
        sorted(PaymentRunLine.objects.values_list("pk", "status", "cleared_on")),
        sorted(StatementLine.objects.values_list("pk", "status")),
        sorted(Payment.objects.values_list("pk", "status")),
        Match.objects.count(),
        PaymentEvent.objects.filter(kind=PaymentEvent.Kind.CLEARED).count(),
    )


def test_each_payment_is_cleared_on_its_lines_date_with_a_match_and_an_event(sent, finance):
    run, run_lines, lines = sent
    # In the second run line's order first: the rows follow the pairs, whatever their order.
    reconcile._clear([clearing(lines[1], run_lines[1]), clearing(lines[0], run_lines[0])], finance)
    for line, run_line in zip(lines, run_lines, strict=True):
        run_line.refresh_from_db()
        assert (run_line.status, run_line.cleared_on) == ("cleared", line.date)
        assert Payment.objects.get(pk=run_line.payment_id).status == "cleared"
        line.refresh_from_db()
        assert line.status == StatementLine.Status.MATCHED
        match = Match.objects.get(line=line)
        assert (match.run_line_id, match.method, match.kind, match.run_id) == (
            run_line.pk,
            "amount_date",
            "cleared",
            None,
        )
        assert match.matched_by == finance and match.matched_at is not None
        event = PaymentEvent.objects.get(payment_id=run_line.payment_id, kind="cleared")
        assert (event.run_id, event.by) == (run.pk, finance)
        assert event.note == (
            f"Statement {line.statement_id}, line {line.number}, {line.date:%d/%m/%Y}"
        )
    assert [m.line_id for m in Match.objects.order_by("pk")] == [lines[1].pk, lines[0].pk]


def test_a_run_total_names_the_run_in_the_event(sent, finance):
    run, run_lines, lines = sent
    pairs = [
        clearing(lines[0], r)._replace(method=Match.Method.RUN_TOTAL, run=run.pk) for r in run_lines
    ]
    reconcile._clear(pairs, finance)
    notes = set(PaymentEvent.objects.filter(kind="cleared").values_list("note", flat=True))
    assert notes == {
        f"Statement {lines[0].statement_id}, line {lines[0].number}, "
        f"{lines[0].date:%d/%m/%Y}, the total of run {run.pk:06d}"
    }
    assert set(Match.objects.values_list("run_id", "method")) == {(run.pk, "run_total")}


def test_one_line_clearing_two_payments_is_refused_and_changes_nothing(sent, finance):
    _, run_lines, lines = sent
    before = state()
    with pytest.raises(Refused, match=r"^A payment would be cleared twice: nothing was matched\.$"):
        with transaction.atomic():
            reconcile._clear([clearing(lines[0], r) for r in run_lines], finance)
    assert state() == before


def test_a_payment_cleared_a_moment_ago_refuses_the_whole_step(sent, finance):
    _, run_lines, lines = sent
    reconcile.match_by_hand(line=lines[0], run_line=run_lines[0], by=finance)
    before = state()
    pairs = [clearing(lines[1], run_lines[1]), clearing(lines[1], run_lines[0])]
    with pytest.raises(Refused, match=r"^Another officer matched some of these payments"):
        with transaction.atomic():
            reconcile._clear(pairs, finance)
    assert state() == before
