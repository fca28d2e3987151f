"""What the clawback page needs to know of each grant, kept on the grant's row by PostgreSQL
triggers in the same transaction as whatever changes it (finance.clawbacks reads them; on
SQLite, which has no such columns, it asks each grant's reports instead):

- `finance_spent`: what the grant's latest monitoring report says was spent (NULL: no report),
  kept when a report is written or deleted;
- `finance_owing`: the grant owes something back: in monitoring or closed with its latest report
  showing less spent than paid, or revoked with money paid; kept whenever the grant is written.

A partial index on the reference of the grants owing keeps each list a walk of a short index
and its count a count of the grants owing, not of every grant monitored. The columns are the
database's, not the model's: Django never writes them. Each grant is brought up to date when
the migration runs.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE applications_application ADD COLUMN finance_spent numeric(12, 2),
  ADD COLUMN finance_owing boolean NOT NULL DEFAULT false;

CREATE FUNCTION finance_owing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.finance_owing := (NEW.status IN ('monitoring', 'closed')
                        AND NEW.finance_spent IS NOT NULL
                        AND NEW.finance_spent < NEW.paid_to_date)
                       OR (NEW.status = 'revoked' AND NEW.paid_to_date > 0);
  RETURN NEW;
END $$;

CREATE TRIGGER finance_owing BEFORE INSERT OR UPDATE ON applications_application
  FOR EACH ROW EXECUTE FUNCTION finance_owing();

CREATE FUNCTION finance_report_spent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE app bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN app := OLD.application_id; ELSE app := NEW.application_id; END IF;
  UPDATE applications_application a SET finance_spent = (
    SELECT r.amount_spent FROM applications_monitoringreport r
    WHERE r.application_id = app ORDER BY r.id DESC LIMIT 1
  ) WHERE a.id = app;
  IF TG_OP = 'UPDATE' AND OLD.application_id <> NEW.application_id THEN
    UPDATE applications_application a SET finance_spent = (
      SELECT r.amount_spent FROM applications_monitoringreport r
      WHERE r.application_id = OLD.application_id ORDER BY r.id DESC LIMIT 1
    ) WHERE a.id = OLD.application_id;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER finance_report_spent AFTER INSERT OR UPDATE OR DELETE
  ON applications_monitoringreport FOR EACH ROW EXECUTE FUNCTION finance_report_spent();

CREATE INDEX application_owing_ref ON applications_application (reference) WHERE finance_owing;

UPDATE applications_application a SET finance_spent = (
  SELECT r.amount_spent FROM applications_monitoringreport r
  WHERE r.application_id = a.id ORDER BY r.id DESC LIMIT 1
) WHERE a.status IN ('monitoring', 'closed', 'revoked');
"""

BACKWARD = r"""
DROP INDEX application_owing_ref;
DROP TRIGGER finance_report_spent ON applications_monitoringreport;
DROP FUNCTION finance_report_spent();
DROP TRIGGER finance_owing ON applications_application;
DROP FUNCTION finance_owing();
ALTER TABLE applications_application DROP COLUMN finance_spent, DROP COLUMN finance_owing;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_payable_facts")]

    operations = [migrations.RunPython(forward, backward)]
