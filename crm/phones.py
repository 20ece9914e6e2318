"""Phone numbers as people type them, turned into one international form (+79161234567), so that
duplicates are found whatever the spelling."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

INVALID = "invalid_phone"


def phone_normalize(raw: str) -> str:
    """`8 (916) 123-45-67`, `+7 916 123 45 67`, `9161234567` → `+79161234567`; other countries keep
    their code (`+375 29 …` → `+37529…`). Empty input gives "". Raises ValidationError otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if re.search(r"[^\d\s()+\-.]", raw) or raw.count("+") > 1 or "+" in raw[1:]:
        raise ValidationError(
            _("A phone may hold only digits, spaces, brackets, dashes and +."), code=INVALID
        )
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+"):
        if len(digits) == 11 and digits[0] in "78":
            digits = "7" + digits[1:]
        elif len(digits) == 10 and digits[0] == "9":
            digits = "7" + digits
    if digits.startswith("7") and len(digits) != 11:
        raise ValidationError(_("A Russian number has 10 digits after +7."), code=INVALID)
    if not 10 <= len(digits) <= 15:
        raise ValidationError(
            _("Enter the phone in international format, e.g. +79161234567."), code=INVALID
        )
    return "+" + digits


def normalize_phone(raw: str) -> str:
    """Like `phone_normalize`, for callers that need a phone: an empty value is an error too."""
    phone = phone_normalize(raw)
    if not phone:
        raise ValidationError(
            _("Enter the phone in international format, e.g. +79161234567."), code=INVALID
        )
    return phone


def phone_search_digits(text: str) -> str:
    """Digits to look for in stored phones: a leading 8 of a Russian number becomes 7."""
    digits = re.sub(r"\D", "", text)
    # "8 916 …" or a full 11-digit "8916…" is a Russian number written the domestic way.
    if digits.startswith("8") and (len(digits) == 11 or re.match(r"^\s*8\s*[\s(\-]", text)):
        digits = "7" + digits[1:]
    return digits
