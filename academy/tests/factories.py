from datetime import time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from academy.models import Discipline, Hall, Membership, MembershipPlan, Session, TrainingGroup
from crm.tests.factories import ClientFactory, TrainerFactory
from payments.models import Payment
from payments.tests.factories import TariffFactory


class DisciplineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Discipline
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Дисциплина {n}")


class HallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hall
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Зал {n}")


class TrainingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingGroup

    title = factory.Sequence(lambda n: f"Группа {n}")
    discipline = factory.SubFactory(DisciplineFactory)
    trainer = factory.SubFactory(TrainerFactory)
    hall = factory.SubFactory(HallFactory)
    weekdays = "024"
    start_time = time(19, 0)
    duration_minutes = 90
    capacity = 10


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    title = factory.Sequence(lambda n: f"Тренировка {n}")
    discipline = factory.SubFactory(DisciplineFactory)
    trainer = factory.SubFactory(TrainerFactory)
    hall = factory.SubFactory(HallFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(minutes=90))
    capacity = 10


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipPlan

    tariff = factory.SubFactory(
        TariffFactory,
        name=factory.Sequence(lambda n: f"Абонемент {n}"),
        price=Decimal("3000.00"),
        duration_days=30,
        grants_paid_program=False,
    )
    kind = MembershipPlan.Kind.VISITS
    visits = 8
    duration_days = 30


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    client = factory.SubFactory(ClientFactory)
    plan = factory.SubFactory(PlanFactory)
    payment = factory.LazyAttribute(
        lambda m: Payment.objects.create(
            client=m.client,
            tariff=m.plan.tariff,
            amount=m.plan.tariff.price,
            provider=Payment.Provider.CASH,
            status=Payment.Status.SUCCEEDED,
            paid_at=timezone.now(),
        )
    )
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))
    visits_total = factory.SelfAttribute("plan.visits")


__all__ = ["ClientFactory", "TrainerFactory"]
