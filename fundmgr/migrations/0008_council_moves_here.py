"""The council moves from budgets to the kernel: the top of the data, which every app's rows
belong to. Only Django's record of the models changes here; the table is renamed in 0009."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fundmgr", "0007_outbox_channels_claims_worker_beat"),
        ("budgets", "0011_run_sent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Council",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        (
                            "gss_code",
                            models.CharField(
                                max_length=9,
                                unique=True,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^[EWSN]0[6-9]\\d{6}$",
                                        "A local authority GSS code, E07000123.",
                                    )
                                ],
                                verbose_name="ONS GSS code",
                            ),
                        ),
                        (
                            "org_id",
                            models.CharField(
                                blank=True,
                                help_text="For 360Giving, GB-LAE-ABC.",
                                max_length=40,
                                verbose_name="org-id identifier",
                            ),
                        ),
                    ],
                    options={"db_table": "budgets_council"},
                ),
            ],
            database_operations=[],
        ),
    ]
