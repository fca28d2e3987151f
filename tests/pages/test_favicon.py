"""The service's icon: linked from every page, and at /favicon.ico where browsers look for it."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon_in_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    icon = finders.find("favicon.ico")
    assert icon is not None
    with open(icon, "rb") as handle:
        assert handle.read(4) == b"\x00\x00\x01\x00"  # an ICO file


def test_every_page_links_to_icons_that_exist(client):
    page = client.get("/sign-in/").text
    links = re.findall(r'<link rel="(icon|apple-touch-icon)" href="/static/([^"]+)"', page)
    assert sorted(name for _, name in links) == [
        "apple-touch-icon.png",
        "favicon.ico",
        "favicon.svg",
    ]
    for _, name in links:
        assert finders.find(name) is not None, name


def test_the_icon_is_the_services_own_not_the_crown():
    with open(finders.find("favicon.svg"), encoding="utf-8") as handle:
        svg = handle.read()
    assert "<title>Community grants</title>" in svg
    assert "crown" not in svg.lower()


def test_the_api_documentation_page_shows_the_same_icon(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="reader", roles=["Grants officer"]))
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg">' in page.text
