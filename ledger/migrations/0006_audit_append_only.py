"""The audit log keeps who did a thing after that user is deleted (username), and PostgreSQL keeps
the log append-only: an UPDATE or DELETE of an entry is refused, whatever sends it, except the one
update Django makes when a user is deleted (user set to NULL, nothing else changed). SQLite, a
developer's database, has the services' word for it only."""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION ledger_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.at, NEW.username, NEW.action, NEW.object_type, NEW.object_id, NEW.detail)
           IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.username, OLD.action, OLD.object_type, OLD.object_id, OLD.detail)
    THEN
        RETURN NEW;  -- the user was deleted; the entry keeps the username
    END IF;
    RAISE EXCEPTION 'The audit log cannot be changed: % of audit entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_auditentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_auditentry
    FOR EACH ROW EXECUTE FUNCTION ledger_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_auditentry_append_only ON ledger_auditentry;
DROP FUNCTION IF EXISTS ledger_audit_append_only();
"""


def usernames_fill(apps, schema_editor):
    AuditEntry = apps.get_model("ledger", "AuditEntry")
    User = apps.get_model("auth", "User")
    for user_id, username in User.objects.filter(pk__in=AuditEntry.objects.values("user_id")).values_list("pk", "username"):
        AuditEntry.objects.filter(user_id=user_id).update(username=username)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("ledger", "0005_voucher_feed_position"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="username",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunPython(usernames_fill, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]
