from celery import shared_task

from . import services


@shared_task(name="privacy.purge_daily")
def purge_daily_task() -> int:
    return services.clients_purge()


@shared_task(name="privacy.consent_record")
def consent_record_task(client_id: int, kind: str, decision: str, channel: str) -> int | None:
    """For domains below privacy (the website form in crm): record a consent they collected."""
    from crm.models import Client

    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return None
    return services.consent_record(client=client, kind=kind, decision=decision, channel=channel).pk
