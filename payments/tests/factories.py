from datetime import time
from decimal import Decimal

import factory
from django.utils import timezone

from crm.tests.factories import ClientFactory
from payments.models import Payment, PromoCode, Promotion, Tariff
from payments.services import clients_paid_refresh


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    name = factory.Sequence(lambda n: f"Программа на 12 недель #{n}")
    description = "Персональная программа тренировок"
    price = Decimal("4990.00")
    duration_days = 84
    grants_paid_program = True
    order = factory.Sequence(lambda n: n)


class PromoCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromoCode

    code = factory.Sequence(lambda n: f"PROMO{n}")
    kind = PromoCode.Kind.PERCENT
    value = Decimal("10")
    max_uses_per_client = 1


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    tariff = factory.SubFactory(TariffFactory)
    amount = factory.SelfAttribute("tariff.price")
    provider = Payment.Provider.YOOKASSA
    provider_payment_id = factory.Sequence(lambda n: f"fake-{n:08d}")
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def client_paid(obj, create, extracted, **kwargs):
        """What the services do after a status change: the client's paid total follows."""
        if create:
            clients_paid_refresh([obj.client_id])


class PromotionFactory(factory.django.DjangoModelFactory):
    """−20% on weekdays until 16:00 (studio time), every tariff unless given."""

    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Утро будней #{n}")
    kind = Promotion.Kind.PERCENT
    value = Decimal("20")
    weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4])
    time_to = time(16, 0)

    @factory.post_generation
    def tariffs(self, create, extracted, **kwargs):
        if create and extracted:
            self.tariffs.set(extracted)
