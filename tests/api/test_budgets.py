"""The API's money core, read side: financial years, funds and their rules, wards, councillors,
budgets (balances and statements) and the ledger, each seen by whom the pages show it to."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from budgets.models import (
    Account,
    Councillor,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
)
from fundmgr.models import User
from tests.factories import CouncilFactory, UserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def client_for(user: User | None) -> APIClient:
    """A program calling with the user's API token (or with none)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def people(busy, shaw, okafor, treasurer, officer, finance, administrator):
    return {
        "anonymous": None,
        "applicant": treasurer,
        "councillor": shaw.user,
        "grants officer": officer,
        "finance officer": finance,
        "auditor": UserFactory(username="auditor", roles=["Auditor"]),
        "administrator": administrator,
    }


def allocation(fund_year, councillor) -> Account:
    return Account.objects.get(fund_year=fund_year, kind="allocation", councillor=councillor)


# --- who may read what: one row per endpoint, one column per role ---------------------------

ROLES = [
    "anonymous",
    "applicant",
    "councillor",
    "grants officer",
    "finance officer",
    "auditor",
    "administrator",
]
#  endpoint                            anon app  cllr  grants finance audit admin
MATRIX = [
    ("financial-years/", [401, 200, 200, 200, 200, 200, 200]),
    ("funds/", [401, 200, 200, 200, 200, 200, 200]),
    ("fund-years/", [401, 200, 200, 200, 200, 200, 200]),
    ("fund-years/{fy}/", [401, 200, 200, 200, 200, 200, 200]),
    ("fund-years/{fy}/overview/", [401, 403, 403, 200, 200, 200, 200]),
    ("wards/", [401, 200, 200, 200, 200, 200, 200]),
    ("councillors/", [401, 200, 200, 200, 200, 200, 200]),
    ("budgets/", [401, 403, 200, 200, 200, 200, 200]),
    ("budgets/{own}/", [401, 403, 200, 200, 200, 200, 200]),
    ("budgets/{own}/statement/", [401, 403, 200, 200, 200, 200, 200]),
    # Another councillor's budget: not yours, so not found (as a guessed id should be).
    ("budgets/{other}/", [401, 403, 404, 200, 200, 200, 200]),
    ("budgets/{other}/statement/", [401, 403, 404, 200, 200, 200, 200]),
    ("ledger-transactions/", [401, 403, 403, 200, 200, 200, 200]),
    ("ledger-transactions/{posting}/", [401, 403, 403, 200, 200, 200, 200]),
]


@pytest.mark.parametrize(("endpoint", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_who_may_read_each_resource(people, busy, shaw, okafor, endpoint, expected):
    url = (
        API
        + "/"
        + endpoint.format(
            fy=busy.pk,
            own=allocation(busy, shaw).pk,
            other=allocation(busy, okafor).pk,
            posting=LedgerTransaction.objects.first().pk,
        )
    )
    got = [client_for(people[role]).get(url).status_code for role in ROLES]
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


@pytest.mark.parametrize(
    "endpoint", ["funds/", "fund-years/{fy}/", "ledger-transactions/", "budgets/{own}/"]
)
@pytest.mark.parametrize("role", ROLES)
def test_nothing_here_can_be_changed(people, busy, shaw, endpoint, role):
    url = API + "/" + endpoint.format(fy=busy.pk, own=allocation(busy, shaw).pk)
    client = client_for(people[role])
    answers = {client.post(url, {}).status_code, client.delete(url).status_code}
    if role == "anonymous":
        assert answers == {401}
    else:
        assert answers <= {403, 405}


def test_a_refusal_is_a_problem_document_with_the_reason(people):
    response = client_for(people["applicant"]).get(f"{API}/ledger-transactions/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "Only council officers and auditors can see every budget and the ledger."
    )


# --- what they read -------------------------------------------------------------------------


def test_a_councillor_lists_only_their_own_budgets_with_money_as_strings(people, busy, shaw):
    body = client_for(people["councillor"]).get(f"{API}/budgets/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["councillor"] == {"id": shaw.pk, "name": "Sam Shaw"}
    assert row["fund_year"]["label"] == "CCIF 2026/27"
    assert row["ward"]["gss_code"] == shaw.ward.gss_code
    # £1,000 allocated + £150 in - £400 committed; £100 of that paid.
    assert (row["available"], row["committed"], row["paid"]) == ("750.00", "300.00", "100.00")


def test_an_officer_lists_every_budget_and_filters_by_councillor(people, busy, shaw, okafor):
    client = client_for(people["grants officer"])
    assert client.get(f"{API}/budgets/").json()["count"] == 2
    body = client.get(f"{API}/budgets/", {"councillor": okafor.pk}).json()
    assert [r["councillor"]["name"] for r in body["results"]] == ["Priya Okafor"]
    assert body["results"][0]["available"] == "850.00"


def test_the_statement_lists_each_posting_with_a_running_balance(people, busy, shaw):
    url = f"{API}/budgets/{allocation(busy, shaw).pk}/statement/"
    body = client_for(people["councillor"]).get(url).json()
    assert [(r["kind"], r["amount"], r["balance"]) for r in body["rows"]] == [
        ("allocation", "1000.00", "1000.00"),
        ("transfer", "150.00", "1150.00"),
        ("commitment", "-400.00", "750.00"),
    ]
    assert (body["allocated"], body["transfers_in"], body["commitments"]) == (
        "1000.00",
        "150.00",
        "400.00",
    )
    assert (body["available"], body["committed"], body["paid"]) == ("750.00", "300.00", "100.00")


def test_the_overview_shows_every_councillor_and_the_pot(people, busy):
    body = client_for(people["auditor"]).get(f"{API}/fund-years/{busy.pk}/overview/").json()
    assert [(r["councillor"]["name"], r["available"]) for r in body["rows"]] == [
        ("Priya Okafor", "850.00"),
        ("Sam Shaw", "750.00"),
    ]
    assert body["pot"] == "8000.00"
    assert body["totals"]["available"] == "1600.00"


def test_a_fund_year_carries_its_rules(people, busy):
    body = client_for(people["applicant"]).get(f"{API}/fund-years/{busy.pk}/").json()
    assert body["fund"]["code"] == "CCIF"
    assert body["year"]["label"] == "2026/27"
    assert (body["min_award"], body["max_award"], body["total_budget"]) == (
        "50.00",
        "1500.00",
        "10000.00",
    )
    assert body["funded_from"] == "allocations" and body["cost_code"] == "R4410-7310"


def test_fund_years_filter_by_fund_code_and_year(people, busy):
    client = client_for(people["applicant"])
    assert (
        client.get(f"{API}/fund-years/", {"fund": "ccif", "year": "2026/27"}).json()["count"] == 1
    )
    assert client.get(f"{API}/fund-years/", {"year": "2027/28"}).json()["count"] == 0


def test_only_officers_see_a_councillors_email_address(people, shaw):
    url = f"{API}/councillors/{shaw.pk}/"
    assert client_for(people["applicant"]).get(url).json()["email"] is None
    assert client_for(people["councillor"]).get(url).json()["email"] is None
    assert client_for(people["grants officer"]).get(url).json()["email"] == shaw.user.email


def test_wards_are_found_by_gss_code(people, shaw):
    body = client_for(people["applicant"]).get(f"{API}/wards/", {"gss_code": shaw.ward.gss_code})
    assert [w["name"] for w in body.json()["results"]] == ["Abbey Meadow"]


def test_a_ledger_transaction_shows_its_entries_summing_to_zero(people, busy):
    body = (
        client_for(people["auditor"])
        .get(f"{API}/ledger-transactions/", {"kind": "transfer"})
        .json()
    )
    (posting,) = body["results"]
    amounts = [Decimal(e["amount"]) for e in posting["entries"]]
    assert sorted(amounts) == [Decimal("-150.00"), Decimal("150.00")]
    assert {e["account_name"] for e in posting["entries"]} == {
        "Cllr Priya Okafor's 2026/27 CCIF allocation",
        "Cllr Sam Shaw's 2026/27 CCIF allocation",
    }


def test_bad_filters_and_unknown_ids_answer_4xx_not_500(people, busy):
    client = client_for(people["auditor"])
    assert client.get(f"{API}/ledger-transactions/", {"created_after": "soon"}).status_code == 400
    assert client.get(f"{API}/budgets/", {"councillor": "x"}).status_code == 400
    assert client.get(f"{API}/fund-years/99999/overview/").status_code == 404
    assert client.get(f"{API}/budgets/abc/statement/").status_code == 404
    assert client.get(f"{API}/funds/", {"page": 99}).status_code == 404


# --- a fixed number of queries per list, whatever its length ---------------------------------


def _users(n: int, tag: str) -> list[User]:
    return User.objects.bulk_create(User(username=f"{tag}{i}") for i in range(n))


def grow_financial_years(n: int) -> None:
    rows = []
    first = 1000 + FinancialYear.objects.count()
    for i in range(n):
        start = datetime.date(first + i, 4, 1)
        label = f"{start.year}/{str(start.year + 1)[-2:]}"
        rows.append(
            FinancialYear(start=start, end=datetime.date(start.year + 1, 3, 31), label=label)
        )
    FinancialYear.objects.bulk_create(rows)


def _codes(n: int, offset: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [
        "Q" + letters[(i // 676) % 26] + letters[(i // 26) % 26] + letters[i % 26]
        for i in range(offset, offset + n)
    ]


def grow_funds(n: int, offset: int = 0) -> list[Fund]:
    council = CouncilFactory()
    offset += Fund.objects.count()
    return Fund.objects.bulk_create(
        Fund(council=council, kind="ccif", name=f"Fund {code}", code=code)
        for code in _codes(n, offset)
    )


def grow_fund_years(n: int) -> None:
    year = FinancialYear.objects.get(start=datetime.date(2026, 4, 1))
    FundYear.objects.bulk_create(
        FundYear(
            fund=fund,
            year=year,
            max_award=Decimal("100.00"),
            funded_from="central_pot",
            delegated_limit=Decimal("100.00"),
            opens_on=year.start,
            closes_on=year.end,
            cost_code="X",
        )
        for fund in grow_funds(n, offset=5000)
    )


def grow_wards(n: int) -> list[Ward]:
    council = CouncilFactory()
    start = Ward.objects.count()
    return Ward.objects.bulk_create(
        Ward(council=council, name=f"Grown {start + i}", gss_code=f"E059{start + i:05d}")
        for i in range(n)
    )


def grow_councillors(n: int) -> list[Councillor]:
    wards = grow_wards(n)
    users = _users(n, f"member{Councillor.objects.count()}-")
    return Councillor.objects.bulk_create(
        Councillor(user=u, ward=w, name=f"Member {u.pk}", term_start=datetime.date(2023, 5, 8))
        for u, w in zip(users, wards, strict=True)
    )


def grow_budgets(n: int) -> None:
    fund_year = FundYear.objects.get(fund__code="CCIF")
    members = grow_councillors(n)
    Account.objects.bulk_create(
        Account(fund_year=fund_year, kind=kind, councillor=c, balance=Decimal("10.00"))
        for c in members
        for kind in ("allocation", "paid")
    )


def grow_ledger(n: int) -> None:
    fund_year = FundYear.objects.get(fund__code="CCIF")
    pot = Account.objects.get(fund_year=fund_year, kind="pot")
    source = Account.objects.get(fund_year=fund_year, kind="source")
    first = LedgerTransaction.objects.count()
    postings = LedgerTransaction.objects.bulk_create(
        LedgerTransaction(kind="budget", idempotency_key=f"grown:{first + i}", memo="Grown")
        for i in range(n)
    )
    Entry.objects.bulk_create(
        Entry(transaction=t, account=account, amount=amount)
        for t in postings
        for account, amount in ((source, Decimal("-1.00")), (pot, Decimal("1.00")))
    )


LISTS = [
    ("financial-years/", grow_financial_years),
    ("funds/", grow_funds),
    ("fund-years/", grow_fund_years),
    ("wards/", grow_wards),
    ("councillors/", grow_councillors),
    ("budgets/", grow_budgets),
    ("ledger-transactions/", grow_ledger),
]


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


@pytest.mark.parametrize(("endpoint", "grow"), LISTS, ids=[row[0] for row in LISTS])
def test_list_queries_do_not_grow_with_rows(people, busy, endpoint, grow):
    client = client_for(people["administrator"])
    url = f"{API}/{endpoint}"
    grow(10)
    small = queries(client, url)
    grow(990)
    big = client.get(url, {"page_size": 500}).json()
    assert big["count"] >= 1000
    assert len(big["results"]) == 500
    assert queries(client, url) == small
