"""152-FZ: the purge of a forgotten client may remove personal values from audit entries.

The immutability trigger now lets one kind of UPDATE through: one that stamps a newer `redacted_at`
and keeps who, what, when and the object. Everything else (and, on PostgreSQL, DELETE) is refused as
before. Only `audit.services.audit_redact`, called by the purge, makes such updates.
"""

from django.db import migrations, models

KEPT = ("at", "action", "actor_id", "actor_name", "client_id", "object_type", "object_id")

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_entry_immutable() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.redacted_at IS NOT NULL
           AND (OLD.redacted_at IS NULL OR NEW.redacted_at > OLD.redacted_at)
           AND """
    + " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT)
    + """ THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit entries are never changed or deleted';
    END;
    $$ LANGUAGE plpgsql"""
]
PG_DOWN = [
    """CREATE OR REPLACE FUNCTION audit_entry_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are never changed or deleted';
    END;
    $$ LANGUAGE plpgsql"""
]
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS audit_entry_immutable",
    """CREATE TRIGGER audit_entry_immutable BEFORE UPDATE ON audit_auditentry
    WHEN NOT (NEW.redacted_at IS NOT NULL
              AND (OLD.redacted_at IS NULL OR NEW.redacted_at > OLD.redacted_at)
              AND """
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)
    + """)
    BEGIN
        SELECT RAISE(ABORT, 'audit entries are never changed or deleted');
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_immutable",
    """CREATE TRIGGER audit_entry_immutable BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'audit entries are never changed or deleted');
    END""",
]


def _run(apps, schema_editor, *, up: bool) -> None:
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": (PG_UP, PG_DOWN), "sqlite": (SQLITE_UP, SQLITE_DOWN)}.get(vendor)
    for statement in (sql[0] if up else sql[1]) if sql else []:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_immutable_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="redacted_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal data removed"
            ),
        ),
        migrations.RunPython(
            lambda apps, editor: _run(apps, editor, up=True),
            lambda apps, editor: _run(apps, editor, up=False),
        ),
    ]
