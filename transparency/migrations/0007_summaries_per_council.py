"""The spend and clawback summaries' stamp and spend figures belong to a council (issue 18): each
council's figures are counted from its own ledger and read by its own pages, never mixed with
another's. Rows already there are the first council's (a database from before councils shared
a service has one); the stamp, whose key was its name alone, is made again with the council in
its key and its rows copied. On PostgreSQL, row-level security on both tables
(fundmgr/council_security.py)."""

import django.db.models.deletion
from django.db import migrations, models

from fundmgr.council_security import council_required, fill_councils, row_level_security


def copy_stamps(apps, schema_editor):
    Council = apps.get_model("fundmgr", "Council")
    Old = apps.get_model("transparency", "OldSummaryStamp")
    New = apps.get_model("transparency", "SummaryStamp")
    first = Council.objects.order_by("pk").values_list("pk", flat=True).first()
    if first is None:
        return
    New.objects.bulk_create(
        New(council_id=first, name=o.name, built_at=o.built_at, marks=o.marks, queued=o.queued)
        for o in Old.objects.all()
    )


def forget_figures(apps, schema_editor):
    """Going back: without their council several councils' figures would clash in the old key;
    they are a summary, counted again by the first page to need them."""
    apps.get_model("transparency", "SpendFigure").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fundmgr", "0010_staff_at_councils"),
        ("transparency", "0006_council"),
    ]

    operations = [
        # SpendFigure: a council column, filled, required, and in the key.
        migrations.RemoveConstraint(model_name="spendfigure", name="one_spend_figure_per_key"),
        migrations.RunPython(migrations.RunPython.noop, forget_figures),
        migrations.AddField(
            model_name="spendfigure",
            name="council",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="fundmgr.council",
            ),
        ),
        fill_councils(("transparency.SpendFigure", None)),
        council_required("spendfigure"),
        migrations.AddConstraint(
            model_name="spendfigure",
            constraint=models.UniqueConstraint(
                fields=("council", "year", "fund", "within", "by", "key"),
                name="one_spend_figure_per_key",
            ),
        ),
        # SummaryStamp: made again with an id and the council in its key; rows copied.
        migrations.RenameModel("SummaryStamp", "OldSummaryStamp"),
        migrations.CreateModel(
            name="SummaryStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=20)),
                ("built_at", models.DateTimeField()),
                (
                    "marks",
                    models.CharField(
                        help_text="Newest posting, step and report ids.", max_length=100
                    ),
                ),
                (
                    "queued",
                    models.CharField(
                        blank=True, default="", help_text="Refresh for.", max_length=100
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
                "constraints": [
                    models.UniqueConstraint(
                        fields=("council", "name"), name="one_summary_stamp_per_name"
                    )
                ],
            },
        ),
        migrations.RunPython(copy_stamps, migrations.RunPython.noop),
        migrations.DeleteModel("OldSummaryStamp"),
        row_level_security("transparency.SpendFigure", "transparency.SummaryStamp"),
    ]
