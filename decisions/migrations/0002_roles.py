from django.db import migrations

from fundmgr.roles import grant_role_permissions

ROLE_PERMISSIONS = {
    "Auditor": ["decisions.view_*"],
    "Grants officer": ["decisions.view_*"],
    "Panel member": ["decisions.view_panelmeeting", "decisions.view_panelitem"],
    "Administrator": ["decisions.view_*"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0001_initial"), ("fundmgr", "0002_roles")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
