"""The officer workbench sorted by amount or by the day received, read from an index a page at
a time, either way round (decisions.selectors._SORT_COLUMNS: the column, then the reference).
Without them PostgreSQL sorted every bid for each page: 740 ms at 100k bids sorted by amount
(`manage.py benchmark pages`). Over every bid but drafts, as the workbench lists them. On
PostgreSQL only (SQLite's indexes take no NULLS LAST).
tests/postgres/test_workbench_order.py checks that a page is read from each."""

from django.db import migrations

SORTS = {"amount": "amount_requested", "received": "submitted_at"}
FORWARD = [
    f'CREATE INDEX workbench_{name}_{way} ON "applications_application" '
    f'("{column}" {way.upper()} NULLS LAST, "reference") WHERE NOT ("status" = \'draft\')'
    for name, column in SORTS.items()
    for way in ("asc", "desc")
]
BACKWARD = [
    f"DROP INDEX IF EXISTS workbench_{name}_{way}" for name in SORTS for way in ("asc", "desc")
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0004_workbench_order")]

    operations = [migrations.RunPython(forward, backward)]
