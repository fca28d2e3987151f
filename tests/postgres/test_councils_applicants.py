"""A group applies to two councils (issue 18): its profile is shared, its applications are
not. On PostgreSQL, where another council's rows are not there at all (row-level security):
a group registered with council a, whose ward is a's, applies to council b, and the group, b's
officers and b's councillors each see the bid at b, named with b's wards only."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from applications import services
from budgets.models import FundYear, Ward
from fundmgr import councils
from fundmgr.errors import InvalidInput
from tests.councils_fixtures import two_councils

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def made(on_postgres):
    return two_councils()


def test_a_group_of_one_council_applies_to_another_and_everyone_there_sees_the_bid(made, client):
    a, b = made["a"], made["b"]
    group = a.app.organisation
    with councils.acting_for(b.council):
        fund_year = FundYear.objects.get()
        bid = services.application_create(
            fund_year=fund_year, organisation=group, by=a.treasurer, title="Shared orchard"
        )
        # The group's own ward is a's: the bid starts with none of b's, and a's is refused.
        assert list(bid.wards.all()) == []
        with councils.acting_for(councils.SERVICE):
            ward_a = Ward.objects.get(council=a.council)
        with pytest.raises(InvalidInput, match=f"{ward_a.name} is not a ward of Council b"):
            services.application_update(application=bid, by=a.treasurer, wards=[ward_a])
        ward_b = Ward.objects.get()
        services.application_update(application=bid, by=a.treasurer, wards=[ward_b])
        assert list(bid.wards.all()) == [ward_b]
    # The treasurer sees the group and the bid at b's address, and only b's bids there.
    client.force_login(a.treasurer)
    home = client.get("/council-b/apply/").content.decode()
    assert group.name in home and bid.reference in home
    assert a.app.reference not in home
    # b's officer opens it; a's officer finds nothing there.
    client.force_login(b.officer)
    page = client.get(f"/council-b/officer/applications/{bid.reference}/")
    assert page.status_code == 200 and "Shared orchard" in page.content.decode()
    client.force_login(a.officer)
    assert client.get(f"/council-b/officer/applications/{bid.reference}/").status_code == 404


def test_the_link_of_a_bid_to_a_ward_is_the_bids_council_and_refuses_anothers_ward(made):
    a, b = made["a"], made["b"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT l.council_id, a.council_id FROM applications_application_wards l "
            "JOIN applications_application a ON a.id = l.application_id"
        )
        linked = sorted(cursor.fetchall())
    assert linked == [(a.council.pk, a.council.pk), (b.council.pk, b.council.pk)]
    ward_b = Ward.objects.get(council=b.council)
    with pytest.raises(Exception, match="same_council"):
        with transaction.atomic():
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
            a.app.wards.add(ward_b)  # past the services' check: the database refuses it
    assert list(a.app.wards.values_list("council_id", flat=True)) == [a.council.pk]
