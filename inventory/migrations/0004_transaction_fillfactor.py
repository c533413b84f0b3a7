"""Leave room on every page of the transaction table (PostgreSQL fillfactor 70) so that the close's
updates of settled quantities and amounts — columns no index covers — are HOT updates: the new row
version stays on its page and no index needs a new entry. Measured on the close benchmark."""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value=70):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE inventory_inventorytransaction SET (fillfactor = {value})")


def reset_fillfactor(apps, schema_editor):
    set_fillfactor(apps, schema_editor, value=100)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_slimmer_indexes")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
