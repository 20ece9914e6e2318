"""Live clients per (stage, trainer, bot preview) and what they paid, kept by the database itself.

The board's column heads and the dashboard's clients per stage counted every client on each view:
index-only, but still 100,000 index entries at 100,000 clients (the admin's dashboard 138 ms on
PostgreSQL against 39 ms at 1,000). `ClientTally` holds the same numbers in a few dozen rows, kept
by triggers on the client table in the same transaction as the change.

Triggers, not signals or services: a queryset's update() or delete(), bulk_create, the admin's bulk
actions and a stage's deletion (SET NULL) change clients without a signal, and a count that drifts
is worse than none. No library keeps a counter table on both SQLite and PostgreSQL
(django-pgtrigger is PostgreSQL only), hence the SQL here. The triggers are (re)installed after
every `migrate` (`tally_install`, on post_migrate): SQLite drops a table's triggers when a migration
rebuilds the table, and a reinstall rebuilds the counts. The nightly `tally_rebuild` recounts and
logs any difference it had to mend.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from .models import Client, ClientTally, User

logger = logging.getLogger(__name__)

# A client counts while not forgotten; 0 stands for "no stage" and "no trainer".
_KEY_OLD = "COALESCE(OLD.stage_id, 0), COALESCE(OLD.trainer_id, 0), OLD.is_preview"
_KEY_NEW = "COALESCE(NEW.stage_id, 0), COALESCE(NEW.trainer_id, 0), NEW.is_preview"
_CHANGED = (
    "OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.trainer_id IS DISTINCT FROM NEW.trainer_id"
    " OR OLD.is_preview IS DISTINCT FROM NEW.is_preview"
    " OR (OLD.forgotten_at IS NULL) IS DISTINCT FROM (NEW.forgotten_at IS NULL)"
    " OR OLD.paid_total IS DISTINCT FROM NEW.paid_total"
)
_COLUMNS = "stage_id, trainer_id, is_preview, forgotten_at, paid_total"
_INSERT = "INSERT INTO crm_clienttally (stage_key, trainer_key, is_preview, clients, paid)"
_UPSERT = (
    "ON CONFLICT (stage_key, trainer_key, is_preview) DO UPDATE SET"
    " clients = crm_clienttally.clients + excluded.clients,"
    " paid = crm_clienttally.paid + excluded.paid"
)

# SQLite has one writer at a time, so no lock order to care for. A decrement only updates an
# existing row: when a test flushes the tables (DELETE FROM each), the tally may be emptied first,
# and a client deleted after it must not leave a negative row behind.
_SQLITE = {
    "crm_client_tally_insert": f"""
        CREATE TRIGGER crm_client_tally_insert AFTER INSERT ON crm_client
        WHEN NEW.forgotten_at IS NULL BEGIN
            {_INSERT} VALUES ({_KEY_NEW}, 1, NEW.paid_total) {_UPSERT};
        END""",
    "crm_client_tally_delete": f"""
        CREATE TRIGGER crm_client_tally_delete AFTER DELETE ON crm_client
        WHEN OLD.forgotten_at IS NULL BEGIN
            UPDATE crm_clienttally SET clients = clients - 1, paid = paid - OLD.paid_total
            WHERE (stage_key, trainer_key, is_preview) = ({_KEY_OLD});
        END""",
    "crm_client_tally_update": f"""
        CREATE TRIGGER crm_client_tally_update AFTER UPDATE OF {_COLUMNS} ON crm_client
        WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")} BEGIN
            UPDATE crm_clienttally SET clients = clients - 1, paid = paid - OLD.paid_total
            WHERE OLD.forgotten_at IS NULL AND (stage_key, trainer_key, is_preview) = ({_KEY_OLD});
            {_INSERT} SELECT {_KEY_NEW}, 1, NEW.paid_total WHERE NEW.forgotten_at IS NULL {_UPSERT};
        END""",
}

# PostgreSQL: a move changes two rows, locked in key order, so that two moves in opposite directions
# at the same moment wait for each other instead of deadlocking.
_PG_FUNCTIONS = [
    f"""
    CREATE OR REPLACE FUNCTION crm_client_tally_add(s bigint, t bigint, p boolean, n integer,
                                                    m numeric)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        {_INSERT} VALUES (s, t, p, n, m) {_UPSERT};
    END $$""",
    f"""
    CREATE OR REPLACE FUNCTION crm_client_tally() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_NEW}, 1, NEW.paid_total);
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            IF OLD.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_OLD}, -1, -OLD.paid_total);
            END IF;
        ELSIF ROW({_KEY_OLD}) <= ROW({_KEY_NEW}) THEN
            IF OLD.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_OLD}, -1, -OLD.paid_total);
            END IF;
            IF NEW.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_NEW}, 1, NEW.paid_total);
            END IF;
        ELSE
            IF NEW.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_NEW}, 1, NEW.paid_total);
            END IF;
            IF OLD.forgotten_at IS NULL THEN
                PERFORM crm_client_tally_add({_KEY_OLD}, -1, -OLD.paid_total);
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
]
_PG_TRIGGERS = {
    "crm_client_tally_insert_delete": """
        CREATE TRIGGER crm_client_tally_insert_delete AFTER INSERT OR DELETE ON crm_client
        FOR EACH ROW EXECUTE FUNCTION crm_client_tally()""",
    "crm_client_tally_update": f"""
        CREATE TRIGGER crm_client_tally_update AFTER UPDATE OF {_COLUMNS} ON crm_client
        FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION crm_client_tally()""",
}


def tally_install(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the triggers that are missing (all of them on a new database, or after SQLite rebuilt
    the client table) and then recount; the names of those created. Runs after every migrate."""
    if ClientTally._meta.db_table not in connection.introspection.table_names():
        return []  # migrated back before the tally existed
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            wanted = _SQLITE
        elif connection.vendor == "postgresql":
            for statement in _PG_FUNCTIONS:
                cursor.execute(statement)
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'crm_client'::regclass"
                " AND NOT tgisinternal"
            )
            wanted = _PG_TRIGGERS
        else:
            return []
        present = {name for (name,) in cursor.fetchall()}
        missing = [name for name in wanted if name not in present]
        for name in missing:
            cursor.execute(wanted[name])
    if missing:
        tally_rebuild(using=connection.alias)
    return missing


def tally_rebuild(*, using: str = "default") -> int:
    """Recount from the client table and mend the rows that differ; how many did. Locks the tally
    while it counts (PostgreSQL), so that no concurrent change is counted twice or lost."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ClientTally._meta.db_table} IN EXCLUSIVE MODE")
        counted = {
            (row["stage_key"], row["trainer_key"], row["is_preview"]): (row["n"], row["paid"])
            for row in Client.objects.using(using)
            .order_by()
            .annotate(stage_key=Coalesce("stage_id", 0), trainer_key=Coalesce("trainer_id", 0))
            .values("stage_key", "trainer_key", "is_preview")
            .annotate(n=Count("id"), paid=Coalesce(Sum("paid_total"), Decimal(0)))
        }
        mended = 0
        stored = {
            (t.stage_key, t.trainer_key, t.is_preview): t for t in ClientTally.objects.using(using)
        }
        for key, row in stored.items():
            n, paid = counted.pop(key, (0, Decimal(0)))
            if (row.clients, row.paid) != (n, paid):
                row.clients, row.paid = n, paid
                row.save(using=using, update_fields=["clients", "paid"])
                mended += 1
        for (stage_key, trainer_key, is_preview), (n, paid) in counted.items():
            ClientTally.objects.using(using).create(
                stage_key=stage_key,
                trainer_key=trainer_key,
                is_preview=is_preview,
                clients=n,
                paid=paid,
            )
            mended += 1
    if mended:
        logger.warning("client tally: %s rows recounted", mended)
    return mended


@dataclass
class StageTally:
    clients: int = 0
    paid: Decimal = Decimal(0)


def stage_tallies(user: User, *, for_analytics: bool = False) -> dict[int | None, StageTally]:
    """Live clients and their payments per stage (None: no stage) as `visible_clients(user)` would
    count them: a trainer's own and unassigned, everyone's for other roles; `for_analytics` leaves
    out the bot preview's clients. One query over a few dozen rows, whatever the number of clients."""
    result: dict[int | None, StageTally] = defaultdict(StageTally)
    if not user.is_authenticated or not user.is_active:
        return result
    rows = ClientTally.objects.all()
    if for_analytics:
        rows = rows.filter(is_preview=False)
    if user.is_trainer:
        rows = rows.filter(trainer_key__in=[user.pk, 0])
    for stage_key, clients, paid in rows.values_list("stage_key", "clients", "paid"):
        tally = result[stage_key or None]
        tally.clients += clients
        tally.paid += paid
    return result


def unassigned_leads() -> int:
    """Live clients without a trainer, bot preview left out (the leads any trainer may take)."""
    return (
        ClientTally.objects.filter(trainer_key=0, is_preview=False).aggregate(n=Sum("clients"))["n"]
        or 0
    )
