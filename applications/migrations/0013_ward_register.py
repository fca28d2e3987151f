"""A ward's page of the public register, on PostgreSQL: the link of a bid to each ward it
benefits (applications_application_wards) carries whether the register lists the bid
(`listed`: its state is one of REGISTER_STATES) and its award time (`register_at`), kept by
triggers in the same transaction as the link or the step that changes them, with a partial index
on (ward, award time, bid) of the listed links, newest first. A ward's grants, newest award
first, are then the index's next rows (transparency.wards.WardRegister), not the whole
register walked until enough of them belong to the ward (11 ms at 100k bids). The columns are
the database's, not the model's; SQLite reads the register as before.
"""

from django.db import migrations

# applications.models.REGISTER_STATES (tests/postgres/test_ward_register.py checks they agree)
LISTED = "('approved', 'offer_accepted', 'monitoring', 'closed', 'revoked')"

FORWARD = rf"""
ALTER TABLE applications_application_wards
  ADD COLUMN listed boolean NOT NULL DEFAULT false,
  ADD COLUMN register_at timestamptz;

CREATE FUNCTION applications_link_register() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE st text; at timestamptz;
BEGIN
  SELECT a.status, a.awarded_at INTO st, at FROM applications_application a
    WHERE a.id = NEW.application_id;
  NEW.listed := FOUND AND st IN {LISTED};
  NEW.register_at := CASE WHEN NEW.listed THEN at END;
  RETURN NEW;
END $$;

CREATE TRIGGER applications_link_register
  BEFORE INSERT OR UPDATE OF application_id ON applications_application_wards
  FOR EACH ROW EXECUTE FUNCTION applications_link_register();

CREATE FUNCTION applications_bid_register() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE applications_application_wards
    SET listed = (NEW.status IN {LISTED}),
        register_at = CASE WHEN NEW.status IN {LISTED} THEN NEW.awarded_at END
    WHERE application_id = NEW.id;
  RETURN NEW;
END $$;

CREATE TRIGGER applications_bid_register
  AFTER UPDATE OF status, awarded_at ON applications_application
  FOR EACH ROW
  WHEN ((OLD.status IN {LISTED}) IS DISTINCT FROM (NEW.status IN {LISTED})
        OR OLD.awarded_at IS DISTINCT FROM NEW.awarded_at)
  EXECUTE FUNCTION applications_bid_register();

UPDATE applications_application_wards w SET listed = true, register_at = a.awarded_at
  FROM applications_application a
  WHERE a.id = w.application_id AND a.status IN {LISTED};

CREATE INDEX ward_link_register
  ON applications_application_wards (ward_id, register_at DESC, application_id DESC)
  WHERE listed;
"""

BACKWARD = r"""
DROP INDEX IF EXISTS ward_link_register;
DROP TRIGGER IF EXISTS applications_bid_register ON applications_application;
DROP FUNCTION IF EXISTS applications_bid_register();
DROP TRIGGER IF EXISTS applications_link_register ON applications_application_wards;
DROP FUNCTION IF EXISTS applications_link_register();
ALTER TABLE applications_application_wards DROP COLUMN IF EXISTS listed,
  DROP COLUMN IF EXISTS register_at;
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
    dependencies = [("applications", "0012_ward_waiting")]

    operations = [migrations.RunPython(forward, backward)]
