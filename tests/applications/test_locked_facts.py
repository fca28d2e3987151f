"""The facts a locked read of an application carries (applications.services.lock_application):
built by the rules once for each database and then only given each read's values, they say
what the rules' own annotations, built afresh, say, for every person and either election."""

import datetime

import pytest
from django.db import connection, transaction

from applications import rules, support
from applications import services as s
from applications.models import Application, Membership
from budgets.models import ElectionPeriod
from fundmgr import access, councils
from tests import journeys
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FACTS = [access.FACTS_OF, *(f"conflict_{k}" for k in access.CONFLICT_FACTS), rules.ELECTION_HELD]


def locked_facts(app: Application, user) -> dict:
    with transaction.atomic():
        locked = s.lock_application(app, facts_for=user, election=True)
    return {name: getattr(locked, name) for name in FACTS}


def built_afresh(app: Application, user) -> dict:
    read = (
        Application.objects.annotate(**access.conflict_facts(user, app))
        .annotate(**rules.election_fact(app))
        .get(pk=app.pk)
    )
    return {name: getattr(read, name) for name in FACTS}


def test_the_locked_reads_facts_are_the_rules_own(
    draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    member = UserFactory()
    Membership.objects.create(organisation=draft.organisation, user=member)
    support.interest_declare(
        application=draft, by=officer2, kind="other_registrable", details="I volunteer there"
    )
    people = [officer, officer2, shaw.user, okafor.user, treasurer, member, UserFactory()]
    seen = []
    for held in (False, True):
        if held:
            today = datetime.date.today()
            ElectionPeriod.objects.create(
                council=shaw.ward.council, name="By-election", notice_date=today, polling_day=today
            )
        for person in people:
            facts = locked_facts(draft, person)
            assert facts == built_afresh(draft, person), person
            seen.append(facts)
    # Built once, not afresh on every read (else the first assertion proves nothing).
    assert s._FROZEN[("facts", connection.alias, True, True, councils.scope())] is not None
    # Every fact was seen both ways: none is frozen to what the stand-ins said.
    for name in FACTS[1:]:
        assert len({bool(facts[name]) for facts in seen}) == 2, name
    assert {facts[access.FACTS_OF] for facts in seen} == {p.pk for p in people}


def test_another_application_has_its_own_facts(draft, treasurer, officer, officer2, shaw, okafor):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    other = Application.objects.create(
        fund_year=draft.fund_year,
        organisation=draft.organisation,
        reference="OTHER-000001",
        title="Another",
        purpose="Another",
        created_by=treasurer,
    )
    assert locked_facts(draft, officer)["conflict_assessed"]
    assert not locked_facts(other, officer)["conflict_assessed"]
    assert locked_facts(other, officer) == built_afresh(other, officer)


def test_the_addresses_told_of_a_step_are_the_audiences_own(draft, treasurer, officer, shaw, ward):
    from itertools import combinations

    from applications import transitions
    from tests.factories import CouncillorFactory

    gone = CouncillorFactory(ward=ward, term_end=datetime.date(2026, 5, 1))  # not told
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    other = UserFactory()  # a member of no group: never told
    day = rules.today()
    told = set()
    for n in range(1, len(transitions.AUDIENCES) + 1):
        for audiences in combinations(transitions.AUDIENCES, n):
            got = s.recipients(draft, audiences)
            built = [a for audience in audiences for a in s.KNOWN.get(audience, s._none)(draft)]
            built += list(s._addresses_asked(draft, audiences, day))
            assert sorted(got) == sorted(built), audiences
            assert (
                s._FROZEN[("recipients", connection.alias, audiences, councils.scope())] is not None
            )
            told |= set(got)
    assert {treasurer.email, officer.email, shaw.user.email} <= told
    assert gone.user.email not in told and other.email not in told


def test_a_locked_read_after_the_first_builds_none_of_the_rules_expressions(
    draft, officer, monkeypatch
):
    locked_facts(draft, officer)  # builds and keeps the SQL (and the facts' output fields)
    built = []
    real = s._fact_expressions
    monkeypatch.setattr(s, "_fact_expressions", lambda *a, **k: built.append(a) or real(*a, **k))
    for _ in range(3):
        assert locked_facts(draft, officer) == built_afresh(draft, officer)
    assert built == []
