import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from crm.tests.factories import AdminFactory, TrainerFactory
from marketing.models import SocialPost


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def admin_client(client, db):
    client.force_login(AdminFactory())
    return client


def _post_data(**overrides):
    data = {
        "title": "Марафон",
        "text": "<script>alert('x')</script> Приходите!",
        "button_text": "Хочу",
        "button_url": "",
        "to_telegram": "on",
        "to_vk": "on",
    }
    data.update(overrides)
    return data


def test_write_preview_and_schedule(admin_client, site, channel, vk):
    response = admin_client.post(
        "/marketing/posts/new/",
        {**_post_data(), "image": SimpleUploadedFile("a.png", _png(), "image/png")},
    )
    post = SocialPost.objects.get()
    assert response["Location"] == f"/marketing/posts/{post.pk}/"
    assert post.status == "draft" and post.image
    page = admin_client.get(f"/marketing/posts/{post.pk}/").content.decode()
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "<script>alert" not in page
    )
    assert f"https://t.me/trainer_test_bot?start=post_{post.pk}" in page
    assert admin_client.get(f"/marketing/posts/{post.pk}/image/").status_code == 200
    response = admin_client.post(
        f"/marketing/posts/{post.pk}/schedule/", {"publish_at": "2030-01-05T10:30"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == "scheduled" and post.publish_at.year == 2030
    assert set(post.publications.values_list("network", flat=True)) == {"telegram", "vk"}
    listing = admin_client.get("/marketing/posts/?status=scheduled").content.decode()
    assert "Марафон" in listing
    # A scheduled post cannot be edited; back to draft first.
    assert admin_client.get(f"/marketing/posts/{post.pk}/edit/").status_code == 302
    admin_client.post(f"/marketing/posts/{post.pk}/unschedule/")
    assert SocialPost.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"image": SimpleUploadedFile("a.png", b"GIF89a not really", "image/png")}, "image"),
        ({"text": "   "}, "text"),
        ({"text": "я" * 4097}, "text"),
        ({"text": "я" * 1100, "image": SimpleUploadedFile("a.png", _png(), "image/png")}, "text"),
        ({"to_telegram": "", "to_vk": ""}, "__all__"),
        ({"button_url": "javascript:alert(1)"}, "button_url"),
    ],
)
def test_bad_posts_get_clear_errors(admin_client, data, field):
    response = admin_client.post("/marketing/posts/new/", _post_data(**data))
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not SocialPost.objects.exists()


def test_schedule_in_the_past_is_refused(admin_client, site, channel, vk):
    post = SocialPost.objects.create(title="t", text="x")
    response = admin_client.post(
        f"/marketing/posts/{post.pk}/schedule/", {"publish_at": "2020-01-01T10:00"}
    )
    assert response.status_code == 422
    assert SocialPost.objects.get().status == "draft"


def test_schedule_without_configured_networks_says_what_is_missing(admin_client, site, settings):
    settings.TELEGRAM_CHANNEL_ID = ""
    post = SocialPost.objects.create(title="t", text="x", to_vk=False)
    response = admin_client.post(
        f"/marketing/posts/{post.pk}/schedule/", {"publish_at": "2030-01-01T10:00"}, follow=True
    )
    assert "TELEGRAM_CHANNEL_ID" in response.content.decode()
    assert SocialPost.objects.get().status == "draft"


def test_only_admins_manage_posts(client, db):
    post = SocialPost.objects.create(title="t", text="x")
    client.force_login(TrainerFactory())
    for url in [
        "/marketing/posts/",
        "/marketing/posts/new/",
        f"/marketing/posts/{post.pk}/",
        "/marketing/analytics/",
    ]:
        assert client.get(url).status_code == 403
    assert client.post(f"/marketing/posts/{post.pk}/delete/").status_code == 403
    assert SocialPost.objects.exists()


def test_delete_a_draft(admin_client):
    post = SocialPost.objects.create(title="t", text="x")
    admin_client.post(f"/marketing/posts/{post.pk}/delete/")
    assert not SocialPost.objects.exists()


def test_post_list_queries_do_not_grow(admin_client):
    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/marketing/posts/").status_code == 200
        return len(queries)

    SocialPost.objects.bulk_create([SocialPost(title=f"p{i}", text="x") for i in range(3)])
    small = page_queries()
    SocialPost.objects.bulk_create([SocialPost(title=f"q{i}", text="x") for i in range(40)])
    assert page_queries() == small
