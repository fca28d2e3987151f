"""Every foreign key between two council-owned tables also checks the council: on PostgreSQL a
key of (column, council_id) to the parent's (id, council_id) (fundmgr/council_security.py
`same_council_keys`). Here because finance migrates after the apps whose tables it names; it
reads every app's models as they stand at this migration."""

from django.db import migrations

from fundmgr.council_security import same_council_keys


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0005_council'),
        ('applications', '0014_council'),
        ('budgets', '0016_year_end'),
        ('decisions', '0010_council'),
        ('transparency', '0006_council'),
        ('fundmgr', '0010_staff_at_councils'),
    ]

    operations = [same_council_keys()]
