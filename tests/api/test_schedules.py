"""The API's payment schedules: grants and finance officers set an accepted grant's instalments
and mark an instalment's condition met, through the same services as the finance pages;
auditors read; nobody else sees a grant's payments."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from budgets import payments as money
from budgets.models import Payment
from finance import payments as pay
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people
from tests.payments_fixtures import accepted, next_weekday

__all__ = ["accepted", "other_group", "people"]
pytestmark = pytest.mark.django_db
D = Decimal

#            anon app  other cllr ocllr grants fin  audit panel
READ = [401, 403, 403, 403, 403, 200, 200, 200, 403]
CHANGE = [401, 403, 403, 403, 403, 200, 200, 403, 403]


def two_halves(day: str) -> dict:
    return {
        "instalments": [
            {"amount": "250.00", "due_on": day},
            {"amount": "250.00", "due_on": day, "condition": "Photographs of the new path"},
        ]
    }


def rows(reference: str) -> list[tuple]:
    return list(
        Payment.objects.filter(schedule__reference=reference)
        .order_by("number")
        .values_list("number", "amount", "condition", "status", "condition_met_at")
    )


def tag_read(people, reference: str) -> str:
    """The schedule's ETag, as a finance officer's program reads it."""
    response = client_for(people["finance officer"]).get(f"{API}/payment-schedules/{reference}/")
    assert response.status_code == 200, response.content
    return response["ETag"]


def put_instalments(client, people, reference: str, body, **headers):
    headers.setdefault("HTTP_IF_MATCH", tag_read(people, reference))
    return client.put(f"{API}/payment-schedules/{reference}/instalments/", body, **headers)


@pytest.fixture
def conditional(accepted, officer):
    """The grant in two halves, the second waiting for evidence."""
    day = next_weekday()
    pay.instalments_set(
        application=accepted,
        by=officer,
        instalments=[
            money.Instalment(D("250.00"), day),
            money.Instalment(D("250.00"), day, "Photographs of the new path"),
        ],
    )
    return accepted


def test_who_may_read_a_grants_payments(people, accepted):
    for url in (f"{API}/payment-schedules/", f"{API}/payment-schedules/{accepted.reference}/"):
        got = {role: client_for(people[role]).get(url).status_code for role in ROLES}
        assert got == dict(zip(ROLES, READ, strict=True)), url


@pytest.mark.parametrize("role", ROLES)
def test_who_may_set_instalments_and_a_refusal_changes_nothing(people, accepted, role):
    before = rows(accepted.reference)
    response = put_instalments(
        client_for(people[role]), people, accepted.reference, two_halves(next_weekday().isoformat())
    )
    assert response.status_code == dict(zip(ROLES, CHANGE, strict=True))[role], response.content
    if response.status_code == 200:
        assert [(p["amount"], p["condition"]) for p in response.json()["payments"]] == [
            ("250.00", ""),
            ("250.00", "Photographs of the new path"),
        ]
    else:
        assert response["Content-Type"] == PROBLEM
        assert rows(accepted.reference) == before


@pytest.mark.parametrize("role", ROLES)
def test_who_may_mark_a_condition_met_and_a_refusal_changes_nothing(people, conditional, role):
    before = rows(conditional.reference)
    response = client_for(people[role]).post(
        f"{API}/payment-schedules/{conditional.reference}/payments/2/condition-met/",
        {"note": "Photographs received"},
    )
    assert response.status_code == dict(zip(ROLES, CHANGE, strict=True))[role], response.content
    if response.status_code == 200:
        assert response.json()["condition_met"] is True
        assert rows(conditional.reference)[1][4] is not None
    else:
        assert response["Content-Type"] == PROBLEM
        assert rows(conditional.reference) == before


def test_a_met_condition_makes_the_instalment_due(people, conditional):
    finance = client_for(people["finance officer"])
    ref = f"{conditional.reference}/2"
    assert ref not in str(finance.get(f"{API}/payment-runs/due/").json()["due"])
    met = client_for(people["grants officer"]).post(
        f"{API}/payment-schedules/{conditional.reference}/payments/2/condition-met/", {}
    )
    assert met.status_code == 200, met.content
    assert ref in str(finance.get(f"{API}/payment-runs/due/").json()["due"])
    again = client_for(people["grants officer"]).post(
        f"{API}/payment-schedules/{conditional.reference}/payments/2/condition-met/", {}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == f"The condition of {ref} was marked met already."


def test_an_instalment_with_no_condition_is_refused(people, conditional):
    response = client_for(people["grants officer"]).post(
        f"{API}/payment-schedules/{conditional.reference}/payments/1/condition-met/", {}
    )
    assert response.status_code == 409


def test_an_instalment_that_does_not_exist_is_404(people, conditional):
    response = client_for(people["grants officer"]).post(
        f"{API}/payment-schedules/{conditional.reference}/payments/7/condition-met/", {}
    )
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "body",
    [
        {"instalments": [{"amount": "400.00", "due_on": "{day}"}]},  # not the whole award
        {"instalments": []},
        {"instalments": [{"amount": "500.001", "due_on": "{day}"}]},
        {"instalments": [{"amount": "-500.00", "due_on": "{day}"}]},
        {"instalments": [{"amount": "500.00", "due_on": "31/12/2026"}]},
        {"instalments": [{"amount": "NaN", "due_on": "{day}"}]},
        {"instalments": [{"amount": "50.00", "due_on": "{day}"}] * 10},
        {"instalments": "500"},
        {},
    ],
)
def test_bad_instalments_are_a_400_naming_the_field(people, accepted, body):

    day = next_weekday().isoformat()
    data = json.loads(json.dumps(body).replace("{day}", day))
    before = rows(accepted.reference)
    response = put_instalments(
        client_for(people["finance officer"]), people, accepted.reference, data
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert all(name.startswith("instalments") for name in response.json()["errors"])
    assert rows(accepted.reference) == before


def test_instalments_of_a_grant_not_yet_accepted_are_refused(people, accepted):
    tag = tag_read(people, accepted.reference)
    type(accepted).objects.filter(pk=accepted.pk).update(status="completed")
    response = put_instalments(
        client_for(people["finance officer"]),
        people,
        accepted.reference,
        two_halves(next_weekday().isoformat()),
        HTTP_IF_MATCH=tag,
    )
    assert response.status_code == 409


def test_setting_instalments_needs_the_etag_read_and_a_stale_one_changes_nothing(people, accepted):
    """Two officers read the schedule; the first to set it wins and the second is told to read
    it again, rather than silently replacing the first one's instalments."""
    grants = client_for(people["grants officer"])
    finance = client_for(people["finance officer"])
    url = f"{API}/payment-schedules/{accepted.reference}/"
    read = grants.get(url)["ETag"]
    assert read == finance.get(url)["ETag"] and read.startswith('"')
    day = next_weekday().isoformat()

    missing = grants.put(f"{url}instalments/", two_halves(day))
    assert missing.status_code == 428 and missing["Content-Type"] == PROBLEM
    assert "If-Match" in missing.json()["detail"]

    first = grants.put(f"{url}instalments/", two_halves(day), HTTP_IF_MATCH=read)
    assert first.status_code == 200, first.content
    assert first["ETag"] != read and first["ETag"] == finance.get(url)["ETag"]
    after_first = rows(accepted.reference)

    whole = {"instalments": [{"amount": "500.00", "due_on": day}]}
    second = finance.put(f"{url}instalments/", whole, HTTP_IF_MATCH=read)
    assert second.status_code == 412 and second["Content-Type"] == PROBLEM
    assert "read it again" in second.json()["detail"]
    assert rows(accepted.reference) == after_first

    again = finance.put(f"{url}instalments/", whole, HTTP_IF_MATCH=first["ETag"])
    assert again.status_code == 200, again.content
    assert [(p["amount"], p["status"]) for p in again.json()["payments"]] == [
        ("500.00", "scheduled"),
        ("250.00", "cancelled"),
    ]


def test_marking_a_condition_met_changes_the_schedules_etag(people, conditional):
    url = f"{API}/payment-schedules/{conditional.reference}/"
    finance = client_for(people["finance officer"])
    before = finance.get(url)["ETag"]
    met = finance.post(f"{url}payments/2/condition-met/", {})
    assert met.status_code == 200, met.content
    assert finance.get(url)["ETag"] != before
