"""Headers and markup every answer shares (README "Security"): a strict Content-Security-Policy
and pages that keep to it, nothing a signed-in person is sent kept in a cache, no CSRF token in
the address of a GET form, and the API's description for signed-in callers only.

The markup rules are checked on every page each role reaches from its start pages by following
the links on them, so a new page or form is covered without being listed here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from applications import services as s
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


# --- the markup of the pages -----------------------------------------------------------------


class Markup(HTMLParser):
    """What the CSP refuses (inline script, style and event handlers), every GET form that
    carries a CSRF token, and the links to follow."""

    def __init__(self):
        super().__init__()
        self.inline: list[str] = []
        self.forms: list[str] = []  # each form's method, in order
        self.tokens_in_get_forms = 0
        self.links: list[str] = []
        self._form_methods: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if "style" in found:
            self.inline.append(f'<{tag} style="{found["style"]}">')
        self.inline += [f"<{tag} {name}=...>" for name in found if name.startswith("on")]
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script" and not found.get("src"):
            if found.get("type", "text/javascript") not in ("application/json", "text/plain"):
                self.inline.append("<script> with code in the page")
        if tag == "form":
            method = (found.get("method") or "get").lower()
            self._form_methods.append(method)
            self.forms.append(method)
        if tag == "input" and found.get("name") == "csrfmiddlewaretoken":
            if self._form_methods and self._form_methods[-1] == "get":
                self.tokens_in_get_forms += 1
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])

    def handle_endtag(self, tag):
        if tag == "form" and self._form_methods:
            self._form_methods.pop()


# Addresses a crawl leaves alone: signing out, the admin (Django's own pages), the API (JSON), and
# downloads, which are not pages.
NOT_PAGES = ("/sign-out/", "/admin/", "/api/", "/files/", "/documents/", "/static/", "/media/")
MOST_PAGES = 80


def crawl(client, starts: list[str]) -> dict[str, Markup]:
    """Every HTML page reachable from `starts` by the links on the pages (up to MOST_PAGES)."""
    seen: dict[str, Markup] = {}
    queue = list(starts)
    while queue and len(seen) < MOST_PAGES:
        url = urldefrag(queue.pop(0))[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or url in seen:
            continue
        if parts.path.startswith(NOT_PAGES) or "download" in parts.path:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        markup = Markup()
        markup.feed(response.content.decode())
        seen[url] = markup
        queue += [urljoin(url, link) for link in markup.links if not link.startswith("mailto:")]
    return seen


@pytest.fixture
def everyone(draft, treasurer, officer, finance, shaw):
    """A group's draft, and the people who reach the most pages: the group's treasurer, a
    grants officer, a finance officer, a ward councillor and an administrator."""
    s.application_submit(application=draft, by=treasurer)
    return {
        "applicant": treasurer,
        "grants officer": officer,
        "finance officer": finance,
        "councillor": shaw.user,
        "administrator": UserFactory(roles=["Administrator", "Grants officer", "Finance officer"]),
    }


STARTS = ["/", "/grants/", "/grants/wards/", "/officer/", "/finance/", "/dashboards/", "/apply/"]


@pytest.fixture(scope="module")
def crawled() -> dict[str, Markup]:
    return {}


@pytest.fixture
def pages(request, crawled) -> dict[str, Markup]:
    """Every page each role reaches, and the public pages a visitor reaches. The crawl (about
    500 GETs, most of this module's time) is made once: the first test that needs it crawls, in
    a world of its own, and the others read the same pages (they only read them)."""
    if crawled:
        return crawled
    client, everyone = request.getfixturevalue("client"), request.getfixturevalue("everyone")
    crawled |= {f"visitor {url}": markup for url, markup in crawl(client, STARTS).items()}
    for role, user in everyone.items():
        client.force_login(user)
        crawled |= {f"{role} {url}": markup for url, markup in crawl(client, STARTS).items()}
        client.logout()
    return crawled


def test_no_get_form_puts_a_csrf_token_in_the_address(pages):
    get_forms = {where: markup for where, markup in pages.items() if "get" in markup.forms}
    # The filter forms the crawl must reach, so that the test tests something.
    for page in [
        "visitor /grants/",
        "visitor /grants/wards/",
        "visitor /apply/eligibility/",
        "grants officer /officer/",
        "finance officer /finance/bank-details/",
    ]:
        assert page in get_forms, page
    assert any(" /dashboards/" in where for where in get_forms)
    assert {w: m.tokens_in_get_forms for w, m in get_forms.items() if m.tokens_in_get_forms} == {}


def test_no_page_has_inline_script_or_style(pages):
    assert len(pages) > 20
    assert {where: markup.inline for where, markup in pages.items() if markup.inline} == {}


# --- Content-Security-Policy -----------------------------------------------------------------


def test_every_answer_carries_the_strict_policy(client, everyone, treasurer):
    assert policy(client.get("/sign-in/")) == POLICY
    assert policy(client.get("/grants/")) == POLICY
    client.force_login(treasurer)
    assert policy(client.get("/")) == POLICY
    assert policy(client.get("/api/v1/applications/")) == POLICY


# --- Cache-Control: no-store for signed-in people --------------------------------------------


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_nothing_sent_to_a_signed_in_person_is_stored(client, draft, treasurer):
    added = s.attachment_add(
        application=draft,
        by=treasurer,
        description="Quote",
        file=SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote"),
    )
    client.force_login(treasurer)
    for url in [
        "/apply/",
        f"/apply/applications/{draft.pk}/tasks/",
        f"/files/attachments/{added.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), (url, response.get("Cache-Control"))
    client.logout()

    token = Token.objects.create(user=treasurer).key
    response = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert no_store(response), response.get("Cache-Control")
    download = client.get(
        f"/api/v1/attachments/{added.pk}/download/", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert download.status_code == 200
    assert no_store(download)


def test_public_pages_for_visitors_keep_their_caching(client, fund_year):
    response = client.get("/grants/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- the API's description --------------------------------------------------------------------


def test_the_api_description_and_its_page_are_for_signed_in_callers(client, treasurer):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 401
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/sign-in/?next=")
    assert client.get("/api/v1/docs/?script=").status_code == 302

    token = Token.objects.create(user=treasurer).key
    by_token = client.get("/api/v1/schema/?format=json", HTTP_AUTHORIZATION=f"Token {token}")
    assert by_token.status_code == 200 and by_token.json()["openapi"].startswith("3.")
    client.force_login(treasurer)
    assert client.get("/api/v1/schema/").status_code == 200
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    markup = Markup()
    markup.feed(page.content.decode())
    assert markup.inline == []
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_a_setting_opens_the_api_description_to_anyone(client, settings, db):
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200
