"""The API's shapes. Writes go through the domain services (views call them), so a serializer here
validates input shape only; the services own the rules."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import Client, ClientAction, ClientContact, User
from crm.services import PROFILE_FIELDS, QUESTIONNAIRE_FIELDS
from payments.models import Payment, Tariff
from pipeline.models import PipelineStage, StageMove
from programs.models import TrainingProgram
from progress.metrics import METRIC_FIELDS
from progress.models import Period, ProgressJournal

from .models import ApiToken


class StageBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PipelineStage
        fields = ["id", "name", "code", "color"]


class TrainerBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class ClientSerializer(serializers.ModelSerializer):
    stage = StageBriefSerializer(read_only=True, allow_null=True)
    trainer = TrainerBriefSerializer(read_only=True, allow_null=True)
    trainer_id = serializers.PrimaryKeyRelatedField(
        source="trainer",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        write_only=True,
    )
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "full_name",
            *(name for name in PROFILE_FIELDS if name != "trainer"),
            *QUESTIONNAIRE_FIELDS,
            "telegram_id",
            "stage",
            "stage_changed_at",
            "trainer",
            "trainer_id",
            "last_contact_at",
            "next_contact_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["telegram_id", "stage_changed_at", "last_contact_at", "created_at"]
        # Uniqueness is the service's business (a duplicate answers with a link to the other client).
        extra_kwargs = {"phone": {"validators": []}}


class ClientCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    telegram_username = serializers.CharField(max_length=64, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    source = serializers.CharField(max_length=64, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    trainer_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class MoveStageSerializer(serializers.Serializer):
    stage_id = serializers.PrimaryKeyRelatedField(queryset=PipelineStage.objects.all())
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = PipelineStage
        fields = ["id", "name", "code", "order", "color", "description", "expected_days"]
        read_only_fields = ["code", "order"]


class StageOrderSerializer(serializers.Serializer):
    stage_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=100
    )


class StageMoveSerializer(serializers.ModelSerializer):
    actor = TrainerBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StageMove
        fields = [
            "id",
            "client_id",
            "from_stage_id",
            "from_stage_name",
            "to_stage_id",
            "to_stage_name",
            "event",
            "actor",
            "notes",
            "moved_at",
        ]


class ProgramSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingProgram
        fields = [
            "id",
            "client_id",
            "kind",
            "title",
            "template_code",
            "weeks",
            "is_paid",
            "assigned_by_id",
            "assigned_at",
            "delivered_at",
        ]


class ProgramDetailSerializer(ProgramSerializer):
    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "content", "formatted_text"]


class ProgramAssignSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TrainingProgram.Kind.choices)
    request_id = serializers.CharField(
        max_length=64,
        help_text=_("Your id for this request: sending it twice assigns one program."),
    )


class PaymentSerializer(serializers.ModelSerializer):
    tariff = serializers.CharField(source="tariff.name", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "client_id",
            "tariff_id",
            "tariff",
            "amount",
            "refunded_amount",
            "status",
            "provider",
            "paid_at",
            "created_at",
        ]


class ManualPaymentSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    tariff_id = serializers.PrimaryKeyRelatedField(
        source="tariff", queryset=Tariff.objects.filter(is_active=True)
    )
    provider = serializers.ChoiceField(
        choices=[
            (Payment.Provider.CASH, Payment.Provider.CASH.label),
            (Payment.Provider.CARD, Payment.Provider.CARD.label),
            (Payment.Provider.MANUAL, Payment.Provider.MANUAL.label),
        ]
    )
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=1, required=False, allow_null=True
    )
    promo_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressJournal
        fields = [
            "id",
            "client_id",
            "program_id",
            "period",
            "measured_on",
            *METRIC_FIELDS,
            "notes",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["source", "created_at", "updated_at"]


class ProgressWriteSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    program_id = serializers.IntegerField(required=False, allow_null=True)
    period = serializers.ChoiceField(choices=Period.choices)
    measured_on = serializers.DateField(required=False)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        for name in METRIC_FIELDS:
            fields[name] = serializers.DecimalField(
                max_digits=5, decimal_places=1, required=False, allow_null=True
            )
        return fields


class ActionSerializer(serializers.ModelSerializer):
    author = TrainerBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ClientAction
        fields = ["id", "client_id", "kind", "happened_at", "description", "author", "created_at"]


class ActionWriteSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ClientAction.Kind.choices)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    happened_at = serializers.DateTimeField(required=False)
    next_contact_at = serializers.DateTimeField(required=False, allow_null=True)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientContact
        fields = [
            "id",
            "client_id",
            "channel",
            "contact_data",
            "text",
            "direction",
            "sent_at",
            "author_id",
        ]


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "key_hint", "read_only", "created_at", "last_used_at"]
