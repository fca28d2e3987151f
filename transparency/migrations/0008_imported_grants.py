"""Past grants imported from a 360Giving file (transparency.threesixty_imports): each one's
source and what the export publishes of it. Council-owned: on PostgreSQL, row-level security
(fundmgr/council_security.py)."""

import django.db.models.deletion
from django.db import migrations, models

from fundmgr.council_security import row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0015_organisation_ward_elsewhere"),
        ("transparency", "0007_summaries_per_council"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportedGrant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "identifier",
                    models.CharField(max_length=200, verbose_name="360Giving identifier"),
                ),
                (
                    "recipient_id",
                    models.CharField(
                        db_index=True, max_length=200, verbose_name="recipient's identifier"
                    ),
                ),
                (
                    "source",
                    models.CharField(help_text="The file it was imported from.", max_length=255),
                ),
                ("published", models.JSONField(default=dict)),
                ("raw", models.JSONField(default=dict)),
                ("imported_at", models.DateTimeField(auto_now_add=True)),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imported_grant",
                        to="applications.application",
                    ),
                ),
                (
                    "council",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="fundmgr.council",
                    ),
                ),
            ],
            options={
                "ordering": ["identifier"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("council", "identifier"), name="imported_grant_identifier_once"
                    )
                ],
            },
        ),
        row_level_security("transparency.ImportedGrant"),
    ]
