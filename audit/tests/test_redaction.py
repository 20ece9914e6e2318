"""152-FZ: the purge may remove a forgotten person's values from audit entries — and nothing else
may change an entry, even by raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import Action, AuditEntry
from audit.services import audit_record, audit_redact
from crm.tests.factories import AdminFactory, ClientFactory

pytestmark = pytest.mark.django_db
MARK = "[удалено]"


def _redact(client, values):
    return audit_redact(
        client_id=client.pk, fields={"phone", "first_name"}, values=values, label="#", mark=MARK
    )


def test_redaction_replaces_personal_values_and_keeps_who_what_when():
    admin = AdminFactory()
    client = ClientFactory(first_name="Евпраксия", phone="+79990001122")
    update = audit_record(
        actor=admin,
        action=Action.CLIENT_UPDATE,
        obj=client,
        changes={"phone": [None, "+79990001122"], "stage": ["Новый", "Консультация"]},
    )
    mention = audit_record(actor=admin, action=Action.EXPORT, note="Выгрузка: Евпраксия, 42")
    other = audit_record(actor=admin, action=Action.EXPORT, note="Выгрузка за ноябрь")

    assert _redact(client, ["Евпраксия", "+79990001122", "Ев"]) == 2
    update = AuditEntry.objects.get(pk=update.pk)
    assert update.changes == {"phone": [MARK, MARK], "stage": ["Новый", "Консультация"]}
    assert update.object_repr == "#" and update.redacted_at is not None
    assert (update.actor, update.action, update.client_id) == (admin, "client.update", client.pk)
    assert AuditEntry.objects.get(pk=mention.pk).note == f"Выгрузка: {MARK}, 42"  # "Ев" too short
    assert AuditEntry.objects.get(pk=other.pk).redacted_at is None
    assert _redact(client, ["Евпраксия", "+79990001122"]) == 0  # a second purge changes nothing


def test_a_later_redaction_of_an_entry_is_allowed():
    first, second = ClientFactory(first_name="Аглая"), ClientFactory(first_name="Феврония")
    entry = audit_record(actor=None, action=Action.EXPORT, note="Аглая и Феврония")
    _redact(first, ["Аглая"])
    _redact(second, ["Феврония"])
    assert AuditEntry.objects.get(pk=entry.pk).note == f"{MARK} и {MARK}"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET note = 'changed'",  # no stamp
        "UPDATE audit_auditentry SET note = 'x', action = 'y', redacted_at = CURRENT_TIMESTAMP",
        "UPDATE audit_auditentry SET actor_name = 'x', redacted_at = CURRENT_TIMESTAMP",
    ],
)
def test_the_database_refuses_any_other_update(sql):
    entry = audit_record(actor=None, action=Action.EXPORT, note="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).note == "x"


def test_the_model_still_refuses_changes():
    entry = audit_record(actor=None, action=Action.EXPORT, note="x")
    entry.note = "y"
    with pytest.raises(Exception, match="never changed"):
        entry.save()
    with pytest.raises(Exception, match="never changed"):
        AuditEntry.objects.filter(pk=entry.pk).update(note="y")


def test_the_audit_page_says_which_entries_were_redacted(client):
    admin = AdminFactory()
    person = ClientFactory(first_name="Евпраксия")
    audit_record(actor=admin, action=Action.EXPORT, note="Выгрузка: Евпраксия")
    audit_record(actor=admin, action=Action.EXPORT, note="Выгрузка за ноябрь")
    _redact(person, ["Евпраксия"])
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    assert page.count("Персональные данные удалены") == 1
    assert f"Выгрузка: {MARK}" in page
