"""The workbench's default order is the CASE its index was built on (decisions 0004): if the
queues' order changes, this fails until a new migration rebuilds the index."""

import importlib

from decisions.selectors import PRIORITY


def test_the_queues_order_is_the_one_the_index_was_built_on():
    migration = importlib.import_module("decisions.migrations.0004_workbench_order")
    assert [str(state) for state in PRIORITY] == migration.QUEUE_ORDER
    assert list(PRIORITY.values()) == list(range(len(migration.QUEUE_ORDER)))
