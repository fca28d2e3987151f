"""The public register's index: only the grants it lists, in its order.

It replaces 0007's (awarded_at, id) over every application: PostgreSQL multiplies the
selectivities of the register's three conditions (state, award, award time) as if they were
independent, underestimates the grants several times over and sorts them all rather than walk
that index; an index holding only the listed grants leaves no condition to guess, and a page is
read from it in order (tests/postgres/test_public_register.py)."""

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
                    status__in=("approved", "offer_accepted", "monitoring", "closed", "revoked"),
                    amount_awarded__isnull=False,
                    awarded_at__isnull=False,
                ),
            ),
        ),
    ]
