"""The ownership rule, in one place. Every view that shows or changes clients goes through here.

- admin, operator, read_only and superusers see every client;
- a trainer sees the clients assigned to them and unassigned leads;
- read_only changes nothing (403).
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from audit.services import audit_denied

from .models import Client, User

M = TypeVar("M", bound=Model)


def scope_to_user(
    queryset: QuerySet[M], user: User, *, client_path: str = "", for_analytics: bool = False
) -> QuerySet[M]:
    """Limit any queryset to rows the user may see, through its path to Client.

    `client_path` is the lookup from the queryset's model to Client ("" for Client itself,
    "client" for a model with a `client` foreign key). `for_analytics` also leaves out the bot
    preview's clients (staff trying the bot), which must not count as business.
    """
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    prefix = f"{client_path}__" if client_path else ""
    if for_analytics:
        queryset = queryset.filter(**{f"{prefix}is_preview": False})
    if not user.is_trainer:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}trainer": user}) | Q(**{f"{prefix}trainer__isnull": True})
    )


def visible_clients(user: User, *, for_analytics: bool = False) -> QuerySet[Client]:
    return scope_to_user(Client.objects.all(), user, for_analytics=for_analytics)


def ensure_can_change(user: User, *, client: Client | None = None) -> None:
    """403 for a user who may not change anything (read_only); the attempt goes to the audit log."""
    if not user.can_change:
        audit_denied(actor=user, client=client, note=_("A read-only user tried to make a change."))
        raise PermissionDenied


def get_client_for(user: User, pk: int, *, for_change: bool = False) -> Client:
    """The client with this id if the user may see it (404 otherwise); 403 for a change by read_only.

    Asking for a client that exists but belongs to another trainer is recorded in the audit log
    (one extra query, on the refused path only)."""
    if for_change:
        ensure_can_change(user)
    client = visible_clients(user).select_related("stage", "trainer").filter(pk=pk).first()
    if client is None:
        other = Client.objects.filter(pk=pk).first() if user.is_authenticated else None
        if other is not None:
            audit_denied(actor=user, client=other, note=_("Asked for another trainer's client."))
        raise Http404
    return client


def change_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; read_only users get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ensure_can_change(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*roles: str) -> Callable:
    """Login required, and the user's role is one of `roles` (superusers always pass)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not (request.user.is_superuser or request.user.role in roles):
                audit_denied(actor=request.user, note=_("Opened a page the role does not allow."))
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
