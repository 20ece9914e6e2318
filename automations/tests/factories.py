import factory

from automations.models import Rule
from crm.tests.factories import ClientFactory
from privacy.models import Channel, Consent, ConsentKind
from privacy.services import consent_record


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"Правило {n}")
    trigger = Rule.Trigger.STAGE_ENTERED
    is_active = True
    message = "{name}, привет от тренера {trainer}!"


class ConsentingClientFactory(ClientFactory):
    """A client who agreed to the processing of their data in the bot (automations may write)."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            consent_record(
                client=obj,
                kind=ConsentKind.PERSONAL,
                decision=Consent.Decision.GRANTED,
                channel=Channel.TELEGRAM,
            )
