"""Fill `Client.paid_total` from the payments already there (services keep it from now on)."""

from decimal import Decimal

from django.db import migrations
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Client = apps.get_model("crm", "Client")
    Payment = apps.get_model("payments", "Payment")
    kept = (
        Payment.objects.filter(client=OuterRef("pk"), status="succeeded")
        .order_by()
        .values("client")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    Client.objects.filter(payments__status="succeeded").update(
        paid_total=Coalesce(Subquery(kept), Value(Decimal("0.00")))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_provider_notification"),
        ("crm", "0014_client_paid_total"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
