"""A ward's workbench list read from an index in its order (decisions.models.WardListing), on
PostgreSQL.

The workbench filtered by a ward walked the default order's index (decisions 0004) and looked up
each bid's wards until it had a page: at 100k bids in 50 wards, 30,000 bids for the first page
of ward 4 (35 ms, `manage.py benchmark pages`), more the later the ward's bids come in the
order. A row per bid and ward now holds what the list is ordered by (the queue's place and when
the bid was received; none for a draft), indexed as (ward, place, received, bid) over every
state but drafts, so a
ward's page is the index's next rows. Statement triggers keep it in the transaction of each
change: a bid's wards given or taken away add or delete its rows; an update that changes its
state or when it was received changes them; a deleted bid's go with it. The migration fills it
from the bids' wards. The queue's place is decisions 0004's CASE (its QUEUE_ORDER), which
tests/decisions/test_workbench_order.py ties to decisions.selectors.PRIORITY.
Checked by tests/postgres/test_ward_listings.py."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0004 = importlib.import_module("decisions.migrations.0004_workbench_order")
PRIORITY_SQL, DRAFT = _0004.PRIORITY_SQL, _0004.QUEUE_ORDER.index("draft")

FORWARD = [
    f"""
CREATE FUNCTION decisions_priority(status text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT NULLIF({PRIORITY_SQL.replace('"status"', "status")}, {DRAFT})::smallint
$$""",
    """
CREATE FUNCTION decisions_listing_wards_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO decisions_wardlisting (application_id, ward_id, priority, submitted_at)
    SELECT r.application_id, r.ward_id, decisions_priority(a.status), a.submitted_at
    FROM new_rows r JOIN applications_application a ON a.id = r.application_id
    ORDER BY r.application_id, r.ward_id
    ON CONFLICT (application_id, ward_id) DO NOTHING;
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION decisions_listing_wards_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM decisions_wardlisting l USING old_rows o
    WHERE l.application_id = o.application_id AND l.ward_id = o.ward_id;
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION decisions_listing_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE decisions_wardlisting l
    SET priority = decisions_priority(n.status), submitted_at = n.submitted_at
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE l.application_id = n.id
    AND (o.status IS DISTINCT FROM n.status OR o.submitted_at IS DISTINCT FROM n.submitted_at);
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION decisions_listing_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM decisions_wardlisting l USING old_rows o WHERE l.application_id = o.id;
    RETURN NULL;
END
$$""",
    """
CREATE TRIGGER decisions_listing_wards_added AFTER INSERT ON applications_application_wards
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION decisions_listing_wards_added()""",
    """
CREATE TRIGGER decisions_listing_wards_removed AFTER DELETE ON applications_application_wards
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION decisions_listing_wards_removed()""",
    """
CREATE TRIGGER decisions_listing_updated AFTER UPDATE ON applications_application
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION decisions_listing_updated()""",
    """
CREATE TRIGGER decisions_listing_deleted AFTER DELETE ON applications_application
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION decisions_listing_deleted()""",
    """
INSERT INTO decisions_wardlisting (application_id, ward_id, priority, submitted_at)
SELECT w.application_id, w.ward_id, decisions_priority(a.status), a.submitted_at
FROM applications_application_wards w JOIN applications_application a ON a.id = w.application_id""",
]
TRIGGERS = {
    "decisions_listing_wards_added": "applications_application_wards",
    "decisions_listing_wards_removed": "applications_application_wards",
    "decisions_listing_updated": "applications_application",
    "decisions_listing_deleted": "applications_application",
}
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in TRIGGERS.items()),
    *(f"DROP FUNCTION IF EXISTS {name}()" for name in TRIGGERS),
    "DROP FUNCTION IF EXISTS decisions_priority(text)",
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
        ("applications", "0010_pledge_newest"),
        ("budgets", "0011_run_sent"),
        ("decisions", "0007_queue_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="WardListing",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("priority", models.SmallIntegerField(null=True)),
                ("submitted_at", models.DateTimeField(null=True)),
                (
                    "application",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="ward_listings",
                        to="applications.application",
                    ),
                ),
                (
                    "ward",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="budgets.ward",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("priority__isnull", False)),
                        fields=["ward", "priority", "submitted_at", "application"],
                        name="ward_listing_order",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("application", "ward"), name="one_listing_per_ward"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
