from django.db import migrations

from fundmgr.roles import grant_role_permissions

ROLE_PERMISSIONS = {
    "Auditor": ["applications.view_*"],
    "Grants officer": ["applications.view_*", "applications.change_organisation"],
    "Finance officer": [
        "applications.view_organisation",
        "applications.view_bankaccount",
        "applications.view_application",
        "applications.view_transitionlog",
    ],
    "Administrator": ["applications.view_*"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_initial"), ("fundmgr", "0002_roles")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
