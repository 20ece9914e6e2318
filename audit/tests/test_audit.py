"""The audit log: a change and a refused access leave an entry with who, what, before → after and
the address; nothing can change or delete an entry; /audit/ is for admins."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import Action, AuditEntry, AuditImmutableError
from audit.services import audit_record
from crm import services as crm_services
from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory, stage
from pipeline import services as pipeline_services

pytestmark = pytest.mark.django_db


def test_profile_change_through_the_page_records_before_and_after_with_address(client):
    trainer = TrainerFactory()
    person = ClientFactory(trainer=trainer, first_name="Иван", last_name="Петров", notes="")
    client.force_login(trainer)
    response = client.post(
        reverse("crm:client-section", args=[person.pk, "profile"]),
        {
            "profile-first_name": "Пётр",
            "profile-last_name": "Петров",
            "profile-phone": person.phone,
            "profile-telegram_username": person.telegram_username,
            "profile-email": "",
            "profile-source": person.source,
            "profile-notes": "Любит утро",
            "profile-trainer": trainer.pk,
        },
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.CLIENT_UPDATE)
    assert entry.actor == trainer and entry.actor_name == str(trainer)
    assert entry.client_id == person.pk
    assert entry.changes == {"first_name": ["Иван", "Пётр"], "notes": ["", "Любит утро"]}
    assert entry.ip == "203.0.113.7"
    assert entry.path == reverse("crm:client-section", args=[person.pk, "profile"])


def test_an_update_that_changes_nothing_writes_no_entry():
    person = ClientFactory(first_name="Иван")
    crm_services.client_update(client=person, data={"first_name": "Иван"}, actor=AdminFactory())
    assert not AuditEntry.objects.exists()


def test_a_failed_update_leaves_no_entry():
    person = ClientFactory()
    with pytest.raises(Exception):
        crm_services.client_update(client=person, data={"age": 5}, actor=AdminFactory())
    assert not AuditEntry.objects.exists()


def test_client_create_and_stage_move_are_recorded():
    admin = AdminFactory()
    person = crm_services.client_create(actor=admin, first_name="Анна", phone="8 900 555 11 22")
    created = AuditEntry.objects.get(action=Action.CLIENT_CREATE)
    assert created.client_id == person.pk
    assert created.changes["first_name"] == [None, "Анна"]
    assert created.changes["phone"] == [None, "+79005551122"]
    pipeline_services.stage_move(client=person, stage=stage("consultation"), actor=admin)
    first, move = AuditEntry.objects.filter(action=Action.CLIENT_STAGE).order_by("id")
    assert first.changes == {"stage": [None, "Первичный контакт"]}
    assert move.changes == {"stage": ["Первичный контакт", "Консультация"]}
    assert move.actor == admin


def test_another_trainers_client_is_refused_and_recorded(client):
    me, other = TrainerFactory(), TrainerFactory()
    theirs = ClientFactory(trainer=other)
    client.force_login(me)
    response = client.get(reverse("crm:client-detail", args=[theirs.pk]), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 404
    entry = AuditEntry.objects.get(action=Action.ACCESS_DENIED)
    assert entry.actor == me and entry.client_id == theirs.pk and entry.ip == "10.0.0.9"
    # A client that does not exist at all is a plain 404, not an access attempt.
    assert client.get(reverse("crm:client-detail", args=[999999])).status_code == 404
    assert AuditEntry.objects.count() == 1


def test_read_only_write_attempt_is_refused_and_recorded(client):
    reader = UserFactory(role=User.Role.READ_ONLY)
    person = ClientFactory()
    client.force_login(reader)
    response = client.post(
        reverse("crm:client-action", args=[person.pk]), {"kind": "call", "description": "x"}
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert entry.action == Action.ACCESS_DENIED and entry.actor == reader
    assert entry.path == reverse("crm:client-action", args=[person.pk])


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit_record(actor=None, action=Action.EXPORT, note="x")
    entry.note = "changed"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="changed")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().note == "x"


def test_the_database_refuses_raw_updates_and_deletes():
    entry = audit_record(actor=None, action=Action.EXPORT, note="x")
    statements = ["UPDATE audit_auditentry SET note = 'changed'"]
    if connection.vendor == "postgresql":
        statements.append("DELETE FROM audit_auditentry")
    for sql in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).note == "x"


def test_admin_is_read_only(client):
    admin = AdminFactory()
    entry = audit_record(actor=admin, action=Action.EXPORT, note="x")
    client.force_login(admin)
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(change_url, {"note": "changed"}).status_code == 403
    delete_url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get().note == "x"


def test_audit_page_is_for_admins_and_filters(client, django_assert_max_num_queries):
    admin, trainer = AdminFactory(), TrainerFactory()
    first, second = ClientFactory(), ClientFactory()
    crm_services.client_update(client=first, data={"notes": "один"}, actor=admin)
    crm_services.client_update(client=second, data={"notes": "два"}, actor=trainer)
    client.force_login(trainer)
    assert client.get(reverse("audit:audit-list")).status_code == 403
    client.force_login(admin)
    url = reverse("audit:audit-list")
    assert "один" in client.get(url).content.decode()
    by_client = client.get(url, {"client": second.pk}).content.decode()
    assert "два" in by_client and "один" not in by_client
    by_actor = client.get(url, {"actor": admin.pk}).content.decode()
    assert "один" in by_actor and "два" not in by_actor
    denied = client.get(url, {"action": Action.ACCESS_DENIED}).content.decode()
    assert "два" not in denied and str(trainer) in denied  # the trainer's refused visit above
    bad = client.get(url, {"date_from": "не дата", "client": "x"})
    assert bad.status_code == 200


def test_audit_page_queries_do_not_grow_with_entries(client, django_assert_num_queries):
    admin = AdminFactory()
    client.force_login(admin)
    url = reverse("audit:audit-list")

    def count() -> int:
        from django.db import connection as conn
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(conn) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for _ in range(3):
        crm_services.client_update(client=ClientFactory(), data={"notes": "a"}, actor=admin)
    small = count()
    for _ in range(40):
        crm_services.client_update(client=ClientFactory(), data={"notes": "b"}, actor=admin)
    assert count() == small


def test_client_page_shows_the_history_and_hides_refusals_from_trainers(client):
    me, other, admin = TrainerFactory(), TrainerFactory(), AdminFactory()
    person = ClientFactory(trainer=me)
    crm_services.client_update(client=person, data={"notes": "заметка"}, actor=me)
    client.force_login(other)
    client.get(reverse("crm:client-detail", args=[person.pk]))  # refused, recorded
    client.force_login(me)
    page = client.get(
        reverse("crm:client-tab", args=[person.pk, "history"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "заметка" in page and str(other) not in page
    client.force_login(admin)
    page = client.get(
        reverse("crm:client-tab", args=[person.pk, "history"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "заметка" in page and str(other) in page
