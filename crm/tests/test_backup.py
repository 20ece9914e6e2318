from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.models import Client, User
from crm.tests.factories import ClientFactory, TrainerFactory
from pipeline.models import StageMove
from pipeline.services import stage_apply_event

pytestmark = pytest.mark.django_db


def test_backup_then_restore_brings_everything_back(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "programs").mkdir(parents=True)
    (settings.MEDIA_ROOT / "programs" / "p1.pdf").write_bytes(b"%PDF-1.7 demo")
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer, stage=None, first_name="Анна")
    stage_apply_event(client=client, event="lead_created")
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", output=str(archive), stdout=StringIO())
    Client.objects.all().delete()
    User.objects.all().delete()
    (settings.MEDIA_ROOT / "programs" / "p1.pdf").unlink()
    call_command("restore", str(archive), stdout=StringIO())

    restored = Client.objects.get()
    assert restored.first_name == "Анна" and restored.trainer.username == trainer.username
    assert StageMove.objects.get(client=restored).event == "lead_created"
    assert (settings.MEDIA_ROOT / "programs" / "p1.pdf").read_bytes() == b"%PDF-1.7 demo"


def test_restore_refuses_to_mix_with_existing_data(tmp_path):
    ClientFactory()
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive), stdout=StringIO())
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_restore_with_replace_swaps_the_data(tmp_path):
    # Real transactions: PostgreSQL will not TRUNCATE inside the test's wrapping transaction.
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    ClientFactory(first_name="Старый")
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive), stdout=StringIO())
    Client.objects.update(first_name="Изменённый")

    call_command("restore", str(archive), replace=True, stdout=StringIO())

    assert list(Client.objects.values_list("first_name", flat=True)) == ["Старый"]


def test_restore_of_garbage_is_a_clear_error(tmp_path):
    junk = Path(tmp_path / "junk.tar.gz")
    junk.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="Not a readable backup"):
        call_command("restore", str(junk), stdout=StringIO())
