from django.db.models import QuerySet

from crm.models import Client, User

from .models import ClientAccount, LedgerEntry, Shift


def client_account(*, client: Client) -> ClientAccount:
    """The client's balance and debt (zero for a client with no entries yet), one query."""
    return ClientAccount.objects.filter(client=client).first() or ClientAccount(client=client)


def client_ledger(*, client: Client, limit: int) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.filter(client=client)
        .select_related("actor", "shift", "payment")
        .order_by("-created_at", "-id")[:limit]
    )


def open_shift(*, operator: User) -> Shift | None:
    return Shift.objects.filter(operator=operator, closed_at__isnull=True).first()


def shifts_visible(*, user: User) -> QuerySet[Shift]:
    """Admins and read-only see every shift; an operator sees their own."""
    shifts = Shift.objects.select_related("operator", "closed_by").order_by("-opened_at", "-id")
    if user.is_admin or user.role == User.Role.READ_ONLY:
        return shifts
    return shifts.filter(operator=user)


def shift_entries(*, shift: Shift, limit: int = 500) -> list[LedgerEntry]:
    return list(
        shift.entries.select_related("client", "actor").order_by("created_at", "id")[:limit]
    )
