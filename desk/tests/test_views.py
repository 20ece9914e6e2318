from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import Action, AuditEntry
from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory
from desk import services
from desk.models import LedgerEntry, Shift

from .factories import OperatorFactory, desk_tariff

pytestmark = pytest.mark.django_db


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_operator_runs_a_shift_and_takes_money_on_the_client_page(client):
    operator, person = OperatorFactory(), ClientFactory()
    client.force_login(operator)
    page = client.get(
        reverse("crm:client-detail", args=[person.pk]) + "?tab=payments"
    ).content.decode()
    assert "Баланс и долг" in page and "откройте смену" in page
    client.post(reverse("desk:shift-open"))
    shift = Shift.objects.get(operator=operator)
    response = client.post(
        reverse("desk:ledger-top-up", args=[person.pk]),
        {"amount": "1500,50", "method": "cash", "reason": ""},
        follow=True,
    )
    assert "зачислено на баланс" in messages_of(response)
    tariff = desk_tariff("1000")
    client.post(
        reverse("desk:ledger-sell", args=[person.pk]), {"tariff": tariff.pk, "method": "debt"}
    )
    page = client.get(
        reverse("crm:client-detail", args=[person.pk]) + "?tab=payments"
    ).content.decode()
    assert "1\xa0500,50 ₽" in page and "1\xa0000,00 ₽" in page
    close = client.post(
        reverse("desk:shift-close", args=[shift.pk]),
        {"counted_cash": "1500", "counted_card": "0", "counted_transfer": "0", "comment": "ок"},
        follow=True,
    )
    assert "Смена закрыта" in messages_of(close)
    detail = close.content.decode()
    assert "-0,50 ₽" in detail and "закрыта для изменений" in detail
    again = client.post(
        reverse("desk:shift-close", args=[shift.pk]),
        {"counted_cash": "1", "counted_card": "0", "counted_transfer": "0"},
        follow=True,
    )
    assert "уже закрыта" in messages_of(again)


@pytest.mark.parametrize("amount", ["-100", "0", "abc", ""])
def test_bad_amounts_get_a_russian_message_and_change_nothing(client, amount):
    operator, person = OperatorFactory(), ClientFactory()
    services.shift_open(operator=operator)
    client.force_login(operator)
    response = client.post(
        reverse("desk:ledger-top-up", args=[person.pk]),
        {"amount": amount, "method": "cash"},
        follow=True,
    )
    text = messages_of(response)
    assert "Сумма" in text or "сумм" in text or "Обязательное" in text
    assert not LedgerEntry.objects.exists()


def test_trainers_and_read_only_cannot_take_money(client):
    person = ClientFactory()
    for user in (TrainerFactory(), UserFactory(role=User.Role.READ_ONLY)):
        client.force_login(user)
        response = client.post(
            reverse("desk:ledger-top-up", args=[person.pk]), {"amount": "10", "method": "cash"}
        )
        assert response.status_code == 403
        assert client.post(reverse("desk:shift-open")).status_code == 403
    assert not LedgerEntry.objects.exists() and not Shift.objects.exists()
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED).count() == 4


def test_read_only_sees_shifts_but_no_buttons(client):
    operator = OperatorFactory()
    shift = services.shift_open(operator=operator)
    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    page = client.get(reverse("desk:shift-list")).content.decode()
    assert f"/shifts/{shift.pk}/" in page and "Открыть смену" not in page
    detail = client.get(reverse("desk:shift-detail", args=[shift.pk])).content.decode()
    assert "Закрыть смену" not in detail


def test_an_operator_sees_only_their_own_shifts(client):
    mine, theirs = OperatorFactory(), OperatorFactory()
    services.shift_open(operator=mine)
    other = services.shift_open(operator=theirs)
    client.force_login(mine)
    assert client.get(reverse("desk:shift-detail", args=[other.pk])).status_code == 404
    client.force_login(AdminFactory())
    assert client.get(reverse("desk:shift-detail", args=[other.pk])).status_code == 200


def test_client_list_shows_debt_filters_debtors_and_sorts_by_debt(client):
    operator = OperatorFactory()
    services.shift_open(operator=operator)
    small, big, _clean = (
        ClientFactory(first_name="Малый"),
        ClientFactory(first_name="Большой"),
        ClientFactory(first_name="Чистый"),
    )
    services.ledger_sell(client=small, tariff=desk_tariff("500"), method="debt", actor=operator)
    services.ledger_sell(client=big, tariff=desk_tariff("9000"), method="debt", actor=operator)
    client.force_login(AdminFactory())
    url = reverse("crm:client-list")
    owes = client.get(url, {"owes": "on", "sort": "-debt"}).content.decode()
    assert "Чистый" not in owes
    assert owes.index("Большой") < owes.index("Малый")
    assert "−9\xa0000,00 ₽" in owes
    assert client.get(url, {"sort": "debt"}).status_code == 200


def test_client_list_queries_do_not_grow_with_accounts(client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    operator = OperatorFactory()
    services.shift_open(operator=operator)
    client.force_login(AdminFactory())

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("crm:client-list"), {"sort": "-debt"})
        return len(captured)

    services.ledger_top_up(client=ClientFactory(), amount=Decimal(5), method="cash", actor=operator)
    small = count()
    for _ in range(15):
        services.ledger_top_up(
            client=ClientFactory(), amount=Decimal(5), method="cash", actor=operator
        )
    assert count() == small


def test_desk_sale_applies_the_promotion_in_force_and_says_so(client):
    """The sell form shows the price now; a weaker promo code gives way and the operator is told."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from payments.tests.factories import PromoCodeFactory, PromotionFactory

    operator, person = OperatorFactory(), ClientFactory()
    services.shift_open(operator=operator)
    tariff = desk_tariff("1000", name="Безлимит")
    PromotionFactory(name="Утро будней", tariffs=[tariff])
    PromoCodeFactory(code="TEN")
    client.force_login(operator)
    monday_morning = datetime(2026, 11, 30, 10, tzinfo=ZoneInfo("Europe/Moscow"))
    with time_machine.travel(monday_morning, tick=False):
        page = client.get(
            reverse("crm:client-detail", args=[person.pk]) + "?tab=payments"
        ).content.decode()
        assert "Безлимит — 800\xa0₽ (🔥 −20% по будням до 16:00)" in page
        response = client.post(
            reverse("desk:ledger-sell", args=[person.pk]),
            {"tariff": tariff.pk, "method": "cash", "promo_code": "TEN"},
            follow=True,
        )
    said = messages_of(response)
    assert "продан за 800" in said and "Акция «Утро будней»: −20% по будням до 16:00." in said
    assert "Промокод TEN не суммируется с акцией «Утро будней»" in said
    entry = LedgerEntry.objects.get(client=person, kind="charge")
    assert entry.amount == Decimal("800.00") and entry.payment.promotion.name == "Утро будней"
