import pytest

from audit.models import Action
from crm import services as crm_services
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_reads_and_filters_the_audit_log(page, login, client):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    admin, trainer = AdminFactory(), TrainerFactory()
    person = ClientFactory(first_name="Вера", last_name="Соколова")
    crm_services.client_update(client=person, data={"notes": "Первая заметка"}, actor=admin)
    other = ClientFactory(trainer=TrainerFactory())
    client.force_login(trainer)
    assert client.get(f"/clients/{other.pk}/").status_code == 404  # another trainer's client

    login(admin)
    page.get_by_role("link", name="Журнал действий").click()
    page.wait_for_url("**/audit/")
    results = page.locator("#audit-results")
    assert "Первая заметка" in results.inner_text()
    assert "Вера Соколова" in results.inner_text()
    page.select_option("select[name=action]", Action.ACCESS_DENIED.value)
    page.wait_for_function(
        "() => !document.querySelector('#audit-results').textContent.includes('Первая заметка')"
    )
    assert "Доступ запрещён" in results.inner_text()
    assert str(trainer) in results.inner_text()

    page.goto(f"/clients/{person.pk}/?tab=history")
    assert "Первая заметка" in page.locator(".client-audit").inner_text()
    assert page.csp_violations == [] and page.js_errors == []
