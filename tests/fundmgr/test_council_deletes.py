"""A delete working for one council deletes only that council's rows, even the one-statement
delete Django makes when nothing need be collected (fundmgr.models.CouncilQuerySet._raw_delete):
found by `manage.py benchmark councils`, whose summaries rebuilt council by council kept only the
last council's (transparency.summaries.rebuild empties its tables with `all().delete()`)."""

from __future__ import annotations

import pytest

from decisions.models import SavedView
from fundmgr import councils
from tests.councils_fixtures import two_councils

pytestmark = pytest.mark.django_db


@pytest.fixture
def views():
    made = two_councils()
    for key, m in made.items():
        with councils.acting_for(m.council):
            SavedView.objects.create(officer=m.officer, name=f"Mine at {key}", query="state=x")
    return made


def _names() -> set[str]:
    with councils.across_the_service():
        return set(SavedView.objects.values_list("name", flat=True))


def test_deleting_everything_for_one_council_leaves_the_other_councils_rows(views):
    with councils.acting_for(views["a"].council):
        deleted, _ = SavedView.objects.all().delete()
    assert deleted == 1
    assert _names() == {"Mine at b"}


def test_deleting_with_no_council_in_scope_deletes_nothing(views):
    with councils.acting_for(councils.NOTHING):
        deleted, _ = SavedView.objects.all().delete()
    assert deleted == 0
    assert _names() == {"Mine at a", "Mine at b"}


def test_deleting_across_the_service_deletes_every_councils_rows(views):
    with councils.across_the_service():
        deleted, _ = SavedView.objects.filter(query="state=x").delete()
    assert deleted == 2
    assert _names() == set()
