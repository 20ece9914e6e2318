"""A database-level guard: audit rows cannot be updated (or, on PostgreSQL, deleted) even by raw SQL.

On SQLite only UPDATE is refused: the test runner empties tables with DELETE there (PostgreSQL uses
TRUNCATE, which row triggers do not see).
"""

from django.db import migrations

PG_UP = [
    """CREATE OR REPLACE FUNCTION audit_entry_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit entries are never changed or deleted';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entry_immutable BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_immutable()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_immutable()",
]
SQLITE_UP = [
    """CREATE TRIGGER audit_entry_immutable BEFORE UPDATE ON audit_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'audit entries are never changed or deleted');
    END"""
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_entry_immutable"]


def _run(apps, schema_editor, *, up: bool) -> None:
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": (PG_UP, PG_DOWN), "sqlite": (SQLITE_UP, SQLITE_DOWN)}.get(vendor)
    for statement in (sql[0] if up else sql[1]) if sql else []:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: _run(apps, editor, up=True),
            lambda apps, editor: _run(apps, editor, up=False),
        )
    ]
