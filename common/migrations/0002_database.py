"""What the shared kernel keeps in PostgreSQL beyond Django's tables: the append-only audit log
(changing or deleting an entry is refused, except emptying `user` when that user is deleted) and
the delete-guard function every app's guards call, standing in for the foreign keys the bulk
writers check set-based (docs/benchmarks.md). A guard is an AFTER DELETE ... FOR EACH STATEMENT
trigger that sees the statement's deleted rows as the transition table `gone` and its arguments
are (table, column) pairs referring to them: one semi-join per pair for the whole statement. As a
row trigger it planned one dynamic query per pair and row: 1.19 s of the 2.2-s delete of a close's
6,838 weighted-average transactions on a loaded machine; on a quiet one the whole delete went from
593 ms to 230 ms (docs/benchmarks.md, runs 29-33). SQLite (make run) has none of it."""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION costbook_refuse_delete_referenced() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
DECLARE
    i integer := 0;
    referred bigint;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT g.id FROM gone g WHERE EXISTS (SELECT 1 FROM %I r WHERE r.%I = g.id) '
                       'ORDER BY g.id LIMIT 1', TG_ARGV[i], TG_ARGV[i + 1])
            INTO referred;
        IF referred IS NOT NULL THEN
            RAISE EXCEPTION 'Row % of % is still referred to by %.%', referred, TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END;
$_$;

CREATE FUNCTION common_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
$$;

CREATE TRIGGER common_auditentry_append_only BEFORE DELETE OR UPDATE ON common_auditentry FOR EACH ROW EXECUTE FUNCTION common_audit_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS common_auditentry_append_only ON common_auditentry;
DROP FUNCTION IF EXISTS common_audit_append_only();
DROP FUNCTION IF EXISTS costbook_refuse_delete_referenced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
    ]
    operations = [migrations.RunPython(forward, backward)]
