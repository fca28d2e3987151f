# ruff: noqa: F811 (pytest fixtures are imported, then named as arguments)
"""An offer's last day: approved on 1 December 2026 with a 28-day window, it can be accepted up
to the end of 29 December 2026 and lapses on the 30th. The letter, the group's pages and the API
give the same day, in the same words."""

from __future__ import annotations

import datetime
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from applications.models import Application
from applications.workflow import Status
from decisions import documents
from fundmgr.documents import stored_content
from tests import journeys
from tests.api_fixtures import API, client_for
from tests.documents_fixtures import flat, pdf_text

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
APPROVED_AT = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
LAST_MINUTE = datetime.datetime(2026, 12, 29, 23, 59, tzinfo=LONDON)
NEXT_MORNING = datetime.datetime(2026, 12, 30, 0, 1, tzinfo=LONDON)
ACCEPT_BY = (
    "Accept this offer by 29 December 2026. If you have not accepted by the end of that day, "
    "the offer lapses."
)
LAPSED = (
    "The last day to accept this offer was 29 December 2026. It has lapsed and can no longer "
    "be accepted."
)


@pytest.fixture
def offer(draft, treasurer, officer, officer2, shaw, okafor):
    fund_year = draft.fund_year
    fund_year.offer_acceptance_days = 28
    fund_year.save()
    with time_machine.travel(APPROVED_AT, tick=False):
        return journeys.approved(
            draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
        )


@pytest.fixture
def group(client, treasurer):
    """The treasurer's browser; `signed_in()` inside each journey in time (a session ends when
    it is left idle, so one from the real today is over a month later)."""

    def signed_in():
        client.force_login(treasurer)
        return client

    return signed_in


def offer_window_on(page) -> str:
    """The sentence in the page's inset text about the offer's last day."""
    found = re.search(r'data-testid="offer-window">(.*?)</div>', page.content.decode(), re.S)
    assert found, "the page says nothing about the offer's last day"
    return " ".join(html.unescape(found.group(1)).split())


def error_summary(page) -> list[str]:
    text = page.content.decode()
    assert "govuk-error-summary__list" in text, "the page has no error summary"
    listed = text[text.index("govuk-error-summary__list") :]
    listed = listed[: listed.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", listed, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def test_the_letter_the_pages_and_the_api_give_the_same_last_day(offer, group, treasurer):
    with time_machine.travel(APPROVED_AT, tick=False):
        browser = group()
        letter = flat(pdf_text(stored_content(documents.offer_letter(application=offer))))
        status = browser.get(f"/apply/applications/{offer.pk}/")
        accept = browser.get(f"/apply/applications/{offer.pk}/accept/")
        detail = client_for(treasurer).get(f"{API}/applications/{offer.pk}/").json()

    assert f"{ACCEPT_BY} The money then returns to the fund." in letter
    assert "Accept by 29 December 2026" in letter  # beside the reference, at the top
    assert offer_window_on(status) == ACCEPT_BY
    assert offer_window_on(accept) == ACCEPT_BY
    assert detail["accept_by"] == "2026-12-29"


def test_an_offer_is_accepted_on_the_page_in_the_last_minute_of_its_last_day(offer, group):
    with time_machine.travel(LAST_MINUTE, tick=False):
        browser = group()
        status = browser.get(f"/apply/applications/{offer.pk}/")
        assert offer_window_on(status) == ACCEPT_BY
        assert f'href="/apply/applications/{offer.pk}/accept/"' in status.content.decode()
        call_command("lapse_offers")  # the daily run on the last day leaves it open

        response = browser.post(
            f"/apply/applications/{offer.pk}/accept/", {"confirm": "on"}, follow=True
        )

    assert "Offer accepted" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Status.OFFER_ACCEPTED


def test_an_offer_is_accepted_through_the_api_on_its_last_day(offer, treasurer):
    with time_machine.travel(LAST_MINUTE, tick=False):
        response = client_for(treasurer).post(f"{API}/applications/{offer.pk}/accept_offer/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "offer_accepted"


def test_on_the_next_day_the_page_refuses_and_says_which_day_was_the_last(offer, group):
    with time_machine.travel(NEXT_MORNING, tick=False):
        browser = group()
        status = browser.get(f"/apply/applications/{offer.pk}/")
        refused = browser.post(f"/apply/applications/{offer.pk}/accept/", {"confirm": "on"})

    assert offer_window_on(status) == LAPSED
    assert f'href="/apply/applications/{offer.pk}/accept/"' not in status.content.decode()
    assert "it was not accepted in time" in status.content.decode()
    assert error_summary(refused) == [LAPSED]
    assert Application.objects.get(pk=offer.pk).status == Status.APPROVED


def test_on_the_next_day_the_api_refuses_and_lapse_offers_lapses_it(
    offer, treasurer, group, capsys
):
    with time_machine.travel(NEXT_MORNING, tick=False):
        refused = client_for(treasurer).post(f"{API}/applications/{offer.pk}/accept_offer/")
        call_command("lapse_offers")
        status = group().get(f"/apply/applications/{offer.pk}/").content.decode()

    assert refused.status_code == 409
    assert refused.json()["detail"] == LAPSED
    assert f"Lapsed 1 offer(s): {offer.reference}" in capsys.readouterr().out
    offer.refresh_from_db()
    assert offer.status == Status.LAPSED
    assert "The offer was not accepted by the end of 29 December 2026." in status
