"""A councillor's pledges (or declines) newest first, read from an index a page at a time: the
councillor home's lists (applications.councillor_selectors.my_responses). Without it PostgreSQL
joined every bid to the councillor's pledges to sort them (35 ms at 100k bids, and growing).
Checked by tests/postgres/test_councillor_lists.py."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0009_state_since")]

    operations = [
        migrations.AddIndex(
            model_name="pledge",
            index=models.Index(
                fields=["councillor", "status", "-created_at", "-id"],
                name="pledge_councillor_newest",
            ),
        ),
    ]
