"""The widget in a real browser, on a page of ANOTHER origin (the trainer's site) with its own CSP."""

import pytest

from crm.models import Client
from marketing.models import ChatMessage
from marketing.selectors import website_settings_get
from privacy.models import Consent
from programs.tests.servers import LocalServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trainer_site(live_server):
    """The trainer's own site on another port (= another origin), with the widget tag pasted in."""
    api = live_server.url
    html = f"""<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Тренер Анна</title>
</head><body><h1>Тренер Анна</h1><p>Персональные тренировки.</p>
<script src="{api}/widget.js" async></script></body></html>"""
    policy = (
        f"default-src 'self'; script-src 'self' {api}; style-src 'self' {api}; "
        f"connect-src 'self' {api}; img-src 'self'"
    )
    with LocalServer() as server:
        server.route(
            "GET",
            "/",
            lambda r: (200, "text/html; charset=utf-8", html.encode()),
        )
        # The browser would ask for the favicon; answer it so no error pollutes the console.
        server.route("GET", "/favicon.ico", lambda r: (204, "image/x-icon", b""))
        server.csp = policy
        original = server.httpd.RequestHandlerClass.end_headers

        def end_headers(handler):
            handler.send_header("Content-Security-Policy", policy)
            original(handler)

        server.httpd.RequestHandlerClass.end_headers = end_headers
        yield server


def test_visitor_chats_through_the_widget_on_another_site_and_becomes_a_lead(
    page, trainer_site, llm, settings
):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()  # a transactional test starts from flushed tables
    site = website_settings_get()
    site.widget_enabled = True
    site.allowed_origins = trainer_site.url
    site.widget_greeting = "Привет! Чем помочь?"
    site.bot_username = "trainer_test_bot"
    site.save()

    page.goto(trainer_site.url + "/")
    bubble = page.get_by_role("button", name="Открыть чат")
    bubble.click()
    panel = page.locator(".fcw-panel")
    assert "Привет! Чем помочь?" in panel.inner_text()

    page.get_by_role("textbox").fill("<b>Сколько</b> стоит?")
    page.get_by_role("button", name="Отправить").click()  # the consent box is not ticked yet
    page.wait_for_selector(".fcw-error >> text=Сначала отметьте согласие")
    assert not ChatMessage.objects.exists()
    assert (
        page.get_by_role("link", name="Политика конфиденциальности")
        .get_attribute("href")
        .endswith("/privacy/")
    )
    page.get_by_role("checkbox", name="Я согласен(на) на обработку").check()
    page.get_by_role("button", name="Отправить").click()
    page.wait_for_selector(".fcw-bot >> text=Ответ тренера: <b>Сколько</b> стоит?")
    assert page.locator(".fcw-log b").count() == 0  # shown as text, never as markup

    page.get_by_role("textbox").fill("Запишите меня, телефон +7 916 123-45-67")
    page.keyboard.press("Enter")
    page.wait_for_selector(".fcw-bot >> text=свяжется")

    lead = Client.objects.get(phone="+79161234567")
    assert lead.leads.get().source == "website_chat"
    texts = list(ChatMessage.objects.filter(session__client=lead).values_list("text", flat=True))
    assert texts[0] == "<b>Сколько</b> стоит?" and len(texts) == 4
    consent = Consent.objects.get(client=lead)
    assert (consent.kind, consent.decision, consent.channel) == ("personal", "granted", "widget")

    # A reload keeps the conversation in the visitor's browser.
    page.reload()
    page.get_by_role("button", name="Открыть чат").click()
    assert "Запишите меня" in page.locator(".fcw-log").inner_text()
    assert page.get_by_role("checkbox").is_checked()  # the consent is remembered too
    assert page.csp_violations == [] and page.js_errors == []


def test_widget_on_a_site_that_is_not_allowed_shows_an_error(page, trainer_site, llm):
    site = website_settings_get()
    site.widget_enabled = True
    site.allowed_origins = "https://someone-else.example.com"
    site.save()
    page.goto(trainer_site.url + "/")
    page.get_by_role("button", name="Открыть чат").click()
    page.get_by_role("textbox").fill("Привет")
    page.get_by_role("button", name="Отправить").click()
    page.wait_for_selector(".fcw-error")
    assert "Привет" in page.get_by_role("textbox").input_value()  # nothing typed is lost
    assert not ChatMessage.objects.exists()


def test_admin_writes_previews_and_schedules_a_post_that_goes_out_once(
    page, login, channel, vk, tmp_path
):
    import io

    from PIL import Image

    from crm.tests.factories import AdminFactory
    from marketing import posts
    from marketing.models import SocialPost

    site = website_settings_get()
    site.bot_username = "trainer_test_bot"
    site.save()
    image = tmp_path / "autumn.png"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(buffer, format="PNG")
    image.write_bytes(buffer.getvalue())

    login(AdminFactory())
    page.goto("/marketing/posts/")
    page.get_by_role("link", name="Новый пост").click()
    page.get_by_label("Название").fill("Осенний марафон")
    page.get_by_label("Текст", exact=True).fill("Неделя тренировок <b>бесплатно</b>")
    page.get_by_label("Картинка").set_input_files(str(image))
    page.get_by_label("Текст кнопки").fill("Хочу программу")
    page.get_by_role("button", name="Сохранить и посмотреть").click()

    preview = page.locator("#post-preview")
    assert "Неделя тренировок <b>бесплатно</b>" in preview.inner_text()
    post = SocialPost.objects.get()
    assert preview.locator(".post-button").get_attribute("href") == (
        f"https://t.me/trainer_test_bot?start=post_{post.pk}"
    )
    page.wait_for_function(
        "() => { const img = document.querySelector('#post-preview img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert preview.locator("img").evaluate("img => img.naturalWidth") == 16
    page.get_by_role("button", name="Запланировать").click()
    assert page.locator("#post-status").inner_text() == "Запланирован"

    posts.posts_publish_due()  # what beat runs every 10 minutes
    posts.posts_publish_due()
    page.reload()
    assert page.locator("#post-status").inner_text() == "Опубликован"
    links = page.locator("#publications a")
    assert links.count() == 2 and "vk.com/wall-" in links.nth(1).inner_text()
    assert len(channel.sent("sendPhoto")) == 1 and len(vk.posts) == 1
    assert page.csp_violations == [] and page.js_errors == []
