import factory
from django.utils import timezone

from crm.models import Client, ClientAction, ClientContact, Lead, User
from pipeline.models import PipelineStage


def stage(code: str) -> PipelineStage:
    return PipelineStage.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    # Fixed staff names: a random one could collide with a client name a test looks for.
    first_name = "Тренер"
    last_name = factory.Sequence(lambda n: f"Сотрудник-{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.TRAINER
    password = factory.django.Password("pass12345")


class TrainerFactory(UserFactory):
    role = User.Role.TRAINER


class AdminFactory(UserFactory):
    role = User.Role.ADMIN


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    first_name = factory.Faker("first_name", locale="ru_RU")
    last_name = factory.Faker("last_name", locale="ru_RU")
    phone = factory.Sequence(lambda n: f"+7900{n:07d}")
    telegram_id = factory.Sequence(lambda n: 100000 + n)
    telegram_username = factory.Sequence(lambda n: f"client{n}")
    source = Client.Source.TELEGRAM
    stage = factory.LazyFunction(lambda: stage("first_contact"))
    stage_changed_at = factory.LazyFunction(timezone.now)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    client = factory.SubFactory(ClientFactory)
    source = factory.SelfAttribute("client.source")


class ClientActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientAction

    client = factory.SubFactory(ClientFactory)
    kind = ClientAction.Kind.CALL
    happened_at = factory.LazyFunction(timezone.now)
    description = "Обсудили цели и расписание"


class ClientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientContact

    client = factory.SubFactory(ClientFactory)
    channel = ClientContact.Channel.TELEGRAM
    direction = ClientContact.Direction.INBOUND
    text = "Здравствуйте! Хочу программу тренировок."
    sent_at = factory.LazyFunction(timezone.now)


class OperatorFactory(UserFactory):
    role = User.Role.OPERATOR


class ReadOnlyFactory(UserFactory):
    role = User.Role.READ_ONLY
