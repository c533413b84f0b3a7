"""The audit log page (issue #17, point 14) and the master data pages (points 12, 13): a permission
to see the audit log, held by accountants and auditors; accountants also create and change items
and open, hold and close fiscal periods (config.roles)."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GRANTS = {
    "Inventory accountant": ["ledger.see_audit_log", "inventory.add_item", "inventory.change_item",
                             "ledger.change_fiscalperiod"],
    "Auditor": ["ledger.see_audit_log"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in GRANTS.items():
        for group in Group.objects.filter(name=role):
            for perm in perms:
                app_label, codename = perm.split(".")
                group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_audit_append_only'),
        ('closing', '0003_roles'),
        ('inventory', '0010_item_number_validator'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditentry',
            options={'ordering': ['-at', '-id'], 'permissions': [('see_audit_log', 'Can see the audit log')],
                     'verbose_name_plural': 'audit entries'},
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['object_type', 'object_id'], name='audit_object'),
        ),
        migrations.RunPython(grant, revoke),
    ]
