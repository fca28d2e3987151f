"""The workbench searched by a group's name reads only the index entries of the bids found.

decisions.selectors._search_sides finds the groups whose name holds the text from their trigram
index (decisions 0006), then their bids: this index on a bid's group, holding what the list and
its counts need of each (its state, when it was received, its id), answers that side without
reading the bids' rows, so the count by state and a page's ids of a search that finds 5,000 of
100k bids read 5,000 index entries (about 5 ms each), not every bid (`manage.py benchmark pages`:
`/officer/?q=group+7&page=2`). On PostgreSQL only, as 0005 and 0006.
Checked by tests/postgres/test_workbench_order.py."""

from django.db import migrations

FORWARD = (
    'CREATE INDEX workbench_search_groups ON "applications_application" '
    '("organisation_id") INCLUDE ("status", "submitted_at", "id")'
)
BACKWARD = "DROP INDEX IF EXISTS workbench_search_groups"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0008_ward_listings")]

    operations = [migrations.RunPython(forward, backward)]
