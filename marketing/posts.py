"""Social posts: schedule, publish to the Telegram channel and the VK wall, retry with backoff.

State: the post's status follows its publications (one row per network, unique per pair). A
publication is claimed under a row lock and marked `sending` in its own committed transaction before
the outside call, so two workers, a re-run of the job or a retried task can never send it twice. A
definite refusal is retried with backoff; a timeout after sending is "uncertain" and waits for a
person (the post may be out), never for an automatic second copy.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from botapp import client as telegram
from botapp import ratelimit
from crm.notifications import staff_notify

from . import vk
from .models import PostPublication, SocialPost
from .selectors import bot_deep_link

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = [10, 30, 60, 180]  # after the 1st, 2nd, 3rd, 4th failure
SENDING_STUCK_AFTER = timedelta(minutes=30)
BATCH = 50  # publications per run of the job; the rest wait ten minutes

Status = SocialPost.Status
Network = PostPublication.Network

# Allowed moves of a post's status (anything else is refused).
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.SCHEDULED},
    Status.SCHEDULED: {Status.DRAFT, Status.PUBLISHED, Status.FAILED, Status.SCHEDULED},
    Status.FAILED: {Status.SCHEDULED, Status.PUBLISHED, Status.FAILED},
    Status.PUBLISHED: set(),
}


def networks_missing(post: SocialPost) -> list[str]:
    """Networks the post is meant for that are not configured."""
    missing = []
    if post.to_telegram and not (settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_CHANNEL_ID):
        missing.append(_("Telegram: set TELEGRAM_BOT_TOKEN and TELEGRAM_CHANNEL_ID"))
    if post.to_vk and not vk.is_configured():
        missing.append(_("VK: set VK_ACCESS_TOKEN and VK_GROUP_ID"))
    return missing


def _move(post: SocialPost, to: str) -> None:
    if to not in TRANSITIONS[post.status]:
        raise ValidationError(
            _("A post that is “%(from)s” cannot become “%(to)s”.")
            % {"from": post.get_status_display(), "to": Status(to).label}
        )
    post.status = to


@transaction.atomic
def post_schedule(*, post: SocialPost, publish_at: datetime) -> SocialPost:
    """Plan the post; the job publishes it at the first check after `publish_at`."""
    post = SocialPost.objects.select_for_update().get(pk=post.pk)
    if not (post.to_telegram or post.to_vk):
        raise ValidationError(_("Choose at least one network."))
    missing = networks_missing(post)
    if missing:
        raise ValidationError(_("Not configured: %(what)s.") % {"what": "; ".join(missing)})
    _move(post, Status.SCHEDULED)
    post.publish_at = publish_at
    post.save(update_fields=["status", "publish_at", "updated_at"])
    wanted = {Network.TELEGRAM: post.to_telegram, Network.VK: post.to_vk}
    for network, on in wanted.items():
        if on:
            PostPublication.objects.get_or_create(post=post, network=network)
        else:
            post.publications.filter(
                network=network, status=PostPublication.Status.PENDING
            ).delete()
    return post


@transaction.atomic
def post_unschedule(*, post: SocialPost) -> SocialPost:
    """Back to draft, as long as nothing has gone out."""
    post = SocialPost.objects.select_for_update().get(pk=post.pk)
    if post.publications.exclude(status=PostPublication.Status.PENDING).exists():
        raise ValidationError(_("Publishing has started: the post cannot go back to draft."))
    _move(post, Status.DRAFT)
    post.save(update_fields=["status", "updated_at"])
    post.publications.all().delete()
    return post


@transaction.atomic
def post_retry(*, post: SocialPost) -> SocialPost:
    """A person checked the networks: failed publications are tried again at the next check."""
    post = SocialPost.objects.select_for_update().get(pk=post.pk)
    if post.status != Status.FAILED:
        raise ValidationError(_("Only a failed post can be retried."))
    post.publications.filter(status=PostPublication.Status.FAILED).update(
        status=PostPublication.Status.PENDING, next_attempt_at=None, attempts=0
    )
    _move(post, Status.SCHEDULED)
    post.save(update_fields=["status", "updated_at"])
    return post


def post_button(post: SocialPost) -> tuple[str, str] | None:
    """(label, url): the post's own button, or the bot link with the post's start payload."""
    url = post.button_url or bot_deep_link(start=post.start_payload)
    if not url:
        return None
    return post.button_text or _("Get a free program"), url


def _image(post: SocialPost) -> bytes | None:
    if not post.image:
        return None
    with post.image.open("rb") as handle:
        return handle.read()


def _send(publication: PostPublication) -> tuple[str, str]:
    """Publish on the network: (post id there, link). Raises telegram.BotError or vk.VkError."""
    post = publication.post
    button = post_button(post)
    if publication.network == Network.TELEGRAM:
        channel = settings.TELEGRAM_CHANNEL_ID
        if not channel:
            raise telegram.BotDisabled(_("TELEGRAM_CHANNEL_ID is not set."))
        wait = ratelimit.reserve(channel)  # the same limiter as every bot message
        if wait:
            time.sleep(wait)
        markup = telegram.keyboard([[button]]) if button else None
        message_id, link = telegram.send_channel_post(
            channel, post.text, photo=_image(post), reply_markup=markup
        )
        return str(message_id), link
    if not vk.is_configured():
        raise vk.VkError(_("VK_ACCESS_TOKEN and VK_GROUP_ID are not set."), retry=False)
    text = f"{post.text}\n\n{button[0]}: {button[1]}" if button else post.text
    result = vk.wall_post(
        text=text,
        guid=f"post-{post.pk}",
        image=_image(post),
        filename=post.image.name.rsplit("/", 1)[-1] if post.image else "",
    )
    return str(result.post_id), result.url


def _claim(publication_id: int, now: datetime) -> PostPublication | None:
    """Mark the publication `sending` (committed) if it is due and nobody else holds it."""
    with transaction.atomic():
        publication = (
            PostPublication.objects.select_for_update(skip_locked=True)
            .select_related("post")
            .filter(pk=publication_id)
            .first()
        )
        if publication is None:
            return None
        due = publication.status == PostPublication.Status.PENDING or (
            publication.status == PostPublication.Status.FAILED
            and publication.next_attempt_at is not None
            and publication.next_attempt_at <= now
        )
        post = publication.post
        if not due or post.status not in (Status.SCHEDULED, Status.FAILED):
            return None
        if post.publish_at is None or post.publish_at > now:
            return None
        publication.status = PostPublication.Status.SENDING
        publication.attempts += 1
        publication.attempted_at = now
        publication.save(update_fields=["status", "attempts", "attempted_at"])
    return publication


def publication_publish(
    *, publication_id: int, now: datetime | None = None
) -> PostPublication | None:
    """Publish one due publication once; returns it (or None when not due or taken)."""
    now = now or timezone.now()
    publication = _claim(publication_id, now)
    if publication is None:
        return None
    try:
        external_id, url = _send(publication)
    except (telegram.BotError, vk.VkError, OSError) as exc:
        _failed(publication, exc, now)
    else:
        publication.status = PostPublication.Status.PUBLISHED
        publication.external_id, publication.url = external_id, url
        publication.published_at, publication.error, publication.next_attempt_at = now, "", None
        publication.save(
            update_fields=[
                "status",
                "external_id",
                "url",
                "published_at",
                "error",
                "next_attempt_at",
            ]
        )
    post_status_refresh(post_id=publication.post_id)
    return publication


def _failed(publication: PostPublication, exc: Exception, now: datetime) -> None:
    uncertain = isinstance(exc, telegram.BotTimedOut) or getattr(exc, "uncertain", False)
    final = isinstance(exc, telegram.BotBadRequest | telegram.BotForbidden | telegram.BotDisabled)
    retry = not uncertain and not final and getattr(exc, "retry", True)
    retry = retry and publication.attempts < MAX_ATTEMPTS
    reason = str(exc) or type(exc).__name__
    if uncertain:
        reason = _(
            "%(reason)s — the post may have been published. Check the network, then retry by hand."
        ) % {"reason": reason}
    publication.status = PostPublication.Status.FAILED
    publication.error = reason[:2000]
    delay = BACKOFF_MINUTES[min(publication.attempts, len(BACKOFF_MINUTES)) - 1]
    if isinstance(exc, telegram.BotRetryAfter):
        delay = max(delay, exc.seconds / 60)
    publication.next_attempt_at = now + timedelta(minutes=delay) if retry else None
    publication.save(update_fields=["status", "error", "next_attempt_at"])
    logger.warning("Post %s to %s failed: %s", publication.post_id, publication.network, reason)
    if not retry:
        staff_notify(
            text=_("The post “%(title)s” was not published to %(network)s: %(reason)s")
            % {
                "title": publication.post.title,
                "network": publication.get_network_display(),
                "reason": reason[:300],
            }
        )


@transaction.atomic
def post_status_refresh(*, post_id: int) -> SocialPost:
    """The post's status from its publications: all out = published, any failed = failed."""
    post = SocialPost.objects.select_for_update().get(pk=post_id)
    states = set(post.publications.values_list("status", flat=True))
    if states == {PostPublication.Status.PUBLISHED}:
        target = Status.PUBLISHED
    elif PostPublication.Status.FAILED in states:
        target = Status.FAILED
    else:
        target = Status.SCHEDULED
    if target != post.status and post.status != Status.DRAFT:
        _move(post, target)
        post.save(update_fields=["status", "updated_at"])
    return post


def posts_publish_due(*, now: datetime | None = None) -> int:
    """The job beat runs every 10 minutes: publish what is due; returns how many went out."""
    now = now or timezone.now()
    _release_stuck(now)
    due = list(
        PostPublication.objects.filter(
            Q(status=PostPublication.Status.PENDING)
            | Q(status=PostPublication.Status.FAILED, next_attempt_at__lte=now),
            post__status__in=[Status.SCHEDULED, Status.FAILED],
            post__publish_at__lte=now,
        )
        .order_by("post__publish_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    published = 0
    for publication_id in due:
        publication = publication_publish(publication_id=publication_id, now=now)
        if publication is not None and publication.status == PostPublication.Status.PUBLISHED:
            published += 1
    return published


def _release_stuck(now: datetime) -> None:
    """A worker died mid-send: the outcome is unknown, so a person decides (no second copy)."""
    stuck = PostPublication.objects.filter(
        status=PostPublication.Status.SENDING, attempted_at__lt=now - SENDING_STUCK_AFTER
    )
    for publication in stuck.select_related("post"):
        publication.status = PostPublication.Status.FAILED
        publication.next_attempt_at = None
        publication.error = _(
            "Sending was interrupted — the post may have been published. Check the network, then "
            "retry by hand."
        )
        publication.save(update_fields=["status", "next_attempt_at", "error"])
        post_status_refresh(post_id=publication.post_id)
