"""Phone numbers as people type them, turned into one international form (E.164, +79161234567), so
that duplicates are found whatever the spelling. Parsing and validation are `phonenumbers`' (Google's
libphonenumber data), not hand-written rules."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

INVALID = "invalid_phone"
DEFAULT_REGION = "RU"  # a number written without a country code is Russian


def phone_normalize(raw: str) -> str:
    """`8 (916) 123-45-67`, `+7 916 123 45 67`, `9161234567` → `+79161234567` (E.164); other
    countries keep their code (`+375 29 …` → `+37529…`). Empty input gives "". Parsed and checked
    by `phonenumbers` (Russia by default): a number no operator can have (`+0000000000`,
    `+70123456789`) raises ValidationError with a message to show, like any other bad input."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    if re.search(r"[^\d\s()+\-.]", raw) or raw.count("+") > 1 or "+" in raw[1:]:
        raise ValidationError(
            _("A phone may hold only digits, spaces, brackets, dashes and +."), code=INVALID
        )
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Enter the phone in international format, e.g. +79161234567."), code=INVALID
        ) from exc
    if number.country_code == 7 and raw.startswith("+") and len(re.sub(r"\D", "", raw)) != 11:
        raise ValidationError(_("A Russian number has 10 digits after +7."), code=INVALID)
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("There is no such phone number: check the country code and the digits."),
            code=INVALID,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
