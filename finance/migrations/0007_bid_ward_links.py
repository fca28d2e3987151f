"""The link of a bid to each ward it benefits (applications_application_wards, Django's own
table for Application.wards) is sealed as the council-owned tables are, on PostgreSQL: it
carries the bid's council (`council_id`, filled by the database from the bid as a link is made;
Django never writes it), row-level security, and keys of (application, council) and (ward,
council), so a bid cannot be linked to another council's ward."""

from django.db import migrations

from fundmgr.council_security import FUNCTIONS, no_policies_for, policies_for

TABLE = "applications_application_wards"

FORWARD = f"""
ALTER TABLE {TABLE} ADD COLUMN council_id bigint;
UPDATE {TABLE} l SET council_id = a.council_id
  FROM applications_application a WHERE a.id = l.application_id;
ALTER TABLE {TABLE} ALTER COLUMN council_id SET NOT NULL;
CREATE FUNCTION applications_link_council() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.council_id IS NULL THEN
    SELECT council_id INTO NEW.council_id FROM applications_application
      WHERE id = NEW.application_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {TABLE}_council BEFORE INSERT ON {TABLE} FOR EACH ROW
  EXECUTE FUNCTION applications_link_council();
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_bid_same_council
  FOREIGN KEY (application_id, council_id) REFERENCES applications_application (id, council_id)
  DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_ward_same_council
  FOREIGN KEY (ward_id, council_id) REFERENCES budgets_ward (id, council_id)
  DEFERRABLE INITIALLY DEFERRED;
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS {TABLE}_council ON {TABLE};
DROP FUNCTION IF EXISTS applications_link_council();
ALTER TABLE {TABLE} DROP COLUMN council_id;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(FORWARD, params=None)
    schema_editor.execute(policies_for(TABLE))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(no_policies_for(TABLE))
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0006_same_council_keys"),
        ("applications", "0015_organisation_ward_elsewhere"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
