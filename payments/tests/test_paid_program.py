"""Payments and programs together: a successful payment yields the client's paid program."""

import pytest

from crm.tests.factories import ClientFactory, stage
from payments import services
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from programs.models import TrainingProgram

pytestmark = pytest.mark.django_db


def succeed(payment):
    return services.payment_transition(
        payment=payment, to=Payment.Status.SUCCEEDED, source=services.Source.WEBHOOK
    )


def test_successful_payment_generates_the_paid_program_once(django_capture_on_commit_callbacks):
    client = ClientFactory(
        stage=stage("deciding"),
        gender="female",
        experience="beginner",
        goal="weight_loss",
        location="home",
        equipment="dumbbells",
        training_days_per_week=3,
    )
    payment = PaymentFactory(client=client)

    with django_capture_on_commit_callbacks(execute=True):
        succeed(payment)
    with django_capture_on_commit_callbacks(execute=True):
        succeed(payment)  # a duplicate webhook

    program = TrainingProgram.objects.get(client=client)
    assert program.kind == "paid" and program.is_paid
    assert program.trigger == f"payment:{payment.pk}"
    assert len(program.content["weeks"]) == 12
    assert program.pdf
