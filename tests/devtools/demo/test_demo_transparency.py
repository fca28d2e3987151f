"""The demo council's published data: its 360Giving file validates, its dashboards show its money
to the penny, and nothing public names a person."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum

from applications.models import Organisation
from budgets.models import Account, Councillor, FinancialYear
from fundmgr.models import User
from transparency import schema, threesixty
from transparency.published import published
from transparency.scope import EVERYTHING, Filters
from transparency.spend import breakdowns

pytestmark = pytest.mark.django_db
SAMPLE = Path(settings.BASE_DIR) / "transparency" / "samples" / "demo-ward-population.csv"


@pytest.fixture(autouse=True)
def in_thornbury(demo):
    """The demo's first council, Thornbury Vale, read in its scope (the demo also holds
    Ashcombe, whose statement and figures these are not)."""
    from fundmgr import councils
    from fundmgr.models import Council

    with councils.acting_for(Council.objects.get(slug="thornbury-vale")):
        yield


def pence(amount) -> int:
    return int(Decimal(amount or 0) * 100)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


@pytest.mark.usefixtures("demo")
class TestTheDemosPublishedData:
    def test_its_360giving_package_validates_against_the_schema_with_no_errors(self):
        years = [None, *FinancialYear.objects.filter(fund_years__applications__in=published())]
        for year in dict.fromkeys(years):
            package = json.loads("".join(threesixty.json_chunks(year)))
            assert package["grants"], year
            assert schema.errors(package) == [], year

    def test_every_awarded_grant_is_in_the_file_once(self):
        package = json.loads("".join(threesixty.json_chunks()))
        ids = [g["id"] for g in package["grants"]]
        assert len(ids) == len(set(ids)) == published().count() > 50

    def test_its_dashboards_add_up_to_the_ledger(self):
        tables = breakdowns(Filters(), EVERYTHING)
        paid = pence(Account.objects.filter(kind="paid").aggregate(t=Sum("balance"))["t"])
        committed = pence(
            Account.objects.filter(kind="commitment").aggregate(t=Sum("balance"))["t"]
        )
        assert paid > 0 and committed > 0
        for by in ("ward", "fund", "councillor", "year"):
            assert tables[by].totals[2:4] == [paid, committed], by
        rows = {row[0]: row for row in tables["councillor"].rows}
        for councillor in Councillor.objects.select_related("ward"):
            label = f"Cllr {councillor.name} ({councillor.ward.name})"
            held = Account.objects.filter(councillor=councillor)
            expected = [
                pence(held.filter(kind="paid").aggregate(t=Sum("balance"))["t"]),
                pence(held.filter(kind="commitment").aggregate(t=Sum("balance"))["t"]),
            ]
            assert (rows[label][2:4] if label in rows else [0, 0]) == expected, label

    def test_its_dashboards_show_the_demos_money_to_an_officer(self, client):
        client.force_login(User.objects.get(username="admin"))
        page = body(client.get("/dashboards/", {"year": ""}))
        paid = Account.objects.filter(kind="paid").aggregate(t=Sum("balance"))["t"]
        assert f"£{paid:,.2f}" in page

    def test_nothing_public_names_a_person_or_shows_a_groups_contact_details(self, client):
        forbidden = set()
        for user in User.objects.all():
            forbidden |= {user.get_full_name(), user.email}
        forbidden |= set(Councillor.objects.values_list("name", flat=True))
        for org in Organisation.objects.all():
            forbidden |= {org.email, org.phone, org.postcode, org.address.splitlines()[0]}
        forbidden.discard("")
        urls = [
            "/grants/",
            "/grants/?page=2",
            "/grants/wards/",
            "/grants/360giving/",
            "/grants/360giving/grants-all.json",
            "/grants/360giving/grants-all.csv",
            "/grants/transparency-code/grants-all.csv",
            *[f"/grants/wards/{gss}/" for gss in ("E05900001", "E05900002", "E05900012")],
        ]
        for url in urls:
            text = body(client.get(url))
            assert [value for value in forbidden if value in text] == [], url

    def test_the_sample_ward_populations_load_and_give_money_per_head(self, client):
        out = io.StringIO()
        call_command("import_ward_population", str(SAMPLE), stdout=out)
        assert "12 figure(s) for 12 ward(s): 12 added" in out.getvalue()
        page = body(client.get("/grants/wards/E05900001/"))
        assert "8,511 (2021)" in page and "Per head" in page
