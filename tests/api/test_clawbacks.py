"""The API's clawbacks: finance officers raise a request where a grant owes money back and record
refunds (posted to the ledger), through the same services as the clawback pages; auditors read;
nobody else sees them. A refusal changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import services as s
from budgets.models import Clawback, ClawbackRefund, LedgerTransaction
from finance import clawbacks
from fundmgr.models import Notification
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2", "other_group", "people"]
pytestmark = pytest.mark.django_db
D = Decimal

#            anon app  other cllr ocllr grants fin  audit panel
READ = [401, 403, 403, 403, 403, 403, 200, 200, 403]
CHANGE = [401, 403, 403, 403, 403, 403, 201, 403, 403]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reported(accepted, finance, finance2, treasurer):
    """The £500 grant paid, and the group reports spending £400: £100 unspent (threshold £50)."""
    paid_run(finance, finance2)
    accepted.refresh_from_db()
    s.monitoring_report_submit(
        application=accepted,
        by=treasurer,
        amount_spent=D("400.00"),
        outcomes="Two benches, not three",
        people_reached=80,
    )
    return accepted


@pytest.fixture
def raised(reported, finance):
    return clawbacks.clawback_raise(application=reported, by=finance)


def state() -> tuple:
    return (
        list(Clawback.objects.values_list("pk", "status", "amount", "received")),
        ClawbackRefund.objects.count(),
        LedgerTransaction.objects.filter(kind="refund").count(),
    )


def test_who_may_read_clawbacks(people, raised):
    for url in (
        f"{API}/clawbacks/",
        f"{API}/clawbacks/{raised.pk}/",
        f"{API}/clawbacks/underspends/",
    ):
        got = {role: client_for(people[role]).get(url).status_code for role in ROLES}
        assert got == dict(zip(ROLES, READ, strict=True)), url


def test_underspends_say_what_is_owed_and_whether_a_request_is_due(people, reported):
    rows = client_for(people["auditor"]).get(f"{API}/clawbacks/underspends/").json()
    row = next(r for r in rows if r["reference"] == reported.reference)
    assert (row["paid"], row["spent"], row["owed"], row["due"], row["clawback"]) == (
        "500.00",
        "400.00",
        "100.00",
        True,
        None,
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_may_raise_a_clawback_and_a_refusal_changes_nothing(people, reported, role):
    before = state()
    response = client_for(people[role]).post(f"{API}/clawbacks/", {"reference": reported.reference})
    assert response.status_code == dict(zip(ROLES, CHANGE, strict=True))[role], response.content
    if response.status_code == 201:
        body = response.json()
        assert (body["amount"], body["status"], body["reference"]) == (
            "100.00",
            "requested",
            reported.reference,
        )
        assert Notification.objects.filter(
            subject=f"{reported.reference}: please repay £100.00"
        ).exists()
    else:
        assert response["Content-Type"] == PROBLEM
        assert state() == before
        assert not Notification.objects.filter(subject__contains="please repay").exists()


def test_a_grant_that_owes_nothing_or_has_a_request_is_refused(people, raised, draft):
    finance = client_for(people["finance officer"])
    again = finance.post(f"{API}/clawbacks/", {"reference": raised.reference})
    assert again.status_code == 409, again.content
    assert "already has a clawback request" in again.json()["detail"]
    other = people["other applicant"].organisations.first().applications.first()
    nothing = finance.post(f"{API}/clawbacks/", {"reference": other.reference})
    assert nothing.status_code == 409
    assert (
        nothing.json()["detail"] == f"{other.reference} owes nothing back under the fund's rules."
    )
    unknown = finance.post(f"{API}/clawbacks/", {"reference": "NOPE-1"})
    assert unknown.status_code == 400 and "reference" in unknown.json()["errors"]
    assert Clawback.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_who_may_record_a_refund_and_a_refusal_changes_nothing(people, raised, role):
    before = state()
    response = client_for(people[role]).post(
        f"{API}/clawbacks/{raised.pk}/refunds/",
        {"amount": "60.00", "received_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == dict(zip(ROLES, CHANGE, strict=True))[role], response.content
    if response.status_code == 201:
        body = response.json()
        assert (body["received"], body["outstanding"], body["status"]) == (
            "60.00",
            "40.00",
            "requested",
        )
        assert [r["amount"] for r in body["refunds"]] == ["60.00"]
        assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    else:
        assert response["Content-Type"] == PROBLEM
        assert state() == before


def test_refunds_to_the_full_amount_repay_the_request(people, raised):
    finance = client_for(people["finance officer"])
    today = timezone.localdate().isoformat()
    for amount in ("60.00", "40.00"):
        response = finance.post(
            f"{API}/clawbacks/{raised.pk}/refunds/", {"amount": amount, "received_on": today}
        )
        assert response.status_code == 201, response.content
    assert response.json()["status"] == "repaid"
    late = finance.post(
        f"{API}/clawbacks/{raised.pk}/refunds/", {"amount": "1.00", "received_on": today}
    )
    assert late.status_code == 409
    assert LedgerTransaction.objects.filter(kind="refund").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "100.01", "received_on": "{today}"},  # more than is owed
        {"amount": "1.00", "received_on": "{tomorrow}"},
        {"amount": "0.00", "received_on": "{today}"},
        {"amount": "1.001", "received_on": "{today}"},
        {"amount": "NaN", "received_on": "{today}"},
        {"amount": "1.00"},
        {"amount": "1.00", "received_on": "{today}", "statement_line": 999999},
    ],
)
def test_a_bad_refund_is_a_400_and_posts_nothing(people, raised, body):
    today = timezone.localdate()
    days = {"{today}": today, "{tomorrow}": today + datetime.timedelta(days=1)}
    data = {k: days[v].isoformat() if v in days else v for k, v in body.items()}
    before = state()
    response = client_for(people["finance officer"]).post(
        f"{API}/clawbacks/{raised.pk}/refunds/", data
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert state() == before


def test_an_unknown_clawback_is_404(people, raised):
    response = client_for(people["finance officer"]).post(
        f"{API}/clawbacks/{raised.pk + 1}/refunds/",
        {"amount": "1.00", "received_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
