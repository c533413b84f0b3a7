"""The roles Costbook ships with (config.roles): set by the same function `bootstrap` calls."""

from django.db import migrations

from config.roles import roles_ensure


def roles_set(apps, schema_editor):
    roles_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("closing", "0003_database"),
        ("common", "0002_database"),
        ("inventory", "0003_database"),
        ("ledger", "0002_database"),
        ("reports", "0001_initial"),
        ("warehouse", "0001_initial"),
        ("api", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(roles_set, migrations.RunPython.noop)]
