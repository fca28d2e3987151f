"""The council is now fundmgr.Council (fundmgr/0008): the foreign keys point there. Django's
record only; the database's keys already point at the same table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0013_run_line_clearing"),
        ("fundmgr", "0008_council_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ward",
                    name="council",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="wards",
                        to="fundmgr.council",
                    ),
                ),
                migrations.AlterField(
                    model_name="electionperiod",
                    name="council",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="election_periods",
                        to="fundmgr.council",
                    ),
                ),
                migrations.AlterField(
                    model_name="fund",
                    name="council",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="funds",
                        to="fundmgr.council",
                    ),
                ),
                migrations.DeleteModel(name="Council"),
            ],
            database_operations=[],
        ),
    ]
