import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from crm.tests.factories import AdminFactory, OperatorFactory, TrainerFactory
from marketing.models import WebsiteSettings
from payments.models import Tariff

URL = "/settings/website/"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _data(**overrides) -> dict:
    data = {
        "trainer_name": "Анна Тренер",
        "about": "10 лет опыта",
        "contacts": "+7 900 000-00-00",
        "bot_username": "@anna_fit_bot",
        "widget_enabled": "on",
        "widget_greeting": "Привет!",
        "widget_system_prompt": "Будь краток.",
        "allowed_origins": "https://Anna.example.com/\nhttp://localhost:8080",
        "llm_base_url": "https://api.proxyapi.ru/openai/v1",
        "llm_api_key": "sk-secret",
        "llm_model": "gpt-4o-mini",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("factory", [TrainerFactory, OperatorFactory])
def test_only_admins_open_website_settings(db, client, factory):
    client.force_login(factory())
    assert client.get(URL).status_code == 403
    assert client.post(URL, _data()).status_code == 403
    assert not WebsiteSettings.objects.filter(trainer_name="Анна Тренер").exists()


def test_anonymous_is_sent_to_login(db, client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_admin_saves_settings_and_the_key_is_kept_and_never_shown(db, client):
    tariff = Tariff.objects.create(name="12 недель", price="9900.00")
    client.force_login(AdminFactory())
    response = client.post(
        URL,
        {
            **_data(),
            "tariffs": [tariff.pk],
            "photo": SimpleUploadedFile("me.png", _png(), "image/png"),
        },
    )
    assert response.status_code == 302
    site = WebsiteSettings.objects.get()
    assert site.bot_username == "anna_fit_bot"
    assert site.origins == ["https://anna.example.com", "http://localhost:8080"]
    assert site.llm_api_key == "sk-secret" and list(site.tariffs.all()) == [tariff]
    page = client.get(URL).content.decode()
    assert "sk-secret" not in page
    assert "https://t.me/anna_fit_bot?start=site" in page and "/widget.js" in page
    assert client.get("/website/photo/").status_code == 200
    # Saving again with an empty key field keeps the key; the checkbox forgets it.
    client.post(URL, _data(llm_api_key=""))
    assert WebsiteSettings.objects.get().llm_api_key == "sk-secret"
    client.post(URL, _data(llm_api_key="", clear_llm_api_key="on"))
    assert WebsiteSettings.objects.get().llm_api_key == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"allowed_origins": "javascript:alert(1)"}, "allowed_origins"),
        ({"allowed_origins": "https://a.example.com/page"}, "allowed_origins"),
        ({"bot_username": "no spaces allowed"}, "bot_username"),
        ({"llm_model": ""}, "__all__"),
        (
            {"photo": SimpleUploadedFile("x.png", b"<script>not an image</script>", "image/png")},
            "photo",
        ),
    ],
)
def test_bad_settings_get_clear_errors_and_change_nothing(db, client, overrides, field):
    client.force_login(AdminFactory())
    response = client.post(URL, _data(**overrides))
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not WebsiteSettings.objects.filter(trainer_name="Анна Тренер").exists()


def test_widget_js_carries_escaped_settings(site, client):
    site.widget_greeting = "</script><script>alert(1)</script>"
    site.save()
    response = client.get("/widget.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "</script>" not in body and "\\u003c/script\\u003e" in body
    assert '"enabled": true' in body
    assert client.get("/widget.css")["Content-Type"].startswith("text/css")


def test_widget_js_when_off_draws_nothing(site, client):
    site.widget_enabled = False
    site.save()
    assert '"enabled": false' in client.get("/widget.js").content.decode()


def test_settings_changes_are_audited_without_the_key(db, client):
    from audit.models import AuditEntry

    client.force_login(AdminFactory())
    client.post(URL, _data())
    entry = AuditEntry.objects.get(action="website.settings")
    assert entry.changes["llm_api_key"] == ["", "***"]
    assert entry.changes["bot_username"][1] == "anna_fit_bot"
    assert "sk-secret" not in str(entry.changes)
