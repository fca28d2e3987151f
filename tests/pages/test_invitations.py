"""Membership by invitation, through the pages: a member invites an e-mail address and is told the
same thing whoever it belongs to; the person invited joins only by accepting, signed in with an
account for that address; a link works once and expires; council staff cannot join a group this
way; the group sees and withdraws the invitations waiting."""

from __future__ import annotations

import datetime
import hashlib
import html
import re

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from applications import group_services, rules
from applications.models import Invitation, Membership
from fundmgr.notifications import send_pending
from tests.factories import CouncillorFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/apply/invitations/[A-Za-z0-9_-]+/)")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def group(draft):
    return draft.organisation


@pytest.fixture
def members_page(group):
    return f"/apply/organisations/{group.pk}/members/"


@pytest.fixture
def sam(db):
    """Someone with an account, not yet a member."""
    return UserFactory(
        username="sam", email="sam@example.org", first_name="Sam", last_name="Lee", roles=[]
    )


@pytest.fixture
def invite(client, treasurer, members_page, django_capture_on_commit_callbacks):
    """The treasurer invites an address through the members page; the link e-mailed to it."""

    def invite(email: str, role: str = "chair") -> str:
        client.force_login(treasurer)
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(members_page, {"email": email, "role": role})
        assert response.status_code == 302, response.content
        send_pending()  # the outbox, as after a commit (the test's transaction never commits)
        assert len(mail.outbox) == sent + 1
        client.logout()
        return LINK.search(mail.outbox[-1].body).group(1)

    return invite


def page_text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def is_member(group, user) -> bool:
    return Membership.objects.filter(organisation=group, user=user).exists()


# --- inviting -------------------------------------------------------------------------------


def test_inviting_answers_the_same_whoever_the_address_belongs_to(
    client, treasurer, group, members_page, sam, officer, django_capture_on_commit_callbacks
):
    """An account, no account, a grants officer's: the same redirect, the same page (but for
    the address the member typed, the CSRF token and the invitation's id), one e-mail each."""
    client.force_login(treasurer)
    answers = {}
    for email in ("sam@example.org", "nobody@example.org", officer.email):
        with transaction.atomic():  # each from the same starting point
            sent = len(mail.outbox)
            with django_capture_on_commit_callbacks(execute=True):
                posted = client.post(members_page, {"email": email, "role": "member"})
            shown = client.get(posted["Location"])
            invitation = Invitation.objects.get(email=email)
            body = CSRF.sub("CSRF", shown.content.decode())
            body = body.replace(email, "ADDRESS")
            body = body.replace(f"/invitations/{invitation.pk}/", "/invitations/ID/")
            answers[email] = (posted.status_code, posted["Location"], posted.content, body)
            assert len(mail.outbox) == sent + 1
            assert mail.outbox[-1].to == [email]
            assert LINK.search(mail.outbox[-1].body), mail.outbox[-1].body
            transaction.set_rollback(True)
    first, *others = answers.values()
    assert all(other == first for other in others)
    assert (
        "We have sent an invitation to ADDRESS. They join Friends of Abbey Park when they accept "
        "it; if they do not have an account yet, the email tells them how to create one."
    ) in html.unescape(first[3])
    assert "Sam Lee" not in first[3] and officer.get_full_name() not in first[3]


def test_the_members_page_lists_invitations_waiting_by_the_address_typed(
    client, treasurer, members_page, invite, sam
):
    invite("SAM@Example.org ")
    client.force_login(treasurer)
    text = page_text(client.get(members_page))
    assert "Invitations waiting for an answer" in text
    assert "sam@example.org Chair" in text
    assert "Withdraw the invitation to sam@example.org" in text
    assert "Sam Lee" not in text


def test_the_invite_form_says_what_is_missing(client, treasurer, members_page):
    client.force_login(treasurer)
    response = client.post(members_page, {"email": "not an address"})
    text = page_text(response)
    assert "There is a problem" in text
    assert "Enter an email address in the correct format, like name@example.com" in text
    assert "Choose their role in the organisation" in text
    assert not Invitation.objects.exists() and not mail.outbox


def test_the_email_says_who_invited_them_and_how_to_join(invite, sam):
    invite("sam@example.org", role="treasurer")
    message = mail.outbox[-1]
    assert message.subject.startswith("You are invited to join Friends of Abbey Park")
    assert "invited you to join Friends of Abbey Park as its treasurer" in message.body
    assert "If you do not have an account yet, create one with this email address" in message.body
    assert "nothing changes unless you accept it" in message.body


def test_a_non_member_cannot_invite_or_see_the_invitations(
    client, group, members_page, invite, django_capture_on_commit_callbacks
):
    invite("sam@example.org")
    stranger = UserFactory(username="stranger", roles=["Applicant"])
    OrganisationFactory(members=[stranger], name="Another Group")
    client.force_login(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(members_page, {"email": "x@example.org", "role": "chair"})
    assert response.status_code == 404
    assert client.get(members_page).status_code == 404
    waiting = Invitation.objects.get()
    response = client.post(f"/apply/organisations/{group.pk}/invitations/{waiting.pk}/withdraw/")
    assert response.status_code == 404
    assert list(Invitation.objects.values_list("email", "status")) == [
        ("sam@example.org", "pending")
    ]
    assert len(mail.outbox) == 1


# --- answering ------------------------------------------------------------------------------


def test_the_person_invited_joins_only_by_accepting(client, group, invite, sam):
    link = invite("sam@example.org", role="chair")
    assert not is_member(group, sam)
    client.force_login(sam)
    page = client.get(link)
    assert "has invited you to join Friends of Abbey Park as its chair" in page_text(page)
    assert not is_member(group, sam)  # looking is not accepting
    response = client.post(link, {"answer": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/apply/organisations/{group.pk}/"
    assert "You are now a member of Friends of Abbey Park: Chair." in page_text(response)
    assert Membership.objects.get(organisation=group, user=sam).role == "chair"


def test_someone_without_an_account_is_told_to_create_one_with_that_address(client, invite, group):
    link = invite("new.person@example.org")
    text = page_text(client.get(link))
    assert "Join Friends of Abbey Park" in text
    assert "Create an account with the email address this invitation was sent to" in text
    assert 'href="/apply/create-account/"' in client.get(link).content.decode()
    assert "new.person@example.org" not in text  # the link alone does not say who it is for
    # Once they have an account with that address, the same link works.
    person = UserFactory(username="new.person", email="new.person@example.org", roles=[])
    client.force_login(person)
    client.post(link, {"answer": "accept"})
    assert is_member(group, person)


def test_accepting_signed_in_as_someone_else_is_refused(client, group, invite, sam):
    link = invite("sam@example.org")
    other = UserFactory(username="other", email="other@example.org", roles=["Applicant"])
    client.force_login(other)
    page = client.get(link)
    assert "sent to a different email address from the one on your account" in page_text(page)
    assert "Accept the invitation" not in page_text(page)
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 403
    assert "sent to a different email address" in page_text(response)
    assert not is_member(group, other)
    client.force_login(sam)  # the right person still can
    client.post(link, {"answer": "accept"})
    assert is_member(group, sam)


def test_a_link_works_once(client, group, invite, sam):
    link = invite("sam@example.org")
    client.force_login(sam)
    client.post(link, {"answer": "accept"})
    Membership.objects.filter(organisation=group, user=sam).delete()  # they left
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 409
    assert "This invitation has been accepted already: each invitation can be used once." in (
        page_text(response)
    )
    assert not is_member(group, sam)


def test_an_expired_link_is_refused(client, group, invite, sam):
    link = invite("sam@example.org")
    later = timezone.now() + datetime.timedelta(days=15)
    with time_machine.travel(later, tick=False):
        client.force_login(sam)
        response = client.post(link, {"answer": "accept"})
    assert response.status_code == 409
    expired = timezone.localtime(Invitation.objects.get().expires_at)
    assert (
        f"This invitation expired on {expired.day} {expired:%B %Y}. Ask the group to invite you "
        "again if you still want to join."
    ) in page_text(response)
    assert not is_member(group, sam)


def test_a_link_nobody_sent_is_not_found(client, sam):
    client.force_login(sam)
    response = client.get("/apply/invitations/made-up-token/")
    assert response.status_code == 404
    assert "This invitation link is not valid" in page_text(response)
    assert client.post("/apply/invitations/made-up-token/", {"answer": "accept"}).status_code == 404


def test_declining_leaves_the_person_out_and_ends_the_link(client, group, invite, sam):
    link = invite("sam@example.org")
    client.force_login(sam)
    response = client.post(link, {"answer": "decline"}, follow=True)
    assert "You have declined the invitation to join Friends of Abbey Park." in page_text(response)
    assert not is_member(group, sam)
    response = client.post(link, {"answer": "accept"})
    assert "This invitation was declined, so it can no longer be used." in page_text(response)
    assert not is_member(group, sam)


# --- staff ----------------------------------------------------------------------------------


def test_a_grants_officer_cannot_join_and_can_still_decide_the_groups_bid(
    client, draft, group, invite, officer
):
    assert rules.may_decide.refusal(draft, officer) is None
    link = invite(officer.email)
    client.force_login(officer)
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 403
    assert (
        "Council staff cannot join a group’s membership through the group: ask the grants team."
        in page_text(response)
    )
    assert not is_member(group, officer)
    assert Invitation.objects.get().status == "pending"
    assert rules.may_decide.refusal(draft, officer) is None


@pytest.mark.parametrize("role", ["Finance officer", "Panel member", "Administrator"])
def test_no_staff_role_joins_a_group_by_invitation(client, group, invite, role):
    person = UserFactory(username="staff", email="staff@example.org", roles=[role])
    link = invite("staff@example.org")
    client.force_login(person)
    response = client.post(link, {"answer": "accept"})
    assert "Council staff cannot join a group’s membership" in page_text(response)
    assert not is_member(group, person)


def test_a_councillor_may_join_a_community_group(client, group, invite, ward):
    councillor = CouncillorFactory(ward=ward, name="Jo Ward", user__username="cllr.ward").user
    link = invite(councillor.email)
    client.force_login(councillor)
    client.post(link, {"answer": "accept"})
    assert is_member(group, councillor)


# --- withdrawing ----------------------------------------------------------------------------


def test_a_member_withdraws_an_invitation_and_its_link_stops_working(
    client, treasurer, group, members_page, invite, sam
):
    link = invite("sam@example.org")
    waiting = Invitation.objects.get()
    client.force_login(treasurer)
    response = client.post(
        f"/apply/organisations/{group.pk}/invitations/{waiting.pk}/withdraw/", follow=True
    )
    text = page_text(response)
    assert "You have withdrawn the invitation to sam@example.org. Its link no longer works." in text
    assert "Invitations waiting for an answer" not in text
    client.force_login(sam)
    response = client.post(link, {"answer": "accept"})
    assert "The group withdrew this invitation, so it can no longer be used." in page_text(response)
    assert not is_member(group, sam)


def test_inviting_the_same_address_again_replaces_the_first_link(client, group, invite, sam):
    first = invite("sam@example.org", role="member")
    second = invite("sam@example.org", role="chair")
    client.force_login(sam)
    response = client.post(first, {"answer": "accept"})
    assert "The group withdrew this invitation" in page_text(response)
    client.post(second, {"answer": "accept"})
    assert Membership.objects.get(organisation=group, user=sam).role == "chair"


def test_only_a_digest_of_the_link_is_stored(invite):
    """Whoever reads the database (a backup, an auditor, /admin/) cannot accept for anyone."""
    link = invite("sam@example.org")
    token = link.rstrip("/").rsplit("/", 1)[1]
    (row,) = Invitation.objects.values_list()
    assert not any(token in str(value) for value in row)
    assert Invitation.objects.get().token_digest == hashlib.sha256(token.encode()).hexdigest()


def test_a_member_invited_with_another_role_takes_it_only_by_accepting(client, group, invite):
    member = UserFactory(username="bea", email="bea@example.org", roles=["Applicant"])
    Membership.objects.create(organisation=group, user=member, role="member")
    link = invite("bea@example.org", role="treasurer")
    assert Membership.objects.get(organisation=group, user=member).role == "member"
    client.force_login(member)
    client.post(link, {"answer": "accept"})
    assert Membership.objects.get(organisation=group, user=member).role == "treasurer"


def test_a_group_has_a_limited_number_of_invitations_waiting(client, treasurer, members_page):
    client.force_login(treasurer)
    for n in range(group_services.MAX_PENDING_INVITATIONS):
        assert (
            client.post(members_page, {"email": f"p{n}@example.org", "role": "member"}).status_code
            == 302
        )
    response = client.post(members_page, {"email": "one.more@example.org", "role": "member"})
    assert (
        f"Friends of Abbey Park has {group_services.MAX_PENDING_INVITATIONS} invitations waiting "
        "for an answer. Withdraw some before inviting more people."
    ) in page_text(response)
    assert not Invitation.objects.filter(email="one.more@example.org").exists()


def test_the_admin_shows_members_and_invitations_and_adds_nobody(client, group, invite):
    invite("sam@example.org")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/applications/organisation/{group.pk}/change/")
    assert page.status_code == 200
    assert "Tess" in page_text(page)  # the members are listed
    assert "Add another Membership" not in page_text(page)
    listed = client.get("/admin/applications/invitation/")
    assert "sam@example.org" in page_text(listed)
    shown = client.get(f"/admin/applications/invitation/{Invitation.objects.get().pk}/change/")
    assert shown.status_code == 200 and "Token digest" not in page_text(shown)


def test_a_group_name_with_a_line_break_still_makes_a_one_line_subject(group, invite):
    group.name = "Friends of\nAbbey Park"
    group.save()
    invite("sam@example.org")
    assert mail.outbox[-1].subject.startswith("You are invited to join Friends of Abbey Park on ")
