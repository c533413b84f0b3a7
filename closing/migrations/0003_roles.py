"""The roles Costbook ships with (config.roles): Inventory accountant, Inventory clerk, Auditor.
Every role can view everything in inventory, ledger and closing; the rest is per role."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from config.roles import ROLE_PERMISSIONS, VIEW_APPS


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = list(Permission.objects.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_"))
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        granted = list(view)
        for perm in perms:
            app_label, codename = perm.split(".")
            granted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(granted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("closing", "0002_initial"),
        ("inventory", "0002_initial"),
        ("ledger", "0002_balanced_voucher_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
