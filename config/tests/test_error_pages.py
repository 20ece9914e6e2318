"""Errors in production are Russian pages in our layout, not Django's English "Not Found"."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from crm.tests.factories import TrainerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_404_is_russian_in_the_layout(client, production):
    client.force_login(TrainerFactory())
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Страница не найдена" in page and "Not Found" not in page
    assert 'class="topbar"' in page  # the app's layout, with the navigation


def test_403_is_russian_in_the_layout(client, production):
    client.force_login(TrainerFactory())
    response = client.get(reverse("pipeline:stages"))  # admins only
    page = response.content.decode()
    assert response.status_code == 403
    assert "Доступ запрещён" in page and "403 Forbidden" not in page
    assert 'class="topbar"' in page


def test_500_is_russian_and_needs_nothing_from_the_request(production):
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Ошибка на сервере" in page and "Server Error" not in page
