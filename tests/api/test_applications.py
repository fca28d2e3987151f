# ruff: noqa: F811 (pytest fixtures are imported, then named as arguments)
"""The application side of the API: organisations, applications, their transitions, councillor
support. Who may do what is the pages' rule; an application a person may not see answers 404
(never 403), so that guessing ids tells nobody what exists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services as s
from applications.models import Application, Pledge
from budgets.models import Account, Entry, LedgerTransaction
from tests import journeys
from tests.api_fixtures import (  # noqa: F401 (other_group and people are fixtures)
    API,
    PROBLEM,
    ROLES,
    client_for,
    many,
    other_group,
    people,
    queries,
)

pytestmark = pytest.mark.django_db
D = Decimal


def row(*codes: int) -> dict[str, int]:
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


@pytest.fixture
def submitted(draft, treasurer):
    return s.application_submit(application=draft, by=treasurer)


def ledger_state():
    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
    )


# --- the permission matrix ------------------------------------------------------------------

#                         anon applicant other ward-cllr other-cllr officer finance auditor panel
READ_SUBMITTED = row(401, 200, 404, 200, 404, 200, 404, 200, 404)
READ_DRAFT = row(401, 200, 404, 404, 404, 200, 404, 200, 404)
PATCH_DRAFT = row(401, 200, 404, 404, 404, 403, 404, 403, 404)
MARK_ELIGIBLE = row(401, 403, 404, 403, 404, 200, 404, 403, 404)
WITHDRAW_SUBMITTED = row(401, 200, 404, 403, 404, 200, 404, 403, 404)
TRANSITIONS_OF_SUBMITTED = row(401, 200, 404, 200, 404, 200, 404, 200, 404)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_submitted_application(role, people, submitted):
    response = client_for(people[role]).get(f"{API}/applications/{submitted.pk}/")
    assert response.status_code == READ_SUBMITTED[role]
    if response.status_code == 200:
        assert response.json()["reference"] == submitted.reference
        assert response["ETag"] == f'"{submitted.version}"'
    else:
        assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_draft(role, people, draft):
    response = client_for(people[role]).get(f"{API}/applications/{draft.pk}/")
    assert response.status_code == READ_DRAFT[role]


@pytest.mark.parametrize("role", ROLES)
def test_the_list_holds_what_the_person_may_read(role, people, submitted):
    response = client_for(people[role]).get(f"{API}/applications/")
    if people[role] is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    refs = {a["reference"] for a in response.json()["results"]}
    assert (submitted.reference in refs) == (READ_SUBMITTED[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_change_a_draft(role, people, draft):
    response = client_for(people[role]).patch(
        f"{API}/applications/{draft.pk}/",
        {"title": "Changed"},
        format="json",
        HTTP_IF_MATCH=f'"{draft.version}"',
    )
    assert response.status_code == PATCH_DRAFT[role], response.content
    draft.refresh_from_db()
    assert (draft.title == "Changed") == (PATCH_DRAFT[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_mark_a_submitted_application_eligible(role, people, submitted):
    response = client_for(people[role]).post(
        f"{API}/applications/{submitted.pk}/mark_eligible/", {}, format="json"
    )
    assert response.status_code == MARK_ELIGIBLE[role], response.content
    submitted.refresh_from_db()
    assert (submitted.status == "awaiting_support") == (MARK_ELIGIBLE[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_withdraw_a_submitted_application(role, people, submitted):
    response = client_for(people[role]).post(
        f"{API}/applications/{submitted.pk}/withdraw/", {"reason": "No longer needed"}
    )
    assert response.status_code == WITHDRAW_SUBMITTED[role], response.content
    submitted.refresh_from_db()
    assert (submitted.status == "withdrawn") == (WITHDRAW_SUBMITTED[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_the_transitions(role, people, submitted):
    response = client_for(people[role]).get(f"{API}/applications/{submitted.pk}/transitions/")
    assert response.status_code == TRANSITIONS_OF_SUBMITTED[role]


def test_a_group_cannot_read_or_change_another_groups_application_by_its_id(
    people, other_group, draft
):
    _, _, theirs = other_group
    client = client_for(people["applicant"])
    for response in (
        client.get(f"{API}/applications/{theirs.pk}/"),
        client.patch(f"{API}/applications/{theirs.pk}/", {"title": "Mine now"}, HTTP_IF_MATCH="*"),
        client.post(f"{API}/applications/{theirs.pk}/submit/"),
        client.post(f"{API}/applications/{theirs.pk}/withdraw/"),
        client.post(
            f"{API}/applications/{theirs.pk}/budget-lines/", {"item": "Tea", "cost": "5.00"}
        ),
        client.get(f"{API}/applications/{theirs.pk}/transitions/"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "There is nothing here, or you may not see it."
    # The same answer as for an id that does not exist at all.
    assert (
        client.get(f"{API}/applications/987654/").json()
        == client.get(f"{API}/applications/{theirs.pk}/").json()
    )
    theirs.refresh_from_db()
    assert theirs.title != "Mine now" and theirs.status == "draft"
    assert theirs.budget_lines.count() == 1


def test_a_finance_officer_reads_the_grants_awarded(
    people, draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )
    response = client_for(people["finance officer"]).get(f"{API}/applications/{draft.pk}/")
    assert response.status_code == 200
    assert response.json()["amount_awarded"] == "500.00"


# --- organisations --------------------------------------------------------------------------

READ_ORGANISATION = row(401, 200, 404, 404, 404, 200, 200, 200, 404)
PATCH_ORGANISATION = row(401, 200, 404, 404, 404, 403, 403, 403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_an_organisation(role, people, draft):
    response = client_for(people[role]).get(f"{API}/organisations/{draft.organisation_id}/")
    assert response.status_code == READ_ORGANISATION[role]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_change_an_organisation(role, people, draft):
    response = client_for(people[role]).patch(
        f"{API}/organisations/{draft.organisation_id}/", {"phone": "01632 960001"}
    )
    assert response.status_code == PATCH_ORGANISATION[role], response.content
    draft.organisation.refresh_from_db()
    assert (draft.organisation.phone == "01632 960001") == (PATCH_ORGANISATION[role] == 200)


def test_registering_an_organisation_makes_the_caller_its_secretary(people, ward):
    user = people["applicant"]
    response = client_for(user).post(
        f"{API}/organisations/",
        {
            "name": "Abbey Allotments",
            "kind": "charity",
            "charity_number": "1234567",
            "address": "2 Lane",
            "postcode": "tv1 2ab",
            "ward": ward.pk,
            "email": "allot@example.org",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["postcode"] == "TV1 2AB"
    org = user.organisations.get(name="Abbey Allotments")
    assert org.membership_set.get(user=user).role == "secretary"


def test_an_organisation_the_rules_refuse_is_explained(people, ward):
    response = client_for(people["applicant"]).post(
        f"{API}/organisations/",
        {
            "name": "No number",
            "kind": "cic",
            "address": "2 Lane",
            "postcode": "TV1 2AB",
            "ward": ward.pk,
            "email": "x@example.org",
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Enter the company's registered number."


# --- drafting -------------------------------------------------------------------------------


def test_a_member_starts_a_draft_and_writes_its_costs(people, draft, fund_year):
    client = client_for(people["applicant"])
    response = client.post(
        f"{API}/applications/",
        {
            "fund_year": fund_year.pk,
            "organisation": draft.organisation_id,
            "title": "Bulbs",
            "amount_requested": "300.00",
            "total_cost": "400.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["reference"].startswith("CCIF26-")
    assert body["amount_requested"] == "300.00" and body["match_funding"] == "100.00"
    assert response["ETag"] == '"1"'
    pk = body["id"]
    line = client.post(f"{API}/applications/{pk}/budget-lines/", {"item": "Bulbs", "cost": "400"})
    assert line.status_code == 201 and line.json()["cost"] == "400.00"
    source = client.post(
        f"{API}/applications/{pk}/match-funding/",
        {"source": "Parish council", "amount": "100.00", "secured": True},
        format="json",
    )
    assert source.status_code == 201
    detail = client.get(f"{API}/applications/{pk}/").json()
    assert [b["item"] for b in detail["budget_lines"]] == ["Bulbs"]
    assert [m["source"] for m in detail["match_funding_sources"]] == ["Parish council"]
    removed = client.delete(f"{API}/applications/{pk}/budget-lines/{line.json()['id']}/")
    assert removed.status_code == 204
    removed = client.delete(f"{API}/applications/{pk}/match-funding/{source.json()['id']}/")
    assert removed.status_code == 204
    detail = client.get(f"{API}/applications/{pk}/").json()
    assert detail["budget_lines"] == [] and detail["match_funding_sources"] == []


def test_nobody_applies_for_an_organisation_they_are_not_a_member_of(people, other_group):
    response = client_for(people["applicant"]).post(
        f"{API}/applications/",
        {"fund_year": other_group[2].fund_year_id, "organisation": other_group[1].pk},
    )
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]


def test_costs_of_a_submitted_application_cannot_change(people, submitted):
    response = client_for(people["applicant"]).post(
        f"{API}/applications/{submitted.pk}/budget-lines/", {"item": "More", "cost": "5.00"}
    )
    assert response.status_code == 409
    assert "can no longer be changed" in response.json()["detail"]
    assert submitted.budget_lines.count() == 1


# --- optimistic concurrency -----------------------------------------------------------------


def test_an_edit_without_if_match_is_refused_with_428(people, draft):
    response = client_for(people["applicant"]).patch(
        f"{API}/applications/{draft.pk}/", {"title": "No version"}
    )
    assert response.status_code == 428
    assert response["Content-Type"] == PROBLEM
    draft.refresh_from_db()
    assert draft.title != "No version"


def test_an_edit_from_a_stale_copy_is_refused_with_412_and_changes_nothing(people, draft):
    client = client_for(people["applicant"])
    etag = client.get(f"{API}/applications/{draft.pk}/")["ETag"]
    first = client.patch(f"{API}/applications/{draft.pk}/", {"title": "First"}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    second = client.patch(
        f"{API}/applications/{draft.pk}/", {"title": "Second"}, HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    assert "changed since you read it" in second.json()["detail"]
    draft.refresh_from_db()
    assert draft.title == "First"


def test_an_edit_of_the_current_version_saves_and_bumps_it(people, draft):
    client = client_for(people["applicant"])
    read = client.get(f"{API}/applications/{draft.pk}/")
    version = read.json()["version"]
    response = client.patch(
        f"{API}/applications/{draft.pk}/",
        {"title": "Benches and bins", "amount_requested": "450.00"},
        HTTP_IF_MATCH=read["ETag"],
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == version + 1
    assert response["ETag"] == f'"{version + 1}"'
    assert response.json()["amount_requested"] == "450.00"
    # A `version` field in the body does the same as If-Match.
    again = client.patch(
        f"{API}/applications/{draft.pk}/", {"title": "Bins", "version": version + 1}
    )
    assert again.status_code == 200 and again.json()["version"] == version + 2
    stale = client.patch(f"{API}/applications/{draft.pk}/", {"title": "X", "version": version})
    assert stale.status_code == 412


def test_other_funding_without_saying_whether_it_is_secured_is_a_400_naming_the_field(
    people, draft
):
    before = draft.match_funding_sources.count()
    response = client_for(people["applicant"]).post(
        f"{API}/applications/{draft.pk}/match-funding/",
        {"source": "Parish council", "amount": "100.00"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == ["secured"]
    assert draft.match_funding_sources.count() == before


def test_an_edit_that_breaks_a_rule_is_a_400_not_a_500(people, draft):
    client = client_for(people["applicant"])
    for body in (
        {"amount_requested": "-5"},
        {"amount_requested": "abc"},
        {"project_end": "2026-01-01"},  # before the project starts
        {"wards": [987654]},
        {"wards": [99999999999999999999999]},
        {"wards": ["abc"]},
        {"people_benefiting": 10**12},
        {"title": "x" * 500},
    ):
        response = client.patch(
            f"{API}/applications/{draft.pk}/", body, format="json", HTTP_IF_MATCH="*"
        )
        assert response.status_code == 400, (body, response.content)
        assert response["Content-Type"] == PROBLEM
    list_body = client.patch(
        f"{API}/applications/{draft.pk}/", [1, 2], format="json", HTTP_IF_MATCH="*"
    )
    assert list_body.status_code == 400


# --- transitions ----------------------------------------------------------------------------


def test_the_transitions_listed_are_those_the_person_may_take_now(people, submitted):
    officer = client_for(people["grants officer"]).get(
        f"{API}/applications/{submitted.pk}/transitions/"
    )
    by_name = {t["name"]: t for t in officer.json()}
    assert set(by_name) == {"mark_ineligible", "mark_eligible", "return_to_applicant", "withdraw"}
    ineligible = by_name["mark_ineligible"]
    assert ineligible["label"] == "Mark it not eligible"
    assert ineligible["url"] == f"/api/v1/applications/{submitted.pk}/mark_ineligible/"
    assert ineligible["input"] == [
        {"name": "reason", "required": True, "type": "string", "help": "Why: the group is told."}
    ]
    group = client_for(people["applicant"]).get(f"{API}/applications/{submitted.pk}/transitions/")
    assert [t["name"] for t in group.json()] == ["withdraw"]
    auditor = client_for(people["auditor"]).get(f"{API}/applications/{submitted.pk}/transitions/")
    assert auditor.json() == []


def test_a_transition_is_taken_through_the_service(people, submitted):
    response = client_for(people["grants officer"]).post(
        f"{API}/applications/{submitted.pk}/mark_ineligible/",
        {"reason": "Outside the council's area."},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ineligible"
    assert response["ETag"] == f'"{response.json()["version"]}"'
    log = submitted.transitions.order_by("-pk").first()
    assert (log.transition, log.note) == ("mark_ineligible", "Outside the council's area.")


def test_a_transition_missing_its_input_is_a_400(people, submitted):
    client = client_for(people["grants officer"])
    response = client.post(f"{API}/applications/{submitted.pk}/mark_ineligible/")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["This field is required."]}
    wrong = client.post(
        f"{API}/applications/{submitted.pk}/recommend/",
        {"recommendation": "maybe", "notes": "x", "recommended_amount": "lots"},
        format="json",
    )
    assert wrong.status_code == 400
    assert set(wrong.json()["errors"]) == {"recommendation", "recommended_amount"}
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_refused_transition_answers_409_with_the_reason_and_changes_nothing(people, draft):
    draft.title = ""
    draft.save()
    before = ledger_state()
    response = client_for(people["applicant"]).post(f"{API}/applications/{draft.pk}/submit/")
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Before you submit, add the project title."
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.version == 1
    assert ledger_state() == before


def test_a_transition_from_the_wrong_state_is_refused(people, submitted):
    response = client_for(people["applicant"]).post(
        f"{API}/applications/{submitted.pk}/accept_offer/"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"{submitted.reference} is submitted: it cannot be accepted now."
    )


def test_an_award_councillors_have_not_pledged_is_refused_and_the_ledger_is_unchanged(
    people, submitted, treasurer, officer, officer2, shaw, okafor
):
    s.application_mark_eligible(application=submitted, by=officer)
    journeys.supported(submitted, shaw=shaw, okafor=okafor)  # £500 pledged: support complete
    from decisions import services as d

    d.assessment_record(
        application=submitted,
        by=officer,
        recommendation="approve",
        recommended_amount=D("500.00"),
        notes="Fine.",
    )
    Pledge.objects.filter(councillor=okafor).update(amount=D("100.00"))  # now £400 pledged
    before = ledger_state()
    response = client_for(officer2).post(
        f"{API}/applications/{submitted.pk}/approve/",
        {"amount": "500.00", "reasons": "Good value."},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Councillors have pledged £400.00; an award of £500.00 needs £100.00 more. "
        "Enter £400.00 or less"
    )
    assert ledger_state() == before
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_decision"


def test_the_lifecycle_through_the_api_alone(people, draft, officer, officer2, shaw, okafor):
    group = client_for(people["applicant"])
    pk = draft.pk
    url = f"{API}/applications/{pk}"
    assert group.post(f"{url}/submit/").json()["status"] == "submitted"
    eligible = client_for(officer).post(f"{url}/mark_eligible/", {"note": "Fine"})
    assert eligible.json()["status"] == "awaiting_support"
    pledge = client_for(shaw.user).post(
        f"{url}/pledges/", {"amount": "300.00", "statement": "Needed."}
    )
    assert pledge.status_code == 201, pledge.content
    assert pledge.json()["amount"] == "300.00" and pledge.json()["councillor"] == shaw.pk
    second = client_for(okafor.user).post(f"{url}/pledges/", {"amount": "200", "statement": "Yes"})
    assert second.status_code == 201
    assert group.get(f"{url}/").json()["status"] == "under_assessment"
    recommend = client_for(officer).post(
        f"{url}/recommend/",
        {
            "recommendation": "approve",
            "notes": "Meets every criterion.",
            "recommended_amount": "500",
        },
    )
    assert recommend.json()["status"] == "awaiting_decision"
    names = [t["name"] for t in client_for(officer2).get(f"{url}/transitions/").json()]
    assert "approve" in names and "reject" in names
    approved = client_for(officer2).post(
        f"{url}/approve/", {"amount": "500.00", "reasons": "Good value.", "conditions": "Photos"}
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["amount_awarded"] == "500.00"
    assert group.get(f"{url}/transitions/").json()[0]["name"] == "accept_offer"
    accepted = group.post(f"{url}/accept_offer/")
    assert accepted.json()["status"] == "offer_accepted"
    assert LedgerTransaction.objects.filter(reference=draft.reference).count() == 1


# --- councillor support ---------------------------------------------------------------------


@pytest.fixture
def waiting(draft, treasurer, officer):
    return journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)


#                         anon applicant other ward-cllr other-cllr officer finance auditor panel
PLEDGE = row(401, 403, 404, 201, 404, 403, 404, 403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_pledge(role, people, waiting):
    response = client_for(people[role]).post(
        f"{API}/applications/{waiting.pk}/pledges/", {"amount": "100.00", "statement": "Yes"}
    )
    assert response.status_code == PLEDGE[role], response.content
    assert waiting.pledges.exists() == (PLEDGE[role] == 201)


def test_a_pledge_beyond_the_allocation_is_refused_with_the_balance(people, waiting):
    response = client_for(people["ward councillor"]).post(
        f"{API}/applications/{waiting.pk}/pledges/", {"amount": "1200.00", "statement": "Yes"}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "You have £1,000.00 left to pledge this year. Enter £1,000.00 or less"
    )
    assert not waiting.pledges.exists()


def test_a_councillor_declines_withdraws_and_declares(people, waiting, okafor):
    shaw_client = client_for(people["ward councillor"])
    url = f"{API}/applications/{waiting.pk}"
    made = shaw_client.post(f"{url}/pledges/", {"amount": "100.00", "statement": "Yes"}).json()
    withdrawn = shaw_client.post(f"{url}/pledges/{made['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    not_theirs = client_for(okafor.user).post(f"{url}/pledges/{made['id']}/withdraw/")
    assert not_theirs.status_code == 403
    declined = client_for(okafor.user).post(f"{url}/pledges/decline/", {"reason": "Too costly"})
    assert declined.status_code == 201 and declined.json()["status"] == "declined"
    no_reason = shaw_client.post(f"{url}/pledges/decline/", {})
    assert no_reason.status_code == 400
    listed = client_for(people["applicant"]).get(f"{url}/pledges/").json()
    assert [p["status"] for p in listed] == ["withdrawn", "declined"]
    declared = shaw_client.post(
        f"{url}/declarations/", {"kind": "pecuniary", "details": "My brother chairs it."}
    )
    assert declared.status_code == 201, declared.content
    assert client_for(people["applicant"]).get(f"{url}/declarations/").json() == []
    assert len(client_for(people["grants officer"]).get(f"{url}/declarations/").json()) == 1
    barred = shaw_client.post(f"{url}/pledges/", {"amount": "100.00", "statement": "Again"})
    assert barred.status_code == 403
    assert "declared a disclosable pecuniary interest" in barred.json()["detail"]
    wrong_kind = shaw_client.post(f"{url}/declarations/", {"kind": "vague", "details": "x"})
    assert wrong_kind.status_code == 400


# --- authentication and bad input -----------------------------------------------------------


def test_a_program_signs_in_with_its_token_and_a_person_with_their_session(client, people, draft):
    anonymous = client_for(None).get(f"{API}/applications/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert anonymous["Content-Type"] == PROBLEM
    token = client_for(people["applicant"]).get(f"{API}/applications/")
    assert [a["id"] for a in token.json()["results"]] == [draft.pk]
    bad = client_for(None)
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(f"{API}/applications/").status_code == 401
    client.force_login(people["applicant"])
    assert client.get(f"{API}/applications/").json()["count"] == 1


def test_bad_addresses_and_filters_are_4xx_problems(people, draft):
    client = client_for(people["grants officer"])
    for url, code in (
        (f"{API}/applications/abc/", 404),
        (f"{API}/applications/99999999999999999999999/", 404),
        (f"{API}/applications/{draft.pk}/fly_away/", 404),
        (f"{API}/applications/?status=bogus", 400),
        (f"{API}/applications/?ward=abc", 400),
        (f"{API}/applications/?fund=99999999999999999999999", 400),
        (f"{API}/applications/?organisation=0", 400),
        (f"{API}/applications/?page=999", 404),
        (f"{API}/organisations/abc/", 404),
        (f"{API}/organisations/?ward=99999999999999999999999", 400),
        (f"{API}/organisations/?ward=987654", 200),
        (f"{API}/panel-meetings/?fund=987654", 200),
        (f"{API}/panel-meetings/?fund=0", 400),
    ):
        response = client.get(url)
        assert response.status_code == code, (url, response.content)
        if code != 200:
            assert response["Content-Type"] == PROBLEM
    fly = client.post(f"{API}/applications/{draft.pk}/fly_away/")
    assert fly.status_code == 404
    line = client.delete(f"{API}/applications/{draft.pk}/budget-lines/99999999999999999999/")
    assert line.status_code == 404
    pledge = client.post(f"{API}/applications/{draft.pk}/pledges/99999999999999999999/withdraw/")
    assert pledge.status_code == 404
    huge = client_for(people["applicant"]).post(
        f"{API}/applications/",
        {"fund_year": 99999999999999999999999, "organisation": 99999999999999999999999},
        format="json",
    )
    assert huge.status_code == 400
    # Each by someone who may act (who may is checked before the body): a null body is a 400.
    for method, path, who in (
        ("POST", "mark_ineligible/", "grants officer"),
        ("PATCH", "", "applicant"),
    ):
        null = client_for(people[who]).generic(
            method,
            f"{API}/applications/{draft.pk}/{path}",
            "null",
            content_type="application/json",
            HTTP_IF_MATCH="*",
        )
        assert null.status_code == 400, (path, null.content)
    form = client.post(
        f"{API}/applications/{draft.pk}/withdraw/", {"reason": "x"}, format="multipart"
    )
    assert form.status_code == 415
    assert form["Content-Type"] == PROBLEM
    not_json = client.generic(
        "POST", f"{API}/applications/{draft.pk}/withdraw/", "{", content_type="application/json"
    )
    assert not_json.status_code == 400


# --- lists: filters, ordering, a fixed number of queries ------------------------------------


def test_lists_filter_by_status_fund_year_ward_and_organisation(
    people, draft, submitted, other_group, fund_year
):
    client = client_for(people["grants officer"])
    _, group, theirs = other_group

    def refs(query: str) -> list[str]:
        response = client.get(f"{API}/applications/?{query}")
        assert response.status_code == 200, response.content
        return [a["reference"] for a in response.json()["results"]]

    assert refs("status=submitted") == [submitted.reference]
    assert sorted(refs("status=submitted&status=draft")) == sorted(
        [submitted.reference, theirs.reference]
    )
    assert refs(f"organisation={group.pk}") == [theirs.reference]
    assert refs(f"ward={group.ward_id}") == [theirs.reference]
    assert len(refs(f"fund={fund_year.fund_id}&financial_year=2026/27")) == 2
    assert len(refs(f"fund_year={fund_year.pk}")) == 2
    assert refs("financial_year=2030/31") == []
    assert refs("ordering=reference") == sorted([submitted.reference, theirs.reference])
    assert refs("ordering=-reference") == sorted(
        [submitted.reference, theirs.reference], reverse=True
    )


@pytest.mark.parametrize("role", ["grants officer", "applicant", "ward councillor"])
def test_the_list_makes_as_many_queries_for_1000_rows_as_for_10(role, people, submitted):
    client = client_for(people[role])
    url = f"{API}/applications/?page_size=500"
    many(10, like=submitted, prefix="FEW")
    few = queries(client, url)
    many(990, like=submitted, prefix="MANY")
    assert Application.objects.count() >= 1000
    assert queries(client, url) == few
    assert queries(client, f"{API}/applications/?status=submitted&ordering=-reference") == few


def test_the_organisation_list_makes_a_fixed_number_of_queries(people, draft):
    from tests.factories import OrganisationFactory

    client = client_for(people["grants officer"])
    OrganisationFactory.create_batch(5)
    few = queries(client, f"{API}/organisations/")
    OrganisationFactory.create_batch(60, ward=draft.organisation.ward)
    assert queries(client, f"{API}/organisations/") == few


def test_the_browsable_api_renders_for_a_person_signed_in(client, people, submitted):
    client.force_login(people["grants officer"])
    for path in (
        "applications/",
        f"applications/{submitted.pk}/",
        f"applications/{submitted.pk}/transitions/",
        f"applications/{submitted.pk}/pledges/",
        f"applications/{submitted.pk}/budget-lines/",
        "organisations/",
        f"organisations/{submitted.organisation_id}/",
        "decisions/",
        "panel-meetings/",
    ):
        response = client.get(f"{API}/{path}", HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html")
