"""The dashboards' summaries (transparency.summaries), counted from the applications there are."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from transparency.summaries import rebuild

    rebuild(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_award_time"),
        ("budgets", "0011_run_sent"),
        ("transparency", "0002_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="Contribution",
            fields=[
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="applications.application",
                    ),
                ),
                ("wards", models.CharField(blank=True, default="", max_length=255)),
                ("status", models.CharField(max_length=20)),
                ("requested", models.BigIntegerField(default=0, help_text="Pence.")),
                ("awarded", models.BigIntegerField(default=0, help_text="Pence.")),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, help_text="First submission.", null=True),
                ),
                (
                    "to_decision",
                    models.BigIntegerField(
                        blank=True,
                        help_text="Microseconds from first submission to first decision.",
                        null=True,
                    ),
                ),
                (
                    "to_payment",
                    models.BigIntegerField(
                        blank=True,
                        help_text="Microseconds from first submission to first payment.",
                        null=True,
                    ),
                ),
                (
                    "fund_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="budgets.fundyear",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="StateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("wards", models.CharField(blank=True, default="", max_length=255)),
                ("status", models.CharField(max_length=20)),
                ("n", models.BigIntegerField(default=0)),
                ("requested", models.BigIntegerField(default=0, help_text="Pence.")),
                ("awarded", models.BigIntegerField(default=0, help_text="Pence.")),
                (
                    "fund_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="budgets.fundyear",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("fund_year", "wards", "status"), name="one_state_count_per_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TimeBand",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("wards", models.CharField(blank=True, default="", max_length=255)),
                ("measure", models.CharField(max_length=10)),
                ("band", models.CharField(max_length=40)),
                ("n", models.BigIntegerField(default=0)),
                ("total", models.BigIntegerField(default=0, help_text="Microseconds, summed.")),
                (
                    "fund_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="budgets.fundyear",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("fund_year", "wards", "measure", "band"),
                        name="one_time_band_per_key",
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
