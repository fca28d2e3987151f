"""The workbench's search by reference, on PostgreSQL, from a trigram index again now that the
service's role is subject to row-level security.

Under a policy, PostgreSQL evaluates the policy's test before any condition that is not
"leakproof", and LIKE is not: the trigram index on applications_application (0006) could no
longer be used, and every search read every bid. So each bid's reference is also kept, with its
council, in `decisions_reference_search`, a table of the database's own (no model, no policy:
it holds only ids, councils and references, which say nothing the bid's own page does not), kept
by triggers in the same statement as the bid, with the trigram index on it. The search reads the
ids from it, filtered by the council in scope, and the bids themselves from
applications_application, under its policy as ever (decisions.selectors._search_sides)."""

from django.db import migrations

FORWARD = r"""
CREATE TABLE decisions_reference_search (
    application_id bigint PRIMARY KEY,  -- no foreign key: the bids' table is truncated alone
    council_id bigint NOT NULL,
    reference text NOT NULL
);
CREATE INDEX decisions_reference_search_trgm ON decisions_reference_search
    USING gin (reference gin_trgm_ops);
INSERT INTO decisions_reference_search (application_id, council_id, reference)
    SELECT id, council_id, UPPER(reference) FROM applications_application;

CREATE FUNCTION decisions_reference_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO decisions_reference_search (application_id, council_id, reference)
    VALUES (NEW.id, NEW.council_id, UPPER(NEW.reference))
    ON CONFLICT (application_id) DO UPDATE
      SET council_id = EXCLUDED.council_id, reference = EXCLUDED.reference;
  RETURN NULL;
END $$;

CREATE TRIGGER decisions_reference_kept
  AFTER INSERT OR UPDATE OF reference, council_id ON applications_application
  FOR EACH ROW EXECUTE FUNCTION decisions_reference_kept();

CREATE FUNCTION decisions_reference_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM decisions_reference_search;
  ELSE
    DELETE FROM decisions_reference_search WHERE application_id = OLD.id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER decisions_reference_gone AFTER DELETE ON applications_application
  FOR EACH ROW EXECUTE FUNCTION decisions_reference_gone();
CREATE TRIGGER decisions_reference_truncated AFTER TRUNCATE ON applications_application
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_reference_gone();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS decisions_reference_truncated ON applications_application;
DROP TRIGGER IF EXISTS decisions_reference_gone ON applications_application;
DROP FUNCTION IF EXISTS decisions_reference_gone();
DROP TRIGGER IF EXISTS decisions_reference_kept ON applications_application;
DROP FUNCTION IF EXISTS decisions_reference_kept();
DROP TABLE IF EXISTS decisions_reference_search;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0010_council"),
        ("applications", "0015_organisation_ward_elsewhere"),
    ]

    operations = [migrations.RunPython(forward, backward)]
