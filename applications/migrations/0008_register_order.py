"""The public register's index: only the grants it lists, in its order.

It replaces 0007's (awarded_at, id) over every application. The register lists the applications
in a published state, newest award first; this index holds exactly those, so a page is read
from it in order, and the query's one condition is the index's own, which PostgreSQL estimates
well (asked for the state, the award and its time, it multiplied three guesses as if they were
independent, expected a tenth of the grants and sorted them all). Checked on PostgreSQL by
tests/postgres/test_public_register.py."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_award_time")]

    operations = [
        migrations.RemoveIndex(model_name="application", name="application_awarded_at"),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["awarded_at", "id"],
                name="application_register_order",
                condition=models.Q(
                    status__in=("approved", "offer_accepted", "monitoring", "closed", "revoked")
                ),
            ),
        ),
    ]
