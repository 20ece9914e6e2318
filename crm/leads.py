"""A lead's status follows the client journey: qualified by the questionnaire, converted by the first
successful payment, lost when the client is moved to Неактивен.

These are called from the same services that make the journey's stage moves (the questionnaire
completion in `crm.services`, `payments.services.payment_transition`, `pipeline.services.stage_move`),
so a lead and the board never disagree. Only `crm.models` is imported here, so `pipeline` may call
these without importing the rest of crm's services.
"""

from django.db import transaction

from .models import Client, Lead

OPEN = (Lead.Status.NEW, Lead.Status.QUALIFIED)


def _latest(client: Client) -> Lead | None:
    return client.leads.select_for_update().order_by("-created_at", "-id").first()


@transaction.atomic
def lead_qualify(*, client: Client) -> Lead:
    """The client answered the questionnaire: their latest lead is qualified (a client who came with
    no lead — added by hand — gets one). A converted or lost lead keeps its status."""
    lead = _latest(client)
    if lead is None:
        return Lead.objects.create(
            client=client, source=client.source, status=Lead.Status.QUALIFIED
        )
    if lead.status == Lead.Status.NEW:
        lead.status = Lead.Status.QUALIFIED
        lead.save(update_fields=["status", "updated_at"])
    return lead


@transaction.atomic
def lead_convert(*, client: Client) -> Lead | None:
    """A payment succeeded: the client's latest open lead is converted. None when no lead is open
    (a repeat purchase, or a client added by hand without one)."""
    lead = _latest(client)
    if lead is None or lead.status not in OPEN:
        return None
    lead.status = Lead.Status.CONVERTED
    lead.save(update_fields=["status", "updated_at"])
    return lead


@transaction.atomic
def lead_lose(*, client: Client) -> Lead | None:
    """The client was moved to Неактивен: their latest open lead is lost. None when none is open."""
    lead = _latest(client)
    if lead is None or lead.status not in OPEN:
        return None
    lead.status = Lead.Status.LOST
    lead.save(update_fields=["status", "updated_at"])
    return lead
