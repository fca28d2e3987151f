"""Past grants imported from a 360Giving file on PostgreSQL, where row-level security holds and
the summaries are kept in the transaction of each change: council A's imported grants count in
A's summaries (grants per fund year, wards and state; the groups' shares of its wards) and on its
/grants/ pages, never in council B's, and a recount agrees with what is kept."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import set_script_prefix

from budgets.integrity import ledger_violations
from fundmgr import councils
from tests.councils_fixtures import two_councils
from transparency import summaries
from transparency.models import GroupShare, ImportedGrant, StateCount

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def grant(n: int) -> dict:
    return {
        "id": f"360G-oldcouncila-{n}",
        "title": f"Past grant {n}",
        "currency": "GBP",
        "amountAwarded": 100 * n,
        "awardDate": "2019-06-14",
        "recipientOrganization": [{"id": f"GB-CHC-11{n:05d}", "name": f"Group {n}"}],
        "fundingOrganization": [{"id": "GB-LAE-AAA", "name": "Council a"}],
        "grantProgramme": [{"code": "CCIFA"}],
        "beneficiaryLocation": [{"geoCode": "E05000101"}],
    }


def test_imported_grants_count_in_their_councils_summaries_only(client, tmp_path, on_postgres):
    made = two_councils()
    a = made["a"].council
    a.org_id = "GB-LAE-AAA"
    a.save()
    path = tmp_path / "past.json"
    path.write_text(json.dumps({"grants": [grant(1), grant(2)]}))
    out = io.StringIO()
    call_command("import_360giving", str(path), "--council", "council-a", stdout=out)
    assert "5 created" in out.getvalue()  # two grants, their two groups, a past fund year

    with councils.acting_for(a):
        closed = StateCount.objects.filter(status="closed").aggregate(n=Sum("n"), p=Sum("awarded"))
        assert closed == {"n": 2, "p": 30000}
        assert GroupShare.objects.aggregate(p=Sum("pence"))["p"] == 30000
        assert ImportedGrant.objects.count() == 2
        assert summaries.differences() == []
    with councils.acting_for(made["b"].council):
        assert not StateCount.objects.filter(status="closed").exists()
        assert not GroupShare.objects.exists()
        assert ImportedGrant.objects.count() == 0
    with councils.acting_for(councils.SERVICE):
        assert ledger_violations() == []

    set_script_prefix("/")
    try:
        page_a = client.get("/council-a/grants/").content.decode()
        page_b = client.get("/council-b/grants/").content.decode()
    finally:
        set_script_prefix("/")
    assert "Past grant 1" in page_a and "Past grant 2" in page_a
    assert "Past grant" not in page_b
