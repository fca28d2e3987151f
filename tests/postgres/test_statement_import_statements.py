"""On PostgreSQL: importing a bank statement saves its lines and clears its payments in the
same number of SQL statements whatever the number of lines (budgets.statement_imports'
INSERT ... SELECT FROM unnest(), budgets.reconcile's set-based `_clear`)."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import reconcile
from budgets.models import Match, PaymentEvent, PaymentRunLine, StatementLine
from budgets.statement_imports import array_literal
from devtools.benchmarks.reconcile import LAYOUT, make, seed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def imported(lines: int) -> tuple[list[str], int]:
    """The statements of importing the benchmark's statement of `lines` lines (every payment
    sent, runs paid as one debit, strays), on a database holding just its payments; and how
    many lines were matched."""
    call_command("flush", interactive=False, verbosity=0)
    payments, runs, content = make(lines)
    finance = seed(payments, runs, out=lambda *args: None)
    with CaptureQueriesContext(connection) as queries:
        result = reconcile.statement_import(
            content=content, filename="statement.csv", by=finance, layout=LAYOUT
        )
    assert StatementLine.objects.count() == lines
    cleared = PaymentRunLine.objects.filter(status=PaymentRunLine.Status.CLEARED)
    assert Match.objects.count() == cleared.count() > result.matched > lines // 2
    assert PaymentEvent.objects.filter(kind=PaymentEvent.Kind.CLEARED).count() == cleared.count()
    assert not cleared.filter(cleared_on__isnull=True).exists()
    return [q["sql"].split(" ", 1)[0] for q in queries.captured_queries], result.matched


@pytest.mark.slow
def test_importing_10_or_200_lines_takes_the_same_statements(on_postgres):
    small, matched_small = imported(10)
    large, matched_large = imported(200)
    assert matched_large > matched_small
    assert Counter(large) == Counter(small), (Counter(small), Counter(large))


def test_array_literals_reach_postgresql_as_the_values_were(on_postgres):
    texts = [
        'a "quoted" word',
        "back\\slash \\\\ twice",
        "NULL",
        "",
        "{braces}, commas",
        "£ é ü",
        None,
    ]
    numbers = [0, -1, 2**40, None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(t ORDER BY n), (SELECT array_agg(x ORDER BY m) FROM "
            "unnest(%s::bigint[]) WITH ORDINALITY AS y(x, m)) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS v(t, n)",
            [array_literal(numbers), array_literal(texts, text=True)],
        )
        assert cursor.fetchone() == (texts, numbers)
