"""The top bar's search: what it finds, what it must not show, and that it stays a constant cost."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Client
from crm.search import search_everything
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory
from payments.tests.factories import PaymentFactory
from programs.tests.factories import TrainingProgramFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


def titles(user, text: str, group: str = "clients") -> list[str]:
    for found in search_everything(user=user, text=text):
        if found.key == group:
            return [hit.title for hit in found.hits]
    return []


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def alena(trainer):
    return ClientFactory(
        trainer=trainer,
        first_name="Алёна",
        last_name="Семёнова",
        phone="+79161234567",
        telegram_username="alena_fit",
        email="Alena.Sem@Example.com",
    )


@pytest.mark.parametrize(
    "text",
    [
        "алена",  # ё typed as е, lower case
        "АЛЁНА",
        "семенова алена",  # any word order
        "8 (916) 123-45-67",  # a domestic phone
        "+7 916 123 45 67",
        "9161234567",
        "123-45",  # part of a phone
        "@alena",  # username prefix
        "alena_fit",
        "alena.sem@example",  # e-mail, any case
    ],
)
def test_finds_a_client_by_name_phone_username_or_email_in_any_spelling(trainer, alena, text):
    assert titles(trainer, text) == ["Алёна Семёнова"]


def test_a_trainer_never_finds_another_trainers_client(trainer, alena):
    other = TrainerFactory()
    assert titles(other, "алена") == []
    assert titles(AdminFactory(), "алена") == ["Алёна Семёнова"]


def test_unassigned_leads_are_found_by_every_trainer(trainer):
    ClientFactory(trainer=None, first_name="Пётр", last_name="Лидов")
    assert titles(trainer, "петр") == ["Пётр Лидов"]


def test_short_or_unmatched_text_finds_nothing(trainer, alena):
    assert search_everything(user=trainer, text="а") == []
    assert search_everything(user=trainer, text="Зинаида") == []


def test_renaming_a_client_keeps_the_search_text_in_step(trainer, alena):
    alena.last_name = "Ёлкина"
    alena.save(update_fields=["last_name"])
    assert titles(trainer, "елкина") == ["Алёна Ёлкина"]
    assert Client.objects.get(pk=alena.pk).search_text.startswith("алена елкина")


def test_bulk_created_clients_are_findable(trainer):
    Client.objects.bulk_create([Client(first_name="Фёдор", last_name="Булкин", trainer=trainer)])
    assert titles(trainer, "федор булкин") == ["Фёдор Булкин"]


def test_programs_and_payments_are_found_through_their_client_and_own_fields(trainer, alena):
    program = TrainingProgramFactory(client=alena, title="Сила, 12 недель")
    payment = PaymentFactory(client=alena, amount=Decimal("14990.00"))
    PaymentFactory(client=ClientFactory(trainer=TrainerFactory()), amount=Decimal("14990.00"))

    assert titles(trainer, "алена", "programs") == ["Сила, 12 недель · Алёна Семёнова"]
    assert titles(trainer, "сила", "programs") == ["Сила, 12 недель · Алёна Семёнова"]
    # An amount finds my payment, not the other trainer's one with the same amount.
    assert titles(trainer, "14 990", "payments") == [
        f"#{payment.pk} · Алёна Семёнова · 14\u202f990\u00a0₽"
    ]
    assert titles(trainer, f"#{payment.pk}", "payments") == [
        f"#{payment.pk} · Алёна Семёнова · 14\u202f990\u00a0₽"
    ]
    assert program.pk


def test_dropdown_and_full_page(client, trainer, alena):
    client.force_login(trainer)

    dropdown = client.get("/search/", {"q": "алена"}, **HTMX)
    page = client.get("/search/", {"q": "алена"})

    assert dropdown.status_code == 200 and "<html" not in dropdown.content.decode()
    assert f'href="/clients/{alena.pk}/"' in dropdown.content.decode()
    assert "Все результаты" in dropdown.content.decode()
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert "Алёна Семёнова" in page.content.decode()
    assert "ничего не найдено" in client.get("/search/", {"q": "Зинаида"}).content.decode()


def test_search_needs_login(client):
    response = client.get("/search/", {"q": "алена"})
    assert response.status_code == 302


def _queries(client, text: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/search/", {"q": text}, **HTMX).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_matches(client, trainer):
    client.force_login(trainer)
    for i in range(2):
        client_ = ClientFactory(trainer=trainer, first_name="Ольга", last_name=f"Тест{i}")
        PaymentFactory(client=client_)
        TrainingProgramFactory(client=client_)
    few = _queries(client, "ольга")
    for i in range(2, 30):
        client_ = ClientFactory(trainer=trainer, first_name="Ольга", last_name=f"Тест{i}")
        PaymentFactory(client=client_)
        TrainingProgramFactory(client=client_)
    assert _queries(client, "ольга") == few
