"""In a real browser: a group's treasurer invites someone by e-mail address; the person follows
the link from the e-mail, signs in from the invitation page and accepts; they are a member only
then."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from applications.models import Membership
from tests.browser import screenshot, serious_accessibility_violations, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"(https?://\S+/apply/invitations/[A-Za-z0-9_-]+/)")


def looks_right(page, name: str) -> None:
    assert serious_accessibility_violations(page) == [], name
    screenshot(page, f"invitations-{name}")


def test_a_member_invites_someone_who_signs_in_from_the_link_and_accepts(
    page, live_server, draft, treasurer
):
    group = draft.organisation
    sam = UserFactory(
        username="sam", email="sam@example.org", first_name="Sam", last_name="Lee", roles=[]
    )

    # The treasurer invites Sam as chair: told the same as for any address, and no name.
    sign_in(page, live_server, treasurer.username)
    page.goto(f"{live_server.url}/apply/organisations/{group.pk}/")
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label("Their email address").fill("Sam@Example.org")
    page.get_by_label("Chair").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "We have sent an invitation to sam@example.org. They join Friends of Abbey Park when "
        "they accept it"
    )
    expect(page.get_by_test_id("invitations")).to_contain_text("sam@example.org")
    expect(page.get_by_role("main")).not_to_contain_text("Sam Lee")
    looks_right(page, "sent")
    assert not Membership.objects.filter(organisation=group, user=sam).exists()

    # Sam follows the link in the e-mail, signed out: sign in from the invitation page.
    (message,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    link = LINK.search(message.body).group(1)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Friends of Abbey Park")).to_be_visible()
    expect(page.get_by_role("link", name="Create an account")).to_be_visible()
    looks_right(page, "signed-out")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Password", exact=True).fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()

    # Back on the invitation: who asked, for which role; joining only by accepting.
    expect(page.get_by_role("button", name="Accept the invitation")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"{treasurer.get_full_name()} has invited you to join Friends of Abbey Park as its chair."
    )
    looks_right(page, "to-answer")
    assert not Membership.objects.filter(organisation=group, user=sam).exists()
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "You are now a member of Friends of Abbey Park: Chair."
    )
    expect(page.get_by_role("heading", name="Friends of Abbey Park")).to_be_visible()
    looks_right(page, "accepted")
    assert Membership.objects.get(organisation=group, user=sam).role == "chair"

    # The link has been used.
    page.goto(link)
    expect(page.get_by_test_id("refusal")).to_have_text(
        "This invitation has been accepted already: each invitation can be used once."
    )
    expect(page.get_by_role("button", name="Accept the invitation")).to_have_count(0)
