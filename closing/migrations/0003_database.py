"""What closing keeps in PostgreSQL beyond Django's tables: the delete guards standing in for the
foreign keys of settlements and adjustments, which the close's writer checks set-based."""

from django.db import migrations

FORWARD = r"""
CREATE TRIGGER closing_closingrun_kept_by_closing AFTER DELETE ON closing_closingrun REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('closing_settlement', 'run_id', 'closing_costadjustment', 'run_id');
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS closing_closingrun_kept_by_closing ON closing_closingrun;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("closing", "0002_initial"),
        ("common", "0002_database"),
    ]
    operations = [migrations.RunPython(forward, backward)]
