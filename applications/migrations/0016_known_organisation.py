# A council's own list of groups (issue 19: imported groups), sealed per council on PostgreSQL;
# charity numbers of Northern Ireland (NIC100012) and linked charities (1234567-1) accepted.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from fundmgr.council_security import row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0015_organisation_ward_elsewhere"),
        ("fundmgr", "0011_council_gl_columns_validators"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organisation",
            name="charity_number",
            field=models.CharField(
                blank=True,
                max_length=12,
                validators=[
                    django.core.validators.RegexValidator(
                        "^([2-9]\\d{5}|1\\d{6})(-\\d{1,3})?$|^1\\d{5}$|^SC\\d{6}$|^NIC1\\d{5}$",
                        "A charity number: 1234567, SC012345 or NIC100012.",
                    )
                ],
            ),
        ),
        migrations.CreateModel(
            name="KnownOrganisation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("added_at", models.DateTimeField(auto_now_add=True)),
                (
                    "council",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="fundmgr.council",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="known_by",
                        to="applications.organisation",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("council", "organisation"), name="known_organisation_once"
                    )
                ],
            },
        ),
        row_level_security("applications.KnownOrganisation"),
    ]
