"""The ledger's "opening" transaction kind: a council switching in the middle of a year posts
each councillor's allocation, and what was committed and paid before the switch, as opening
postings (budgets.opening, manage.py import_opening_position). Only the choices change: no
constraint or trigger in the database lists the kinds."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0017_kind_totals_planned_by_size"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgertransaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("budget", "Budget set"),
                    ("allocation", "Allocation"),
                    ("transfer", "Transfer"),
                    ("commitment", "Commitment"),
                    ("release", "Release"),
                    ("payment", "Payment"),
                    ("refund", "Refund"),
                    ("carry_forward", "Carried forward"),
                    ("lapse", "Lapsed"),
                    ("reversal", "Reversal"),
                    ("opening", "Opening position"),
                ],
                max_length=16,
            ),
        ),
    ]
