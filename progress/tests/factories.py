import io
from datetime import date, timedelta
from decimal import Decimal

import factory
from PIL import Image

from crm.tests.factories import ClientFactory
from progress.models import ProgressJournal, ProgressTarget


class ProgressJournalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressJournal

    client = factory.SubFactory(ClientFactory)
    period = "before"
    measured_on = factory.LazyFunction(lambda: date.today() - timedelta(days=14))
    weight = Decimal("82.0")
    waist = Decimal("90.0")


class ProgressTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressTarget

    client = factory.SubFactory(ClientFactory)
    metric = "weight"
    value = Decimal("75.0")


def image_bytes(fmt: str = "JPEG", color: str = "#0f766e") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), color).save(buffer, format=fmt)
    return buffer.getvalue()
