"""Each group's published grants in each ward (transparency.models.GroupShare), kept as the
dashboards' other summaries are: a ward profile's "Groups funded" reads a page of them instead
of summing every grant of the ward. Each application's contribution learns its group, and the
shares are counted from the contributions there are."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from transparency.summaries import PUBLISHED, Facts, _regroup, name_order

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE transparency_contribution SET organisation_id = (SELECT a.organisation_id"
            " FROM applications_application a"
            " WHERE a.id = transparency_contribution.application_id)"
        )
    Contribution = apps.get_model("transparency", "Contribution")
    GroupShare = apps.get_model("transparency", "GroupShare")
    published = Contribution.objects.filter(status__in=PUBLISHED, awarded__gt=0)
    _regroup(GroupShare, (Facts.of(row) for row in published.iterator()), name_order(apps=apps))


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0011_pending_pledges"),
        ("budgets", "0011_run_sent"),
        ("transparency", "0004_money_summaries"),
    ]

    operations = [
        migrations.AddField(
            model_name="contribution",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                help_text="The group that applied: its share of a ward's grants (GroupShare).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="applications.organisation",
            ),
        ),
        migrations.CreateModel(
            name="GroupShare",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.BigIntegerField(default=0)),
                ("pence", models.BigIntegerField(default=0)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="applications.organisation",
                    ),
                ),
                (
                    "ward",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="budgets.ward",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("n__gt", 0)),
                        fields=["ward", "-pence"],
                        name="group_share_most_first",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ward", "organisation"), name="one_group_share_per_key"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
