"""Every council's row-level security policy asks for the council in scope once per query, not
once per row (fundmgr/council_security.py `policies_for`): a trigger's per-bid read of the
bid-ward links under the old policy matched the setting's text for every row it passed, and
bulk inserts of links ran for minutes."""

from django.db import migrations

from fundmgr.council_security import policies_again


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0007_bid_ward_links'),
        ('decisions', '0012_queue_wards_in_bulk'),
        ('transparency', '0007_summaries_per_council'),
    ]

    operations = [policies_again()]
