from decimal import Decimal

from crm.models import User
from crm.tests.factories import UserFactory
from payments.tests.factories import TariffFactory


class OperatorFactory(UserFactory):
    role = User.Role.OPERATOR


def desk_tariff(price: str = "3000.00", **kwargs):
    """A tariff without the paid program: selling it settles a payment and nothing heavier."""
    return TariffFactory(price=Decimal(price), grants_paid_program=False, **kwargs)
