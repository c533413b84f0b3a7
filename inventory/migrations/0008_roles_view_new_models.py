"""Every role views everything (config.roles): the roles were created by closing 0003 before the
counting, counting history and standard journal models existed, so give the roles their view
permissions here, the same way."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from config.roles import ROLE_PERMISSIONS

NEW_MODELS = ["countingperiod", "countinghistory", "standardjournal", "standardjournalline"]


def grant_view(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = list(Permission.objects.filter(content_type__app_label="inventory",
                                          codename__in=[f"view_{model}" for model in NEW_MODELS]))
    for group in Group.objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.add(*view)


def revoke_view(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    view = Permission.objects.filter(content_type__app_label="inventory",
                                     codename__in=[f"view_{model}" for model in NEW_MODELS])
    for group in Group.objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.remove(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_counting_reclassification_standard_journals"),
        ("closing", "0003_roles"),
    ]
    operations = [migrations.RunPython(grant_view, revoke_view)]
