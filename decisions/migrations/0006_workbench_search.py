"""The officer workbench sorted by days waiting, and searched, through indexes, on PostgreSQL.

Waiting: by when each bid came into its present state (applications.Application.state_since,
kept by applications/migrations/0009_state_since.py, else its submission, else its creation),
either way round, then by reference, over every bid but drafts: a page is read from the index
in order. Before, each page looked up every bid's last log and sorted them all (1 s at 100k
bids, `manage.py benchmark pages`).

Search: the text is looked for anywhere in the reference and in the group's name
(decisions.selectors._filtered: Django's icontains, UPPER(column) LIKE UPPER('%text%')); a
trigram index on each UPPER(column) finds the matches without reading every bid (pg_trgm, which
ships with PostgreSQL; creating it needs a superuser or a trusted-extension owner).
tests/postgres/test_workbench_order.py checks the plans."""

from django.db import migrations

WAITING = 'COALESCE("state_since", "submitted_at", "created_at")'
FORWARD = [
    *(
        f'CREATE INDEX workbench_waiting_{way} ON "applications_application" '
        f'({WAITING} {order} NULLS LAST, "reference") WHERE NOT ("status" = \'draft\')'
        for way, order in (("asc", "DESC"), ("desc", "ASC"))  # fewest days waiting first: the latest
    ),
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX workbench_search_reference ON "applications_application" '
    'USING gin ((UPPER("reference"::text)) gin_trgm_ops)',
    'CREATE INDEX workbench_search_organisation ON "applications_organisation" '
    'USING gin ((UPPER("name"::text)) gin_trgm_ops)',
]
BACKWARD = [
    "DROP INDEX IF EXISTS workbench_waiting_asc",
    "DROP INDEX IF EXISTS workbench_waiting_desc",
    "DROP INDEX IF EXISTS workbench_search_reference",
    "DROP INDEX IF EXISTS workbench_search_organisation",
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
    dependencies = [("decisions", "0005_workbench_sorts"), ("applications", "0009_state_since")]

    operations = [migrations.RunPython(forward, backward)]
