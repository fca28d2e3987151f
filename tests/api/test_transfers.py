"""The API's allocation transfers: a councillor gives part of their own allocation to a colleague
of the same ward, through `support.councillor_transfer` as the transfer page does, with the
page's choices; nobody else may; a refusal moves nothing; the same key never moves money twice."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from applications import support
from budgets import ledger
from budgets.models import Councillor, LedgerTransaction
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db
D = Decimal
URL = f"{API}/allocation-transfers/"

#         anon app  other cllr ocllr grants fin  audit panel
MAY = [401, 403, 403, 201, 409, 403, 403, 403, 403]


def balances(fund_year, *councillors) -> list[Decimal]:
    return [ledger.allocation_account(fund_year, c).balance for c in councillors]


def body(fund_year, to, amount="150.00", key=None) -> dict:
    return {
        "key": str(key or uuid.uuid4()),
        "fund_year": fund_year.pk,
        "to_councillor": to.pk,
        "amount": amount,
    }


@pytest.mark.parametrize("role", ROLES)
def test_who_may_transfer_and_a_refusal_moves_nothing(people, fund_year, shaw, okafor, role):
    before = balances(fund_year, shaw, okafor)
    transfers = LedgerTransaction.objects.filter(kind="transfer").count()
    response = client_for(people[role]).post(URL, body(fund_year, okafor))
    assert response.status_code == dict(zip(ROLES, MAY, strict=True))[role], response.content
    if response.status_code == 201:
        got = response.json()
        assert (got["from_councillor"], got["to_councillor"], got["amount"]) == (
            shaw.pk,
            okafor.pk,
            "150.00",
        )
        assert balances(fund_year, shaw, okafor) == [before[0] - 150, before[1] + 150]
    else:
        assert response["Content-Type"] == PROBLEM
        assert balances(fund_year, shaw, okafor) == before
        assert LedgerTransaction.objects.filter(kind="transfer").count() == transfers


def test_the_same_key_answers_the_first_transfer_and_moves_nothing_more(
    client, people, fund_year, shaw, okafor
):
    client = client_for(people["ward councillor"])
    key = uuid.uuid4()
    first = client.post(URL, body(fund_year, okafor, key=key))
    assert first.status_code == 201, first.content
    again = client.post(URL, body(fund_year, okafor, key=key))
    assert again.status_code == 200 and again.json() == first.json()
    assert balances(fund_year, shaw, okafor) == [D("850.00"), D("1150.00")]
    # The key is the page's: the councillor's "transferred" page shows this transfer.
    assert LedgerTransaction.objects.filter(idempotency_key=f"transfer:{key}").count() == 1
    client.force_login(shaw.user)
    page = client.get(f"/councillor/transfer/{key}/")
    assert page.status_code == 200 and "Priya Okafor" in page.text


def test_someone_elses_key_is_not_theirs_to_read(people, fund_year, shaw, okafor):
    key = uuid.uuid4()
    support.councillor_transfer(
        fund_year=fund_year,
        from_councillor=okafor,
        to_councillor=shaw,
        amount=D("10.00"),
        by=okafor.user,
        key=f"transfer:{key}",
    )
    response = client_for(people["ward councillor"]).post(URL, body(fund_year, okafor, key=key))
    assert response.status_code == 400 and "key" in response.json()["errors"]
    assert balances(fund_year, shaw, okafor) == [D("1010.00"), D("990.00")]


def test_only_a_ward_colleague_may_receive(people, fund_year, shaw, okafor, other_group):
    stranger = Councillor.objects.get(user=people["other councillor"])
    for to, field in ((stranger, "to_councillor"), (shaw, "to_councillor")):
        response = client_for(people["ward councillor"]).post(URL, body(fund_year, to))
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == [field]
    assert balances(fund_year, shaw, okafor) == [D("1000.00"), D("1000.00")]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"fund_year": 999999}, "fund_year"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"key": "not-a-uuid"}, "key"),
        ({"to_councillor": "x"}, "to_councillor"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(people, fund_year, shaw, okafor, change, field):
    response = client_for(people["ward councillor"]).post(
        URL, {**body(fund_year, okafor), **change}
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
    assert balances(fund_year, shaw, okafor) == [D("1000.00"), D("1000.00")]


def test_more_than_is_free_is_refused_with_what_is(people, fund_year, shaw, okafor):
    response = client_for(people["ward councillor"]).post(
        URL, body(fund_year, okafor, amount="1000.01")
    )
    assert response.status_code == 409, response.content
    assert balances(fund_year, shaw, okafor) == [D("1000.00"), D("1000.00")]
