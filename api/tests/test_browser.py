"""A user makes a token on their page and reads the API reference, in a real browser."""

import pytest

from crm.tests.factories import TrainerFactory
from pipeline.services import stages_ensure_defaults


@pytest.mark.django_db(transaction=True)
def test_token_page_and_api_reference(page, login, live_server):
    stages_ensure_defaults()  # a transactional test starts from flushed tables
    trainer = TrainerFactory(username="browser-api")
    login(trainer)
    page.click("text=API-токены")
    page.fill("input[name=name]", "Таблица")
    page.click("button:has-text('Создать токен')")
    key = page.inner_text("code.token-key")
    assert key.startswith("crm_")
    assert "Таблица" in page.inner_text("table")

    # The token works from outside the browser session.
    response = page.request.get(
        f"{live_server.url}/api/v1/stages", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status == 200 and response.json()[0]["name"]

    page.goto("/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert "/api/v1/clients/{id}/move-stage" in page.content()
    script_violations = [v for v in page.csp_violations if "script" in v]
    assert not script_violations and not page.js_errors

    page.goto("/profile/tokens/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Отозвать')")
    page.wait_for_selector("text=Токенов пока нет.")
    revoked = page.request.get(
        f"{live_server.url}/api/v1/stages", headers={"Authorization": f"Bearer {key}"}
    )
    assert revoked.status == 401
