"""The API's bank details and members: the mandate-fraud controls through the same services as
the pages. A member (or a finance officer) enters new details, which hold the group's payments
until a finance officer other than the person who entered them verifies them; the details are
only ever shown masked; only members see the members (people join by invitation:
tests/api/test_invitations.py)."""

from __future__ import annotations

import pytest

from applications.models import BankAccount, Membership
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people
from tests.factories import UserFactory

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db

NEW = {"account_name": "Friends new", "sort_code": "40-11-22", "account_number": "8765 4321"}


@pytest.fixture
def group(draft):
    return draft.organisation


@pytest.fixture
def waiting(group, treasurer):
    """New details the treasurer entered, waiting for a check."""
    from applications import organisations

    return organisations.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="FRIENDS NEW",
        sort_code="401122",
        account_number="87654321",
    )


def details(group) -> list[tuple[str, str, str, str]]:
    return list(
        BankAccount.objects.filter(organisation=group)
        .order_by("pk")
        .values_list("account_name", "sort_code", "account_number", "status")
    )


# --- who may --------------------------------------------------------------------------------

#                anon app  other cllr ocllr grants fin  audit panel
READ_DETAILS = [401, 200, 404, 404, 404, 403, 200, 200, 404]
CHANGE_DETAILS = [401, 201, 404, 404, 404, 403, 201, 403, 404]
READ_ACCOUNTS = [401, 403, 403, 403, 403, 403, 200, 200, 403]
CHECK = [401, 403, 403, 403, 403, 403, 200, 403, 403]
READ_MEMBERS = [401, 200, 404, 404, 404, 403, 403, 403, 404]
ADD_MEMBER = [401, 405, 405, 405, 405, 405, 405, 403, 405]  # by invitation only


def matrix(people, call) -> dict[str, int]:
    return {role: call(client_for(people[role])).status_code for role in ROLES}


def expect(statuses: list[int]) -> dict[str, int]:
    return dict(zip(ROLES, statuses, strict=True))


def test_who_may_read_an_organisations_bank_details(people, group):
    url = f"{API}/organisations/{group.pk}/bank-details/"
    assert matrix(people, lambda c: c.get(url)) == expect(READ_DETAILS)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_enter_bank_details_and_a_refusal_changes_nothing(people, group, role):
    before = details(group)
    response = client_for(people[role]).post(f"{API}/organisations/{group.pk}/bank-details/", NEW)
    assert response.status_code == expect(CHANGE_DETAILS)[role], response.content
    if response.status_code == 201:
        assert details(group)[-1] == ("FRIENDS NEW", "401122", "87654321", "unverified")
    else:
        assert response["Content-Type"] == PROBLEM
        assert details(group) == before


def test_who_may_read_every_set_of_bank_details(people, waiting):
    for url in (f"{API}/bank-accounts/", f"{API}/bank-accounts/{waiting.pk}/"):
        assert matrix(people, lambda c, url=url: c.get(url)) == expect(READ_ACCOUNTS), url


@pytest.mark.parametrize("outcome", ["verify", "reject"])
@pytest.mark.parametrize("role", ROLES)
def test_who_may_check_bank_details_and_a_refusal_changes_nothing(people, waiting, role, outcome):
    response = client_for(people[role]).post(
        f"{API}/bank-accounts/{waiting.pk}/{outcome}/", {"note": "Rang the treasurer"}
    )
    assert response.status_code == expect(CHECK)[role], response.content
    waiting.refresh_from_db()
    if response.status_code == 200:
        assert waiting.status == ("verified" if outcome == "verify" else "rejected")
        assert waiting.checked_by == people[role]
    else:
        assert response["Content-Type"] == PROBLEM
        assert (waiting.status, waiting.checked_by) == ("unverified", None)


def test_who_may_see_the_members(people, group):
    url = f"{API}/organisations/{group.pk}/members/"
    assert matrix(people, lambda c: c.get(url)) == expect(READ_MEMBERS)


@pytest.mark.parametrize("role", ROLES)
def test_nobody_adds_a_member_without_their_consent(people, group, role):
    """The old "add by e-mail" route is gone: the members list is read-only; people join only
    by accepting an invitation (tests/api/test_invitations.py)."""
    UserFactory(username="new.member", email="new.member@example.org")
    response = client_for(people[role]).post(
        f"{API}/organisations/{group.pk}/members/",
        {"email": "New.Member@example.org", "role": "chair"},
    )
    assert response.status_code == expect(ADD_MEMBER)[role], response.content
    assert not Membership.objects.filter(organisation=group, user__username="new.member").exists()


# --- bank details ---------------------------------------------------------------------------


def test_a_member_reads_the_details_masked(people, group):
    body = client_for(people["applicant"]).get(f"{API}/organisations/{group.pk}/bank-details/")
    assert body.json()["payable"] is True
    current = body.json()["current"]
    assert current["account"] == "20-**-** ****5678"
    assert current["status"] == "verified"
    assert "12345678" not in body.content.decode() and "200000" not in body.content.decode()


def test_new_details_wait_for_a_check_and_hold_the_groups_payments(people, group):
    member = client_for(people["applicant"])
    response = member.post(f"{API}/organisations/{group.pk}/bank-details/", NEW)
    assert response.status_code == 201
    body = response.json()
    assert (body["account"], body["status"], body["entered_by"]) == (
        "40-**-** ****4321",
        "unverified",
        str(people["applicant"]),
    )
    assert "87654321" not in response.content.decode()
    now = member.get(f"{API}/organisations/{group.pk}/bank-details/").json()
    assert now["payable"] is False and now["current"]["id"] == body["id"]
    waiting = client_for(people["finance officer"]).get(
        f"{API}/bank-accounts/", {"status": "unverified"}
    )
    assert [a["id"] for a in waiting.json()["results"]] == [body["id"]]


def test_the_finance_officer_who_entered_details_may_not_verify_them(people, group, finance):
    entered = client_for(finance).post(f"{API}/organisations/{group.pk}/bank-details/", NEW)
    assert entered.status_code == 201
    response = client_for(finance).post(f"{API}/bank-accounts/{entered.json()['id']}/verify/")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You entered these bank details, so another finance officer must verify them."
    )
    assert BankAccount.objects.get(pk=entered.json()["id"]).status == "unverified"


def test_another_finance_officer_verifies_and_the_history_says_who(people, group, waiting):
    finance = client_for(people["finance officer"])
    response = finance.post(f"{API}/bank-accounts/{waiting.pk}/verify/", {})
    assert response.status_code == 200, response.content
    assert response.json()["checked_by"] == str(people["finance officer"])
    history = finance.get(f"{API}/bank-accounts/", {"organisation": group.pk}).json()["results"]
    assert [(a["account"], a["status"]) for a in history] == [
        ("40-**-** ****4321", "verified"),
        ("20-**-** ****5678", "superseded"),
    ]
    assert all(a["checked_by"] for a in history)
    member = client_for(people["applicant"])
    assert member.get(f"{API}/organisations/{group.pk}/bank-details/").json()["payable"] is True


def test_details_checked_already_are_refused(people, waiting):
    finance = client_for(people["finance officer"])
    assert finance.post(f"{API}/bank-accounts/{waiting.pk}/verify/", {}).status_code == 200
    again = finance.post(f"{API}/bank-accounts/{waiting.pk}/reject/", {"note": "No"})
    assert again.status_code == 409
    assert again.json()["detail"] == "These bank details are verified already."


def test_a_rejection_needs_a_reason(people, waiting):
    response = client_for(people["finance officer"]).post(
        f"{API}/bank-accounts/{waiting.pk}/reject/", {"note": ""}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["note"]
    waiting.refresh_from_db()
    assert waiting.status == "unverified"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sort_code": "12-34"}, "sort_code"),
        ({"sort_code": "ab-cd-ef"}, "sort_code"),
        ({"account_number": "1234567"}, "account_number"),
        ({"account_number": "١٢٣٤٥٦٧٨"}, "account_number"),  # digits, but not 0-9
        ({"account_name": "A name far too long for BACS"}, "account_name"),
        ({"account_name": ""}, "account_name"),
        ({"sort_code": None}, "sort_code"),
        ({"account_number": 12345678}, None),  # a number is taken as its digits
    ],
)
def test_bad_bank_details_are_a_400_naming_the_field(people, group, change, field):
    before = details(group)
    response = client_for(people["applicant"]).post(
        f"{API}/organisations/{group.pk}/bank-details/", {**NEW, **change}
    )
    if field is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == [field]
    assert details(group) == before


@pytest.mark.parametrize("body", [[], "x", [{"note": "x"}]])
def test_a_body_that_is_not_an_object_is_a_400(people, waiting, group, body):
    finance = client_for(people["finance officer"])
    for url in (
        f"{API}/bank-accounts/{waiting.pk}/verify/",
        f"{API}/organisations/{group.pk}/bank-details/",
    ):
        response = finance.post(url, body, format="json")
        assert response.status_code in (400, 403), (url, response.content)
    assert (
        client_for(people["applicant"])
        .post(f"{API}/organisations/{group.pk}/bank-details/", body, format="json")
        .status_code
        == 400
    )
