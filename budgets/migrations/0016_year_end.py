"""A financial year is closed per council (issue 18): who closed it and when moves from the
service-wide FinancialYear to YearEnd, one row per council and year, and each fund year carries
its council's state (`FundYear.is_closed`). A year closed before councils were many is closed
for every council that had fund years in it (else for the first council)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from fundmgr.council_security import row_level_security


def closes_move_to_councils(apps, schema_editor):
    FinancialYear = apps.get_model("budgets", "FinancialYear")
    FundYear = apps.get_model("budgets", "FundYear")
    YearEnd = apps.get_model("budgets", "YearEnd")
    Council = apps.get_model("fundmgr", "Council")
    first = Council.objects.order_by("pk").values_list("pk", flat=True).first()
    for year in FinancialYear.objects.filter(is_closed=True):
        held = set(FundYear.objects.filter(year=year).values_list("council_id", flat=True))
        for council_id in sorted(held or ({first} if first else set())):
            YearEnd.objects.create(
                council_id=council_id,
                year=year,
                closed_at=year.closed_at or django.utils.timezone.now(),
                closed_by_id=year.closed_by_id,
            )
        FundYear.objects.filter(year=year).update(is_closed=True)


def closes_back_to_years(apps, schema_editor):
    FinancialYear = apps.get_model("budgets", "FinancialYear")
    YearEnd = apps.get_model("budgets", "YearEnd")
    for end in YearEnd.objects.order_by("closed_at"):
        FinancialYear.objects.filter(pk=end.year_id).update(
            is_closed=True, closed_at=end.closed_at, closed_by_id=end.closed_by_id
        )


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0015_council'),
        ('fundmgr', '0010_staff_at_councils'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='fundyear',
            name='is_closed',
            field=models.BooleanField(default=False, editable=False, help_text='The council closed this year.', verbose_name='year closed'),
        ),
        migrations.CreateModel(
            name='YearEnd',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('closed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('council', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='fundmgr.council')),
                ('year', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ends', to='budgets.financialyear')),
            ],
            options={
                'ordering': ['year__start'],
                'constraints': [models.UniqueConstraint(fields=('council', 'year'), name='one_year_end_per_council')],
            },
        ),
        migrations.RunPython(closes_move_to_councils, closes_back_to_years, elidable=False),
        row_level_security('budgets.YearEnd'),
        migrations.RemoveField(
            model_name='financialyear',
            name='closed_at',
        ),
        migrations.RemoveField(
            model_name='financialyear',
            name='closed_by',
        ),
        migrations.RemoveField(
            model_name='financialyear',
            name='is_closed',
        ),
    ]
