"""Celery tasks of marketing: thin, they call a service."""

from celery import shared_task

from . import posts


@shared_task(name="marketing.posts_publish_due")
def posts_publish_due_task() -> int:
    return posts.posts_publish_due()
