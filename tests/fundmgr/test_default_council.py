"""Where a bare address goes when the service has several councils: to the council the setting
DEFAULT_COUNCIL names (the demo's Thornbury Vale), except the service administrator's /admin/;
a council named by its prefix or its host is that council whatever the setting says."""

from __future__ import annotations

import pytest

from fundmgr import councils
from tests.councils_fixtures import two_councils

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    return two_councils()


def test_a_bare_address_is_for_the_default_council(made, settings):
    settings.DEFAULT_COUNCIL = "council-b"
    b = made["b"].council
    assert councils.resolve("testserver", "/officer/") == (b, "")
    assert councils.resolve("testserver", "/") == (b, "")
    # A prefix or a host still names its council.
    assert councils.resolve("testserver", "/council-a/officer/")[0] == made["a"].council
    # The service administrator's /admin/ stays service-wide.
    assert councils.resolve("testserver", "/admin/") == (None, "")


@pytest.mark.parametrize("default", ["", "no-such-council"])
def test_with_no_default_a_bare_address_is_for_no_council(made, settings, client, default):
    settings.DEFAULT_COUNCIL = default
    assert councils.resolve("testserver", "/officer/") == (None, "")
    assert client.get("/officer/").status_code == 404


def test_the_default_councils_pages_answer_at_the_bare_address(made, settings, client):
    settings.DEFAULT_COUNCIL = "council-a"
    client.force_login(made["a"].officer)
    assert client.get("/officer/").status_code == 200
    assert client.get("/council-a/officer/").status_code == 200
    # The other council's officer, at their council's prefix.
    client.force_login(made["b"].officer)
    assert client.get("/council-b/officer/").status_code == 200


def test_another_councils_people_find_nothing_here(made, client):
    """Staff of council B, at council A's addresses: every page and API route that is not public
    is not there (404, by every method), where the same person at B is let in."""
    a, b = made["a"], made["b"]
    client.force_login(b.officer)
    for url in ("/council-a/officer/", "/council-a/api/v1/wards/", "/council-a/budgets/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert client.get("/council-b/api/v1/wards/").status_code == 200
    # Public pages are everyone's, and a treasurer (an applicant of the whole service) may use
    # any council's pages for groups.
    assert client.get("/council-a/grants/").status_code == 200
    client.force_login(b.treasurer)
    assert client.get("/council-a/apply/").status_code == 200
    assert client.get("/council-a/officer/").status_code == 403
    # A's own officer is let in.
    client.force_login(a.officer)
    assert client.get("/council-a/officer/").status_code == 200


def test_a_councils_stored_documents_are_not_another_councils(made, client):
    """A stored document (fundmgr.models.Document is the whole service's) is the council's whose
    record it is about: another council's officer, at their own council's address, finds no
    such document."""
    from fundmgr.documents import document_store

    a, b = made["a"], made["b"]
    with councils.acting_for(a.council):
        copy = document_store(
            kind="answers",
            reference=a.app.reference,
            key=f"application:{a.app.reference}",
            description="The answers a group sent",
            content=b"%PDF-1.4\n%%EOF\n",
            by=None,
        )
    client.force_login(a.officer)
    assert client.get(f"/council-a/documents/{copy.pk}/").status_code == 200
    client.force_login(b.officer)
    assert client.get(f"/council-b/documents/{copy.pk}/").status_code == 404


def test_a_groups_shared_profile_is_seen_only_by_the_councils_it_applied_to(made, client):
    """A group's profile and bank details are the whole service's, seen by the finance officers
    of the councils it applied to only: another council's finds it in no list and not by its
    number, on the pages and in the API."""
    from applications.organisations import bank_account_change
    from tests.factories import UserFactory

    a = made["a"]
    group = a.app.organisation
    account = bank_account_change(
        organisation=group,
        by=a.treasurer,
        account_name="Friends of a",
        sort_code="112233",
        account_number="44556677",
    )
    finance = {}
    for key in ("a", "b"):
        with councils.acting_for(made[key].council):
            finance[key] = UserFactory(username=f"finance-{key}", roles=["Finance officer"])
    pages = {
        "waiting": "/finance/bank-details/",
        "history": f"/finance/organisations/{group.pk}/bank-details/",
        "check": f"/finance/bank-details/{account.pk}/",
        "list": "/api/v1/bank-accounts/",
        "detail": f"/api/v1/bank-accounts/{account.pk}/",
        "group": f"/api/v1/organisations/{group.pk}/",
    }
    seen = {}
    for key in ("a", "b"):
        client.force_login(finance[key])
        for name, url in pages.items():
            response = client.get(f"/council-{key}{url}")
            seen[(key, name)] = (response.status_code, group.name in response.content.decode())
    assert all(seen[("a", name)] == (200, True) for name in pages), seen
    assert seen[("b", "waiting")] == (200, False)
    assert seen[("b", "list")] == (200, False)
    for name in ("history", "check", "detail", "group"):
        assert seen[("b", name)][0] == 404, (name, seen)


def test_a_councils_administrator_sees_only_its_councils_groups_in_the_admin(made, client):
    """Groups and their bank details are the whole service's: in /admin/, a council's
    administrator sees the groups that applied to their council, not another council's."""
    from applications.organisations import bank_account_change
    from tests.factories import UserFactory

    a, b = made["a"], made["b"]
    bank_account_change(
        organisation=a.app.organisation,
        by=a.treasurer,
        account_name="Friends of a",
        sort_code="112233",
        account_number="44556677",
    )
    with councils.acting_for(b.council):
        admin_b = UserFactory(username="admin-b", is_staff=True, roles=["Administrator"])
    client.force_login(admin_b)
    groups = client.get("/council-b/admin/applications/organisation/")
    assert groups.status_code == 200
    assert "Friends of b" in groups.text and "Friends of a" not in groups.text
    accounts = client.get("/council-b/admin/applications/bankaccount/")
    assert accounts.status_code == 200 and "FRIENDS OF A" not in accounts.text
    other = client.get(
        f"/council-b/admin/applications/organisation/{a.app.organisation.pk}/change/"
    )
    assert other.status_code == 302  # the admin's "no such object"


def test_a_councils_administrator_sees_and_changes_only_its_own_people(made, client):
    """People are the whole service's: in /admin/, a council's administrator sees its own staff
    and its groups' members, not another council's nor the service administrators, and cannot
    make anyone a service administrator."""
    from fundmgr.models import User
    from tests.factories import UserFactory

    a, b = made["a"], made["b"]
    root = User.objects.create_superuser("root", "root@example.org", "not-a-real-password")
    with councils.acting_for(b.council):
        admin_b = UserFactory(username="admin-b", is_staff=True, roles=["Administrator"])
    client.force_login(admin_b)
    listing = client.get("/council-b/admin/fundmgr/user/").text
    assert "officer-b" in listing and "treasurer-b" in listing
    assert "officer-a" not in listing and "treasurer-a" not in listing and "root" not in listing
    assert client.get(f"/council-b/admin/fundmgr/user/{a.officer.pk}/change/").status_code == 302
    assert client.get(f"/council-b/admin/fundmgr/user/{root.pk}/change/").status_code == 302
    own = client.get(f"/council-b/admin/fundmgr/user/{b.officer.pk}/change/")
    assert own.status_code == 200
    assert 'name="is_superuser"' not in own.text  # shown, not editable
