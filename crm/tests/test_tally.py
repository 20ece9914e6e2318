"""The client tally: kept by the database on every kind of write, read per viewer's scope."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Client, ClientTally
from crm.tally import stage_tallies, tally_install, tally_rebuild
from crm.tests.factories import (
    AdminFactory,
    ClientFactory,
    ReadOnlyFactory,
    TrainerFactory,
    stage,
)
from pipeline.models import PipelineStage
from pipeline.services import stage_move

pytestmark = pytest.mark.django_db


def exact() -> bool:
    """The triggers' numbers equal a recount (the rebuild had nothing to mend)."""
    return tally_rebuild() == 0


def counts(user, **kwargs) -> dict:
    return {
        key: (tally.clients, tally.paid)
        for key, tally in stage_tallies(user, **kwargs).items()
        if tally.clients
    }


def test_every_kind_of_write_keeps_the_tally_exact():
    first, consultation = stage("first_contact"), stage("consultation")
    trainer, other = TrainerFactory(), TrainerFactory()
    admin = AdminFactory()
    mine = ClientFactory(trainer=trainer, stage=first)
    unassigned = ClientFactory(trainer=None, stage=first)
    assert exact()
    Client.objects.bulk_create(ClientFactory.build_batch(3, trainer=other, stage=consultation))
    assert exact()
    assert counts(admin) == {first.pk: (2, 0), consultation.pk: (3, 0)}

    stage_move(client=mine, stage=consultation, actor=None)  # a service, with a row lock
    assert exact()
    Client.objects.filter(trainer=other).update(trainer=trainer)  # no signal, no save()
    assert exact()
    unassigned.trainer = other  # save() of the whole row: only changed columns count
    unassigned.save()
    assert exact()
    Client.objects.filter(pk=mine.pk).update(paid_total=Decimal("14990.50"))
    assert exact()
    assert counts(trainer) == {consultation.pk: (4, Decimal("14990.50"))}
    assert counts(other) == {first.pk: (1, 0)}

    Client.objects.filter(pk=unassigned.pk).update(is_preview=True)
    assert exact()
    assert counts(admin, for_analytics=True) == {consultation.pk: (4, Decimal("14990.50"))}
    Client.objects.filter(pk=mine.pk).update(forgotten_at=timezone.now())  # 152-FZ: hidden
    assert exact()
    Client._base_manager.filter(pk=mine.pk).update(stage=first)  # a forgotten client counts nowhere
    assert exact()
    assert counts(trainer) == {consultation.pk: (3, 0)}

    pause = PipelineStage.objects.create(name="Пауза", order=99)
    Client.objects.filter(trainer=trainer).update(stage=pause)
    Client.objects.filter(stage=pause).update(stage=None)
    pause.delete()
    assert exact()
    assert counts(admin) == {None: (3, 0), first.pk: (1, 0)}

    Client.objects.filter(trainer=trainer).delete()
    Client._base_manager.filter(pk=mine.pk).delete()
    assert exact()
    assert counts(admin) == {first.pk: (1, 0)}
    assert ClientTally.objects.filter(clients__lt=0).count() == 0


def test_each_viewer_reads_the_counts_of_what_they_may_see():
    first = stage("first_contact")
    trainer, other = TrainerFactory(), TrainerFactory()
    ClientFactory(trainer=trainer, stage=first)
    ClientFactory(trainer=None, stage=first)
    ClientFactory(trainer=other, stage=first)
    ClientFactory(trainer=None, stage=first, is_preview=True)
    ClientFactory(trainer=None, stage=None)

    assert counts(trainer) == {first.pk: (3, 0), None: (1, 0)}
    assert counts(trainer, for_analytics=True) == {first.pk: (2, 0), None: (1, 0)}
    assert counts(AdminFactory()) == {first.pk: (4, 0), None: (1, 0)}
    assert counts(ReadOnlyFactory(), for_analytics=True) == {first.pk: (3, 0), None: (1, 0)}
    assert counts(TrainerFactory(is_active=False)) == {}


def _drop_update_trigger() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER crm_client_tally_update ON crm_client")
        else:
            cursor.execute("DROP TRIGGER crm_client_tally_update")


def test_a_lost_trigger_is_reinstalled_after_migrate_and_the_counts_mended():
    """SQLite drops a table's triggers when a migration rebuilds the table: the next migrate's
    post_migrate puts them back and recounts."""
    client = ClientFactory(trainer=None, stage=stage("first_contact"))
    _drop_update_trigger()
    Client.objects.filter(pk=client.pk).update(stage=stage("consultation"))
    assert counts(AdminFactory()) == {stage("first_contact").pk: (1, 0)}  # drifted

    assert tally_install(connection) == ["crm_client_tally_update"]
    assert counts(AdminFactory()) == {stage("consultation").pk: (1, 0)}
    Client.objects.filter(pk=client.pk).update(stage=stage("deciding"))
    assert exact()
    assert tally_install(connection) == []  # nothing missing: nothing done


def test_the_nightly_recount_mends_a_drifted_row_and_says_so(caplog, capsys):
    ClientFactory(trainer=None, stage=stage("first_contact"))
    ClientTally.objects.update(clients=7)
    call_command("run_scheduled", "--job", "crm-tally-rebuild")
    assert "crm-tally-rebuild: ok" in capsys.readouterr().out
    assert "client tally: 1 rows recounted" in caplog.text
    assert counts(AdminFactory()) == {stage("first_contact").pk: (1, 0)}
    assert exact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_moves_in_opposite_directions_at_once_neither_deadlock_nor_drift():
    """Each move changes two tally rows; the trigger locks them in key order (PostgreSQL)."""
    from pipeline.services import stages_ensure_defaults

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    stages_ensure_defaults()
    a, b = stage("first_contact"), stage("consultation")
    there, back = ClientFactory(stage=a, trainer=None), ClientFactory(stage=b, trainer=None)
    barrier, errors = threading.Barrier(2), []

    def shuttle(client, one, other):
        try:
            barrier.wait()
            for _ in range(40):
                with transaction.atomic():
                    Client.objects.filter(pk=client.pk).update(stage=other)
                with transaction.atomic():
                    Client.objects.filter(pk=client.pk).update(stage=one)
        except Exception as error:  # noqa: BLE001 - the test reports what a thread got
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=shuttle, args=(there, a, b)),
        threading.Thread(target=shuttle, args=(back, b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert exact()
    assert counts(AdminFactory()) == {a.pk: (1, 0), b.pk: (1, 0)}
