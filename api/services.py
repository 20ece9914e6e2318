from django.db import transaction
from django.utils import timezone

from crm.models import User

from .models import ApiToken, token_hash


@transaction.atomic
def token_create(*, user: User, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new personal token; returns it and the raw key, which is never stored or shown again.
    A read-only user's token is read-only whatever is asked."""
    raw = ApiToken.generate()
    token = ApiToken(
        user=user,
        name=name.strip(),
        key_hash=token_hash(raw),
        key_hint=raw[:8],
        read_only=read_only or not user.can_change,
    )
    token.full_clean()
    token.save()
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
