import factory
from django.utils import timezone

from crm.tests.factories import ClientFactory
from pipeline.models import LostReason, PipelineStage, StageMove


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PipelineStage

    name = factory.Sequence(lambda n: f"Этап {n}")
    order = factory.Sequence(lambda n: 1000 + n)
    color = "#123456"


class LostReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LostReason
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Причина {n}")


class StageMoveFactory(factory.django.DjangoModelFactory):
    """A history row as the service writes it (for analytics tests that need past dates)."""

    class Meta:
        model = StageMove

    client = factory.SubFactory(ClientFactory)
    to_stage = factory.LazyFunction(lambda: PipelineStage.objects.get(code="first_contact"))
    to_stage_name = factory.SelfAttribute("to_stage.name")
    from_stage_name = factory.LazyAttribute(lambda m: m.from_stage.name if m.from_stage else "")
    from_stage = None
    event = StageMove.Event.MANUAL
    moved_at = factory.LazyFunction(timezone.now)
