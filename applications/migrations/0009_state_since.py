"""`Application.state_since`: when the application came into its present state (the time of its
last TransitionLog row), stored so the officer workbench sorts by days waiting through an index
(decisions/migrations/0006_workbench_search.py) instead of looking up every bid's last log.

On PostgreSQL a trigger keeps it: when an UPDATE changes the state, the column takes the time of
the application's last log (a workflow step writes its log first, then the row, in one
transaction: applications.services._run), in the same statement, so a step costs no extra round
trip; any other UPDATE keeps the stored time, whatever the saved instance held. The backfill
reads the log as the workbench did. Other databases (SQLite, for tests) leave it empty and the
workbench reads the log there (decisions.selectors.workbench_applications).
Checked by tests/postgres/test_workbench_order.py."""

from django.db import migrations, models

BACKFILL = """
UPDATE applications_application AS a SET state_since = (
    SELECT l.at FROM applications_transitionlog AS l
    WHERE l.application_id = a.id ORDER BY l.id DESC LIMIT 1
)"""

FORWARD = [
    BACKFILL,
    """
CREATE FUNCTION applications_state_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.state_since := (
            SELECT at FROM applications_transitionlog
            WHERE application_id = NEW.id ORDER BY id DESC LIMIT 1
        );
    ELSE
        NEW.state_since := OLD.state_since;
    END IF;
    RETURN NEW;
END
$$""",
    """
CREATE TRIGGER applications_state_since BEFORE UPDATE ON applications_application
FOR EACH ROW EXECUTE FUNCTION applications_state_since()""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS applications_state_since ON applications_application",
    "DROP FUNCTION IF EXISTS applications_state_since()",
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
    dependencies = [("applications", "0008_register_order")]

    operations = [
        migrations.AddField(
            model_name="application",
            name="state_since",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
