"""The workbench's queue counts kept as bids change (decisions.models.QueueCount), on PostgreSQL.

Before, each workbench page counted every bid by state under its filters: at 100k bids that
count was most of the page's time (`manage.py benchmark pages`), and it grew with the bids. Now
statement triggers on the applications (insert, delete, and an update that changes a bid's state
or fund year) and on their wards (a ward added or taken away) add +1/-1 to the rows of the
fund year, set of wards and state the bid leaves and joins, in the transaction of the change
(so a step, a bulk insert or an edit outside the workflow are counted alike), and the counts are
exact. The rows are keyed by set of wards, not by ward, so that steps on bids of different wards
do not all wait on one row's lock (a row per state alone would make every approval of a fund
year wait on the others' commits). The migration counts every bid as it is. Other databases
(SQLite, for tests) count per request (decisions.selectors.queues).
Checked by tests/postgres/test_queue_counts.py."""

import django.db.models.deletion
from django.db import migrations, models

# The key of a bid's set of wards: their ids in order, comma-joined ("" for none).
KEY = """
CREATE FUNCTION decisions_wards_key(app bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT COALESCE(string_agg(ward_id::text, ',' ORDER BY ward_id), '')
    FROM applications_application_wards WHERE application_id = app
$$"""

# Add the changes (rows of fund year, wards key, state, +1 or -1) to the counts in one
# statement, in key order, so that two transactions never wait on each other in a circle.
ADD = """
INSERT INTO decisions_queuecount (fund_year_id, wards, status, n)
SELECT fy, k, st, sum(d) FROM changes GROUP BY fy, k, st HAVING sum(d) <> 0 ORDER BY fy, k, st
ON CONFLICT (fund_year_id, wards, status) DO UPDATE SET n = decisions_queuecount.n + excluded.n"""


def _function(name: str, changes: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changes (fy, k, st, d) AS ({changes}) {ADD};
    RETURN NULL;
END
$$"""


# Statement triggers with transition tables: a step's UPDATE of one bid costs one statement; a
# bulk insert of many bids, one statement too.
FUNCTIONS = {
    "decisions_queue_inserted": (
        "SELECT fund_year_id, decisions_wards_key(id), status, 1 FROM new_rows"
    ),
    "decisions_queue_deleted": (
        "SELECT fund_year_id, decisions_wards_key(id), status, -1 FROM old_rows"
    ),
    "decisions_queue_updated": """
        SELECT x.fy, decisions_wards_key(x.id), x.st, x.d FROM (
            SELECT o.id, o.fund_year_id, o.status, -1 FROM old_rows o JOIN new_rows n USING (id)
            WHERE o.status IS DISTINCT FROM n.status OR o.fund_year_id <> n.fund_year_id
            UNION ALL
            SELECT n.id, n.fund_year_id, n.status, 1 FROM old_rows o JOIN new_rows n USING (id)
            WHERE o.status IS DISTINCT FROM n.status OR o.fund_year_id <> n.fund_year_id
        ) AS x (id, fy, st, d)""",
    # A bid given wards: its count moves from the set it had (without the new rows) to the one
    # it has now. A bid's wards taken away: from the set with the removed rows to the one now.
    "decisions_queue_wards_added": """
        SELECT a.fund_year_id, k.k, a.status, k.d FROM (
            SELECT t.id, (
                SELECT COALESCE(string_agg(w.ward_id::text, ',' ORDER BY w.ward_id), '')
                FROM applications_application_wards w WHERE w.application_id = t.id
                AND NOT EXISTS (
                    SELECT 1 FROM new_rows r
                    WHERE r.application_id = t.id AND r.ward_id = w.ward_id
                )
            ), -1 FROM (SELECT DISTINCT application_id FROM new_rows) AS t (id)
            UNION ALL
            SELECT t.id, decisions_wards_key(t.id), 1
            FROM (SELECT DISTINCT application_id FROM new_rows) AS t (id)
        ) AS k (id, k, d) JOIN applications_application a ON a.id = k.id""",
    "decisions_queue_wards_removed": """
        SELECT a.fund_year_id, k.k, a.status, k.d FROM (
            SELECT t.id, (
                SELECT COALESCE(string_agg(w.ward_id::text, ',' ORDER BY w.ward_id), '')
                FROM (
                    SELECT ward_id FROM applications_application_wards
                    WHERE application_id = t.id
                    UNION SELECT ward_id FROM old_rows WHERE application_id = t.id
                ) AS w (ward_id)
            ), -1 FROM (SELECT DISTINCT application_id FROM old_rows) AS t (id)
            UNION ALL
            SELECT t.id, decisions_wards_key(t.id), 1
            FROM (SELECT DISTINCT application_id FROM old_rows) AS t (id)
        ) AS k (id, k, d) JOIN applications_application a ON a.id = k.id""",
}
TRIGGERS = [
    ("decisions_queue_inserted", "applications_application", "INSERT", "NEW TABLE AS new_rows"),
    ("decisions_queue_deleted", "applications_application", "DELETE", "OLD TABLE AS old_rows"),
    (
        "decisions_queue_updated",
        "applications_application",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    ),
    (
        "decisions_queue_wards_added",
        "applications_application_wards",
        "INSERT",
        "NEW TABLE AS new_rows",
    ),
    (
        "decisions_queue_wards_removed",
        "applications_application_wards",
        "DELETE",
        "OLD TABLE AS old_rows",
    ),
]

# Every bid counted as it is now.
BACKFILL = """
INSERT INTO decisions_queuecount (fund_year_id, wards, status, n)
SELECT fund_year_id, decisions_wards_key(id), status, count(*) FROM applications_application
GROUP BY 1, 2, 3"""

FORWARD = [
    KEY,
    *(_function(name, changes) for name, changes in FUNCTIONS.items()),
    *(
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        for name, table, event, tables in TRIGGERS
    ),
    BACKFILL,
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _, _ in TRIGGERS),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name in FUNCTIONS),
    "DROP FUNCTION IF EXISTS decisions_wards_key(bigint)",
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
    dependencies = [
        ("budgets", "0011_run_sent"),
        ("decisions", "0006_workbench_search"),
        ("applications", "0010_pledge_newest"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("wards", models.CharField(blank=True, default="", max_length=255)),
                ("status", models.CharField(max_length=20)),
                ("n", models.BigIntegerField(default=0)),
                (
                    "fund_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="budgets.fundyear",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("fund_year", "wards", "status"), name="one_queue_count_per_key"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
