"""Membership by invitation, through the API: the same 202 answer whoever the address belongs to,
the group's invitations for its members only (404 for anyone else, before the body is read), and
the person invited accepting or declining with the token from the e-mail."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from applications import rules
from applications.models import Invitation, Membership
from fundmgr.notifications import send_pending
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people
from tests.factories import UserFactory

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"/apply/invitations/([A-Za-z0-9_-]+)/")

#                anon app  other cllr ocllr grants fin  audit panel
INVITE = [401, 202, 404, 404, 404, 404, 404, 403, 404]
LIST = [401, 200, 404, 404, 404, 404, 404, 404, 404]


@pytest.fixture
def group(draft):
    return draft.organisation


@pytest.fixture
def invitations(group):
    return f"{API}/organisations/{group.pk}/invitations/"


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", email="sam@example.org", first_name="Sam", last_name="Lee")


@pytest.fixture
def invite(people, invitations):
    """The group's member invites an address; the token e-mailed to it."""

    def invite(email: str, role: str = "member") -> str:
        response = client_for(people["applicant"]).post(invitations, {"email": email, "role": role})
        assert response.status_code == 202, response.content
        send_pending()  # the outbox, as after a commit (the test's transaction never commits)
        return TOKEN.search(mail.outbox[-1].body).group(1)

    return invite


def expect(codes: list[int]) -> dict[str, int]:
    return dict(zip(ROLES, codes, strict=True))


def accept(user, token: str):
    return client_for(user).post(f"{API}/invitations/accept/", {"token": token})


def is_member(group, user) -> bool:
    return Membership.objects.filter(organisation=group, user=user).exists()


# --- inviting -------------------------------------------------------------------------------


def test_inviting_answers_the_same_whoever_the_address_belongs_to(people, invitations, sam):
    member = client_for(people["applicant"])
    answers = {}
    for email in ("sam@example.org", "nobody@example.org", people["grants officer"].email):
        sent = len(mail.outbox)
        response = member.post(invitations, {"email": email, "role": "member"})
        send_pending()
        assert response.status_code == 202, response.content
        assert len(mail.outbox) == sent + 1 and mail.outbox[-1].to == [email]
        assert TOKEN.search(mail.outbox[-1].body)
        # The length differs with the address typed: the body is compared without it; every
        # answer has its own request id.
        headers = {k: v for k, v in response.items() if k not in {"Content-Length", "X-Request-ID"}}
        answers[email] = (headers, response.content.decode().replace(email, "ADDRESS"))
    first, *others = answers.values()
    assert all(other == first for other in others)
    assert response.json() == {
        "email": people["grants officer"].email,
        "role": "member",
        "detail": f"We have sent an invitation to {people['grants officer'].email}. They join "
        "Friends of Abbey Park when they accept it; if they do not have an account yet, the "
        "email tells them how to create one.",
    }
    assert "Sam" not in first[1] and "Lee" not in first[1]
    assert not is_member(people["applicant"].organisations.get(), sam)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_groups_members_invite(people, group, invitations, role):
    with transaction.atomic():
        response = client_for(people[role]).post(
            invitations, {"email": "x@example.org", "role": "chair"}
        )
    assert response.status_code == expect(INVITE)[role], response.content
    if response.status_code != 202:
        assert response["Content-Type"] == PROBLEM
        assert not Invitation.objects.exists()


def test_a_non_member_gets_the_404_of_a_group_that_does_not_exist_before_any_validation(
    people, invitations
):
    outsider = client_for(people["grants officer"])
    theirs = outsider.post(invitations, {"email": "not an address", "role": "boss"})
    nowhere = outsider.post(
        f"{API}/organisations/987654/invitations/", {"email": "x@example.org", "role": "chair"}
    )
    not_json = outsider.post(invitations, ["not", "an", "object"], format="json")
    assert theirs.status_code == nowhere.status_code == not_json.status_code == 404
    assert theirs.json() == nowhere.json() == not_json.json()
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not an address", "role": "chair"}, "email"),
        ({"email": "a@example.org", "role": "boss"}, "role"),
        ({"role": "chair"}, "email"),
    ],
)
def test_bad_invitation_input_is_a_400_naming_the_field(people, invitations, body, field):
    response = client_for(people["applicant"]).post(invitations, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_groups_members_see_its_invitations(people, invitations, invite, role):
    invite("sam@example.org", role="chair")
    response = client_for(people[role]).get(invitations)
    assert response.status_code == expect(LIST)[role]
    if response.status_code == 200:
        (waiting,) = response.json()
        assert (waiting["email"], waiting["role"], waiting["status"]) == (
            "sam@example.org",
            "chair",
            "pending",
        )


def test_members_are_no_longer_added_directly(people, group, sam):
    response = client_for(people["applicant"]).post(
        f"{API}/organisations/{group.pk}/members/", {"email": "sam@example.org", "role": "chair"}
    )
    assert response.status_code == 405
    assert not is_member(group, sam)


# --- answering ------------------------------------------------------------------------------


def test_the_person_invited_joins_only_by_accepting(group, invite, sam):
    token = invite("sam@example.org", role="chair")
    assert not is_member(group, sam)
    response = accept(sam, token)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "organisation": group.pk,
        "organisation_name": "Friends of Abbey Park",
        "role": "chair",
        "role_label": "Chair",
    }
    assert Membership.objects.get(organisation=group, user=sam).role == "chair"
    assert client_for(sam).get(f"{API}/organisations/{group.pk}/members/").status_code == 200


def test_accepting_signed_in_as_someone_else_is_refused(group, invite, sam):
    token = invite("sam@example.org")
    other = UserFactory(username="other", email="other@example.org")
    response = accept(other, token)
    assert response.status_code == 403
    assert "sent to a different email address" in response.json()["detail"]
    assert not is_member(group, other)
    assert accept(sam, token).status_code == 200


def test_a_token_works_once(group, invite, sam):
    token = invite("sam@example.org")
    assert accept(sam, token).status_code == 200
    Membership.objects.filter(organisation=group, user=sam).delete()
    response = accept(sam, token)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This invitation has been accepted already: each invitation can be used once."
    )
    assert not is_member(group, sam)


def test_an_expired_token_is_refused(group, invite, sam):
    token = invite("sam@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15), tick=False):
        response = accept(sam, token)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("This invitation expired on ")
    assert not is_member(group, sam)


@pytest.mark.parametrize(("body", "status"), [({"token": "made-up"}, 400), ({}, 400)])
def test_a_token_nobody_sent_is_a_400_naming_it(sam, body, status):
    response = client_for(sam).post(f"{API}/invitations/accept/", body)
    assert response.status_code == status
    assert list(response.json()["errors"]) == ["token"]


def test_signed_out_nobody_answers(invite):
    token = invite("sam@example.org")
    assert client_for(None).post(f"{API}/invitations/accept/", {"token": token}).status_code == 401
    assert Invitation.objects.get().status == "pending"


def test_declining_leaves_them_out_and_ends_the_token(group, invite, sam):
    token = invite("sam@example.org")
    response = client_for(sam).post(f"{API}/invitations/decline/", {"token": token})
    assert response.status_code == 200
    assert response.json() == {
        "detail": "You have declined the invitation to join Friends of Abbey Park."
    }
    assert accept(sam, token).status_code == 409
    assert not is_member(group, sam)


def test_a_grants_officer_cannot_join_and_can_still_decide_the_groups_bid(
    people, draft, group, invite
):
    officer = people["grants officer"]
    token = invite(officer.email)
    response = accept(officer, token)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Council staff cannot join a group’s membership through the group: ask the grants team."
    )
    assert not is_member(group, officer)
    assert rules.may_decide.refusal(draft, officer) is None


# --- withdrawing ----------------------------------------------------------------------------


def test_a_member_withdraws_an_invitation_and_its_token_stops_working(
    people, invitations, invite, group, sam
):
    token = invite("sam@example.org")
    waiting = Invitation.objects.get()
    member = client_for(people["applicant"])
    response = member.post(f"{invitations}{waiting.pk}/revoke/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_label"]) == (
        "revoked",
        "Withdrawn",
    )
    assert member.get(invitations).json() == []
    assert accept(sam, token).status_code == 409
    assert not is_member(group, sam)
    again = member.post(f"{invitations}{waiting.pk}/revoke/")
    assert again.status_code == 409


def test_a_non_member_cannot_withdraw_an_invitation(people, invitations, invite, other_group):
    invite("sam@example.org")
    waiting = Invitation.objects.get()
    for person in (people["grants officer"], other_group[0]):
        response = client_for(person).post(f"{invitations}{waiting.pk}/revoke/")
        assert response.status_code == 404
    # Nor through a group of their own.
    mine = f"{API}/organisations/{other_group[1].pk}/invitations/{waiting.pk}/revoke/"
    assert client_for(other_group[0]).post(mine).status_code == 404
    assert Invitation.objects.get().status == "pending"
