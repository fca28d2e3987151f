"""One reference counter per fund year, started from the highest number each year already has.

The old `next_reference` took the last reference in text order, so a year that had reached
CCIF26-1000000 was stuck at CCIF26-999999; here the highest is found by value.
"""

import re

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Length


def start_counters(apps, schema_editor):
    FundYear = apps.get_model("budgets", "FundYear")
    Application = apps.get_model("applications", "Application")
    ReferenceCounter = apps.get_model("applications", "ReferenceCounter")
    for fund_year in FundYear.objects.select_related("fund", "year"):
        prefix = f"{fund_year.fund.code}{fund_year.year.start.year % 100:02d}-"
        last = (
            Application.objects.filter(reference__regex=rf"^{re.escape(prefix)}[0-9]+$")
            .order_by(Length("reference").desc(), "-reference")
            .values_list("reference", flat=True)
            .first()
        )
        ReferenceCounter.objects.update_or_create(
            fund_year=fund_year,
            defaults={"last_number": int(last.removeprefix(prefix)) if last else 0},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_invitation"),
        ("budgets", "0007_clawback"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceCounter",
            fields=[
                (
                    "fund_year",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reference_counter",
                        serialize=False,
                        to="budgets.fundyear",
                    ),
                ),
                ("last_number", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(start_counters, migrations.RunPython.noop),
    ]
