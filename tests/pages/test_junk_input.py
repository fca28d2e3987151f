"""Input nobody meant to send, to the workbench, its bulk actions and saved views and the
lists' downloads: a clear answer (a page, 400, 403 or 404), never a server error."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URLS = [
    "/officer/?sort=';drop&order=sideways",
    "/officer/?download=pdf",
    "/officer/?download=xlsx&sort=amount&order=desc&amount_from=abc",
    "/officer/?page=999999",
    "/officer/?amount_from=1e400",
    "/budgets/?download=xlsx",
    "/finance/payments/?download=exe",
    "/finance/runs/?download=csv&page=-1",
    "/councillor/?download=csv&list=../../etc",
    "/dashboards/spend/?download=csv&table=nope",
]


@pytest.mark.parametrize("url", URLS)
def test_a_tampered_list_address_is_never_a_server_error(client, url):
    officer = UserFactory(roles=["Grants officer", "Finance officer"])
    client.force_login(officer)
    r = client.get(url)
    assert r.status_code < 500, (url, r.status_code)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"action": "eligible"},
        {"action": "eligible", "selected": ["abc", "-1", "9" * 30]},
        {"action": "nonsense", "selected": ["1"]},
        {"action": ["eligible", "close"], "selected": ["1"]},
    ],
)
def test_a_forged_bulk_action_is_never_a_server_error(client, data):
    officer = UserFactory(roles=["Grants officer"])
    client.force_login(officer)
    r = client.post("/officer/bulk/", data)
    assert r.status_code < 500, r.status_code


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "x" * 5000, "query": "sort=amount"},
        {"name": "v", "query": "%%%&&=="},
        {"name": "v", "query": "a=" + "b" * 100000},
    ],
)
def test_a_forged_saved_view_is_never_a_server_error(client, data):
    officer = UserFactory(roles=["Grants officer"])
    client.force_login(officer)
    r = client.post("/officer/views/new/", data)
    assert r.status_code < 500, r.status_code
