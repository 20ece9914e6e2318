import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import IntegrityError
from PIL import Image

from marketing import posts
from marketing.models import PostPublication, SocialPost

from .conftest import CHANNEL
from .fake_vk import GROUP

MSK = ZoneInfo("Europe/Moscow")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=MSK)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def post(site, db):
    item = SocialPost.objects.create(
        title="Осенний марафон",
        text="Бесплатная программа на неделю <b>для вас</b>!",
        button_text="Получить программу",
    )
    item.image.save("autumn.png", ContentFile(_png()), save=True)
    return item


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """The beat job, now; effects scheduled on commit (staff notes) run as after a real commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduled", job=["marketing-posts-publish"])

    return run


def test_scheduled_post_is_published_once_to_both_networks(post, channel, vk, run_job):
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        posts.post_schedule(post=post, publish_at=NOON)
        run_job()  # not yet
    assert channel.sent("sendPhoto") == [] and vk.posts == []
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        run_job()
        run_job()  # the next check finds nothing to do
    post.refresh_from_db()
    assert post.status == SocialPost.Status.PUBLISHED
    [photo] = channel.sent("sendPhoto")
    assert photo.params["chat_id"] == CHANNEL
    assert photo.params["caption"] == post.text  # plain text: no parse mode, markup stays text
    assert "parse_mode" not in photo.params
    assert photo.buttons() == [
        ("Получить программу", f"https://t.me/trainer_test_bot?start=post_{post.pk}")
    ]
    assert "photo" in photo.files
    [wall] = vk.posts
    assert wall["owner_id"] == f"-{GROUP}" and wall["from_group"] == "1"
    assert wall["attachments"] == f"photo-{GROUP}_101" and wall["guid"] == f"post-{post.pk}"
    assert wall["message"].endswith(
        f"Получить программу: https://t.me/trainer_test_bot?start=post_{post.pk}"
    )
    assert vk.uploads[0][1] == post.image.open("rb").read()
    telegram_pub, vk_pub = post.publications.order_by("network")
    assert telegram_pub.status == vk_pub.status == PostPublication.Status.PUBLISHED
    assert telegram_pub.url == f"https://t.me/c/9876543210/{telegram_pub.external_id}"
    assert vk_pub.url == f"https://vk.com/wall-{GROUP}_{wall['post_id']}"


def test_a_publication_exists_once_per_network(post, channel, vk):
    posts.post_schedule(post=post, publish_at=NOON)
    with pytest.raises(IntegrityError):
        PostPublication.objects.create(post=post, network=PostPublication.Network.VK)


def test_a_claimed_publication_is_not_sent_again(post, channel, vk):
    posts.post_schedule(post=post, publish_at=NOON)
    publication = post.publications.get(network="vk")
    with time_machine.travel(NOON, tick=False):
        assert posts.publication_publish(publication_id=publication.pk) is not None
        # A duplicate task for the same row (a retry, a second worker) finds it done.
        assert posts.publication_publish(publication_id=publication.pk) is None
    assert len(vk.posts) == 1 and len([c for c in vk.calls if c[0] == "wall.post"]) == 1


def test_vk_error_is_retried_with_backoff_and_telegram_is_not_sent_twice(
    post, channel, vk, run_job
):
    posts.post_schedule(post=post, publish_at=NOON)
    vk.fail_next("wall.post", 10, "Internal server error")
    with time_machine.travel(NOON, tick=False):
        run_job()
    post.refresh_from_db()
    assert post.status == SocialPost.Status.FAILED
    failed = post.publications.get(network="vk")
    assert "Internal server error" in failed.error
    assert failed.next_attempt_at == NOON + timedelta(minutes=10)
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        run_job()  # too early
    assert vk.posts == []
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        run_job()
    post.refresh_from_db()
    assert post.status == SocialPost.Status.PUBLISHED and len(vk.posts) == 1
    assert len(channel.sent("sendPhoto")) == 1
    assert post.publications.get(network="vk").attempts == 2


def test_vk_refusal_that_no_retry_fixes_stops_and_tells_staff(post, channel, vk, settings, run_job):
    settings.VK_ACCESS_TOKEN = "wrong"
    posts.post_schedule(post=post, publish_at=NOON)
    with time_machine.travel(NOON, tick=False):
        run_job()
    failed = PostPublication.objects.get(post=post, network="vk")
    assert failed.status == "failed" and "authorization failed" in failed.error
    assert failed.next_attempt_at is None
    notes = [
        c.params["text"]
        for c in channel.sent("sendMessage")
        if "Осенний марафон" in c.params["text"]
    ]
    assert len(notes) == 1 and "VK" in notes[0]
    # Fixed by a person: retry publishes VK only.
    settings.VK_ACCESS_TOKEN = "vk-token"
    posts.post_retry(post=SocialPost.objects.get(pk=post.pk))
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        run_job()
    assert SocialPost.objects.get(pk=post.pk).status == "published"
    assert len(vk.posts) == 1 and len(channel.sent("sendPhoto")) == 1


def test_telegram_timeout_is_uncertain_and_waits_for_a_person(
    post, channel, vk, run_job, monkeypatch
):
    from botapp import client as telegram

    post.to_vk = False
    post.save()
    posts.post_schedule(post=post, publish_at=NOON)
    publication = post.publications.get()

    def timed_out(*args, **kwargs):
        raise telegram.BotTimedOut("Timed out")

    # The fake Bot API cannot hold an answer past the client's timeout without slowing the suite.
    monkeypatch.setattr(telegram, "send_channel_post", timed_out)
    with time_machine.travel(NOON, tick=False):
        run_job()
    monkeypatch.undo()
    publication.refresh_from_db()
    assert publication.status == "failed" and publication.next_attempt_at is None
    assert "мог быть опубликован" in publication.error
    with time_machine.travel(NOON + timedelta(hours=5), tick=False):
        run_job()
    assert channel.sent("sendPhoto") == []


def test_worker_died_mid_send_is_not_sent_again(post, channel, vk, run_job):
    posts.post_schedule(post=post, publish_at=NOON)
    PostPublication.objects.filter(post=post).update(status="sending", attempted_at=NOON)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        run_job()
    assert set(post.publications.values_list("status", "next_attempt_at")) == {("failed", None)}
    assert vk.posts == [] and channel.sent("sendPhoto") == []


def test_schedule_refuses_unconfigured_networks(post, settings):
    settings.VK_ACCESS_TOKEN = ""
    settings.TELEGRAM_CHANNEL_ID = ""
    with pytest.raises(ValidationError) as error:
        posts.post_schedule(post=post, publish_at=NOON)
    assert "VK" in str(error.value) and "TELEGRAM_CHANNEL_ID" in str(error.value)
    assert SocialPost.objects.get(pk=post.pk).status == "draft"


def test_unschedule_and_illegal_moves(post, channel, vk, run_job):
    posts.post_schedule(post=post, publish_at=NOON)
    posts.post_unschedule(post=post)
    assert SocialPost.objects.get(pk=post.pk).status == "draft" and not post.publications.exists()
    with pytest.raises(ValidationError):
        posts.post_retry(post=post)
    posts.post_schedule(post=post, publish_at=NOON)
    with time_machine.travel(NOON, tick=False):
        run_job()
    with pytest.raises(ValidationError):
        posts.post_unschedule(post=post)
    with pytest.raises(ValidationError):
        posts.post_schedule(post=SocialPost.objects.get(pk=post.pk), publish_at=NOON)


def test_text_post_without_image_or_button(site, channel, vk, db, run_job):
    site.bot_username = ""
    site.save()
    post = SocialPost.objects.create(title="Текст", text="Просто текст")
    posts.post_schedule(post=post, publish_at=NOON)
    with time_machine.travel(NOON, tick=False):
        run_job()
    [message] = [c for c in channel.sent("sendMessage") if c.chat_id == int(CHANNEL)]
    assert message.params["text"] == "Просто текст" and message.markup is None
    assert vk.posts[0]["message"] == "Просто текст" and "attachments" not in vk.posts[0]


def test_networks_unconfigured_after_scheduling_fail_with_a_reason(
    post, channel, vk, settings, run_job
):
    posts.post_schedule(post=post, publish_at=NOON)
    settings.VK_GROUP_ID = ""
    settings.TELEGRAM_CHANNEL_ID = ""
    with time_machine.travel(NOON, tick=False):
        run_job()
    errors = dict(post.publications.values_list("network", "error"))
    assert "VK_GROUP_ID" in errors["vk"] and "TELEGRAM_CHANNEL_ID" in errors["telegram"]
    assert SocialPost.objects.get(pk=post.pk).status == "failed"
    assert set(post.publications.values_list("next_attempt_at", flat=True)) == {None}
