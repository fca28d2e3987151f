"""Which of a ward's bids wait for councillor support, on PostgreSQL: the link of a bid to each
ward it benefits (applications_application_wards) carries `awaiting_support`, kept by triggers
in the same transaction as the link or the bid's step that changes it, and a partial index on
(ward, bid) of the links that wait. The councillor home's list of bids waiting for them (and its
count) reads that index for their wards, not every bid of the council waiting for support
joined to the ward (22 ms at 100k bids, and growing with them). The column is the database's,
not the model's: Django never writes it; SQLite asks each bid's state as before.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE applications_application_wards
  ADD COLUMN awaiting_support boolean NOT NULL DEFAULT false;

CREATE FUNCTION applications_link_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.awaiting_support := EXISTS (
    SELECT 1 FROM applications_application a
    WHERE a.id = NEW.application_id AND a.status = 'awaiting_support'
  );
  RETURN NEW;
END $$;

CREATE TRIGGER applications_link_waiting
  BEFORE INSERT OR UPDATE OF application_id ON applications_application_wards
  FOR EACH ROW EXECUTE FUNCTION applications_link_waiting();

CREATE FUNCTION applications_bid_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE applications_application_wards SET awaiting_support = (NEW.status = 'awaiting_support')
  WHERE application_id = NEW.id;
  RETURN NEW;
END $$;

CREATE TRIGGER applications_bid_waiting AFTER UPDATE OF status ON applications_application
  FOR EACH ROW
  WHEN ((OLD.status = 'awaiting_support') IS DISTINCT FROM (NEW.status = 'awaiting_support'))
  EXECUTE FUNCTION applications_bid_waiting();

UPDATE applications_application_wards w SET awaiting_support = true
  FROM applications_application a
  WHERE a.id = w.application_id AND a.status = 'awaiting_support';

CREATE INDEX ward_link_awaiting_support ON applications_application_wards (ward_id, application_id)
  WHERE awaiting_support;
"""

BACKWARD = r"""
DROP INDEX IF EXISTS ward_link_awaiting_support;
DROP TRIGGER IF EXISTS applications_bid_waiting ON applications_application;
DROP FUNCTION IF EXISTS applications_bid_waiting();
DROP TRIGGER IF EXISTS applications_link_waiting ON applications_application_wards;
DROP FUNCTION IF EXISTS applications_link_waiting();
ALTER TABLE applications_application_wards DROP COLUMN IF EXISTS awaiting_support;
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
    dependencies = [("applications", "0011_pending_pledges")]

    operations = [migrations.RunPython(forward, backward)]
