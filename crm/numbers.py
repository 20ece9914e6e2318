"""Numbers people type: plain decimals only ("72,5", "-3", "100.00") — never "1e2", "NaN" or
"Infinity", which Python's Decimal would take (an exponent turns a typo into a plausible value)."""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

PLAIN_DECIMAL = re.compile(r"^[+-]?\d{1,15}(?:[.,]\d{1,6})?$")


def parse_plain_decimal(raw: str) -> Decimal | None:
    """The number written in `raw` (comma or point), or None if it is not a plain decimal."""
    text = (raw or "").strip().replace("\u00a0", "").replace(" ", "")
    if not PLAIN_DECIMAL.match(text):
        return None
    return Decimal(text.replace(",", "."))


class PlainDecimalField(forms.DecimalField):
    """A DecimalField that refuses exponents and special values with a clear message."""

    default_error_messages = {"invalid": _("Enter a plain number, for example 72.5.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            number = parse_plain_decimal(value)
            if number is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            value = str(number)  # a comma is a decimal point, whatever the form's locale
        return super().to_python(value)
