"""Login throttling (ASVS 2.2.1): an account locks after AXES_FAILURE_LIMIT wrong passwords from any
mix of addresses, and an address locks after AXES_ADDRESS_FAILURE_LIMIT wrong passwords for any
accounts — both for AXES_COOLOFF_HOURS. django-axes counts; this handler only gives the two counts
limits of their own (axes has one limit for every lockout parameter, and an office or a mobile
carrier's address is shared by many honest people, so it gets the larger one).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


class AccountAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        # One queryset per lockout parameter, in settings order: the account, then the address.
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(by_account, get_failure_limit(request, credentials))
        return by_account
