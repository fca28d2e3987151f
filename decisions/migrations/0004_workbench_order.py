"""The officer workbench's default order read from an index, a page at a time.

The workbench lists every bid but drafts in the queues' order (decisions.selectors.QUEUES: a
CASE on the state), oldest first, then by id. Without an index PostgreSQL sorted every bid for
each page (550 ms at 100k bids, `manage.py benchmark pages`); with one on that same CASE it
reads the page's rows in order (2 ms). One queue (`?state=`) is ordered by its own index.

The CASE is copied here as it is today: tests/decisions/test_workbench_order.py fails if the
queues' order changes without a new migration, and tests/postgres/test_workbench_order.py that
PostgreSQL reads the page from the index. Django does not know these indexes (RunSQL), so they
change no model."""

from django.db import migrations

# decisions.selectors.PRIORITY when this index was made: a state's place in the queues' order.
QUEUE_ORDER = [
    "submitted",
    "under_assessment",
    "awaiting_decision",
    "offer_accepted",
    "monitoring",
    "awaiting_support",
    "approved",
    "draft",
    "ineligible",
    "rejected",
    "closed",
    "lapsed",
    "withdrawn",
    "revoked",
]
PRIORITY_SQL = (
    "CASE "
    + " ".join(f"WHEN \"status\" = '{state}' THEN {n}" for n, state in enumerate(QUEUE_ORDER))
    + f" ELSE {len(QUEUE_ORDER)} END"
)

FORWARD = [
    f'CREATE INDEX workbench_priority_order ON "applications_application" '
    f'(({PRIORITY_SQL}), "submitted_at", "id") WHERE NOT ("status" = \'draft\')',
    'CREATE INDEX workbench_state_order ON "applications_application" '
    '("status", "submitted_at", "id")',
]
BACKWARD = [
    "DROP INDEX IF EXISTS workbench_priority_order",
    "DROP INDEX IF EXISTS workbench_state_order",
]


class Migration(migrations.Migration):
    dependencies = [("decisions", "0003_saved_views"), ("applications", "0007_award_time")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
