"""The roles of DESIGN.md as Django groups with the model permissions each needs. Object-level
rules (a councillor sees only their own statement) are enforced in the code, not here."""

from django.db import migrations

from fundmgr.roles import grant_role_permissions

ROLE_PERMISSIONS = {
    "Applicant": [],
    "Councillor": [],
    "Panel member": [],
    "Grants officer": [
        "budgets.view_financialyear",
        "budgets.view_ward",
        "budgets.view_councillor",
        "budgets.view_electionperiod",
        "budgets.view_fund",
        "budgets.view_fundyear",
        "budgets.view_account",
        "budgets.view_ledgertransaction",
        "budgets.view_entry",
    ],
    "Finance officer": [
        "budgets.view_financialyear",
        "budgets.view_fund",
        "budgets.view_fundyear",
        "budgets.view_account",
        "budgets.view_ledgertransaction",
        "budgets.view_entry",
    ],
    "Auditor": ["*.view_*"],
    "Administrator": [
        "budgets.*_financialyear",
        "budgets.*_council",
        "budgets.*_ward",
        "budgets.*_councillor",
        "budgets.*_electionperiod",
        "budgets.*_fund",
        "budgets.*_fundyear",
        "budgets.view_account",
        "budgets.view_ledgertransaction",
        "budgets.view_entry",
        "fundmgr.*_user",
        "auth.view_group",
    ],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("fundmgr", "0001_initial"),
        ("budgets", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
