"""The warehouse pages per role (config.roles.WAREHOUSE_GRANTS): every role views bins, bin
contents, entries and journals; clerks and accountants register warehouse journals and change
default bins and bin content; accountants also keep the bins and the bin-mandatory flag."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Inventory accountant": ["add_warehousejournal", "register_warehousejournal", "change_bincontent", "add_bin",
                             "change_bin", "change_warehousesetup"],
    "Inventory clerk": ["add_warehousejournal", "register_warehousejournal", "change_bincontent"],
    "Auditor": [],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = list(Permission.objects.filter(content_type__app_label="warehouse", codename__startswith="view_"))
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        group.permissions.add(*view, *Permission.objects.filter(content_type__app_label="warehouse",
                                                                codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="warehouse"))


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0001_initial"),
        ("closing", "0003_roles"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
