import factory

from automations.models import Rule


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"Правило {n}")
    trigger = Rule.Trigger.STAGE_ENTERED
    is_active = True
    message = "{name}, привет от тренера {trainer}!"
