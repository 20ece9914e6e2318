from decimal import Decimal

import pytest
from django.test import RequestFactory

from crm.extensions import client_sections, client_timeline
from crm.tests.factories import ClientFactory, TrainerFactory
from progress import client_page, services

pytestmark = pytest.mark.django_db


def test_section_summary_and_timeline(django_assert_num_queries):
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    services.measurement_save(
        client=client, period="before", values={"weight": Decimal(80), "waist": Decimal(90)}
    )
    services.measurement_save(client=client, period="week_1", values={"weight": Decimal("78.5")})
    request = RequestFactory().get("/")
    request.user = trainer
    with django_assert_num_queries(1):
        client_page.sections(request=request, client=client)
    sections = [s for s in client_sections(request=request, client=client) if s.title == "Прогресс"]
    html = sections[0].html
    assert "2 записи" in html and "Вес: 78,5 кг" in html and "−1,5 с начала" in html
    assert f"/clients/{client.pk}/progress/" in html
    with django_assert_num_queries(1):
        client_page.timeline(client=client, limit=10)
    items = [i for i in client_timeline(client=client, limit=10) if i.kind == "progress"]
    assert [(i.title, i.text) for i in items] == [
        ("Замеры: Неделя 1", "вес 78,5"),
        ("Замеры: До", "вес 80, талия 90"),
    ]
