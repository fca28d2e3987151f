"""The workbench's default order is the CASE its index was built on (decisions 0004): if the
queues' order changes, this fails until a new migration rebuilds the index."""

import importlib

import pytest

from decisions.selectors import PRIORITY, queues, workbench_applications
from tests.factories import ApplicationFactory, OrganisationFactory


def test_the_queues_order_is_the_one_the_index_was_built_on():
    migration = importlib.import_module("decisions.migrations.0004_workbench_order")
    assert [str(state) for state in PRIORITY] == migration.QUEUE_ORDER
    assert list(PRIORITY.values()) == list(range(len(migration.QUEUE_ORDER)))


@pytest.mark.django_db
def test_a_search_finds_bids_by_reference_or_group_name(fund_year):
    abbey = OrganisationFactory(name="Friends of Abbey Park")
    by_group = ApplicationFactory(status="submitted", fund_year=fund_year, organisation=abbey)
    by_reference = ApplicationFactory(status="submitted", fund_year=fund_year, reference="ABBEY-1")
    ApplicationFactory(status="submitted", fund_year=fund_year, title="Abbey benches")
    ApplicationFactory(status="draft", fund_year=fund_year, organisation=abbey)  # not work yet
    assert {a.pk for a in workbench_applications({"q": "aBBey"})} == {by_group.pk, by_reference.pk}
    assert {a.pk for a in workbench_applications({"q": " abbey-1 "})} == {by_reference.pk}
    counts = {q.status: q.count for q in queues({"q": "abbey"})}
    assert counts["submitted"] == 2 and counts["draft"] == 1
