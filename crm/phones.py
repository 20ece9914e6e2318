"""Phone numbers as people type them, turned into one international form (+79161234567)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw: str) -> str:
    """'8 (916) 123-45-67', '+7 916 123 45 67' and '9161234567' all become '+79161234567'.

    Raises ValidationError with a message for the user when it cannot be a phone number.
    """
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    if not 10 <= len(digits) <= 15:
        raise ValidationError(
            _("Enter the phone in international format, e.g. +79161234567."), code="invalid_phone"
        )
    return "+" + digits
