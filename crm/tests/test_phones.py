import pytest
from django.core.exceptions import ValidationError

from crm.phones import phone_normalize, phone_search_digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (916) 123-45-67", "+79161234567"),
        ("+7 916 123 45 67", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("+375 29 123-45-67", "+375291234567"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phones_are_stored_as_plus_country_code(raw, expected):
    assert phone_normalize(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12345", "+7 916 123", "позвоните мне", "+7916+1234567", "8916123456789012"]
)
def test_nonsense_phones_are_refused_with_a_message(raw):
    with pytest.raises(ValidationError):
        phone_normalize(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("+0000000000", "международном формате"),  # no country has code 0
        ("+70123456789", "Такого номера нет"),  # +7 0…: no Russian operator
        ("+7 800 000 00 00 00", r"10 цифр после \+7"),
    ],
)
def test_numbers_no_operator_can_have_are_refused_in_russian(raw, message):
    with pytest.raises(ValidationError, match=message):
        phone_normalize(raw)


def test_search_digits_turn_a_leading_8_into_7():
    assert phone_search_digits("8 916 123-45-67") == "79161234567"
    assert phone_search_digits("123-45") == "12345"
