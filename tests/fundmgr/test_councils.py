"""Councils on one service (issue 18): what each council's scope lets code read and whom it
tells, checked on the embedded database (tests/postgres/test_council_security.py checks the
database's own policies)."""

from __future__ import annotations

import pytest

from applications import services
from fundmgr import councils
from fundmgr.roles import Role, give_role, holders
from tests.councils_fixtures import two_councils
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    return two_councils()


def test_a_role_at_one_council_does_not_make_its_holder_one_at_another(made):
    a, b = made["a"], made["b"]
    both = UserFactory(username="shared-officer")
    give_role(both, Role.GRANTS_OFFICER, a.council)
    give_role(both, Role.FINANCE_OFFICER, b.council)
    assert both in holders(Role.GRANTS_OFFICER, a.council.pk)
    assert both not in holders(Role.GRANTS_OFFICER, b.council.pk)
    assert both in holders(Role.FINANCE_OFFICER, b.council.pk)
    assert both not in holders(Role.FINANCE_OFFICER, a.council.pk)


@pytest.mark.parametrize("first", ["a", "b"])
def test_those_told_of_a_step_are_the_bids_own_councils_whichever_council_asked_first(made, first):
    """The addresses' SQL is built once per scope and reused (applications.services._frozen):
    built for one council's bid, it must not tell another council's bid to the first one's staff."""
    services._FROZEN.clear()
    order = [first, "b" if first == "a" else "a"]
    told = {}
    for key in order:
        with councils.acting_for(made[key].council):
            told[key] = set(services.recipients(made[key].app, ("officers", "councillors")))
    for key, other in (("a", "b"), ("b", "a")):
        assert made[key].officer.email in told[key]
        assert made[key].councillor.email in told[key]
        assert made[other].officer.email not in told[key]
        assert made[other].councillor.email not in told[key]
    # Each council's SQL was built in its own scope and kept (else this proves nothing).
    assert {key[-1] for key in services._FROZEN if services._FROZEN[key]} == {
        made["a"].council.pk,
        made["b"].council.pk,
    }


def test_a_council_closing_its_year_leaves_the_other_councils_year_open(made):
    """Year end is each council's own: `close_year --council council-a` closes a's fund years
    and posts a's year-end, and b can still post to its own year."""
    import io
    from decimal import Decimal

    from django.core.management import CommandError, call_command

    from budgets import ledger
    from budgets.models import FundYear, YearEnd

    a, b = made["a"], made["b"]
    with pytest.raises(CommandError, match="several councils"):
        call_command("close_year", "2026/27", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No council has the slug 'nowhere'"):
        call_command("close_year", "2026/27", "--council", "nowhere", stdout=io.StringIO())
    out = io.StringIO()
    call_command("close_year", "2026/27", "--council", "council-a", stdout=out)
    assert "2026/27 closed" in out.getvalue()
    assert list(YearEnd.objects.values_list("council_id", flat=True)) == [a.council.pk]
    closed = dict(FundYear.objects.values_list("council_id", "is_closed"))
    assert closed == {a.council.pk: True, b.council.pk: False}
    with councils.acting_for(b.council):
        fund_year = FundYear.objects.get()
        ledger.budget_set(fund_year=fund_year, total=Decimal("6000.00"), by=None)
    with councils.acting_for(a.council), pytest.raises(CommandError, match="already closed"):
        call_command("close_year", "2026/27", stdout=io.StringIO())


def test_the_ledger_check_finds_a_fund_year_whose_state_disagrees_with_its_councils(made):
    from budgets.integrity import ledger_violations
    from budgets.models import FundYear

    assert ledger_violations() == []
    FundYear.objects.filter(council=made["b"].council).update(is_closed=True)
    assert ledger_violations() == [
        "CCIFB 2026/27 is marked closed, but its council has not closed 2026/27."
    ]


def test_a_fund_code_another_council_uses_is_refused_by_the_form_not_the_database(made):
    """Fund codes start references, which are unique on the whole service: council b's form
    is told the code is taken although b cannot see a's fund."""
    from django.core.exceptions import ValidationError

    from budgets.models import Fund

    with councils.acting_for(made["b"].council):
        assert not Fund.objects.filter(code="CCIFA").exists()  # a's, out of b's sight
        fund = Fund(council=made["b"].council, kind="ccif", name="Borrowed", code="CCIFA")
        with pytest.raises(ValidationError) as refused:
            fund.full_clean()
        assert "code" in refused.value.message_dict
        fund.code = "CCIFC"
        fund.full_clean()
