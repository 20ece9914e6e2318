from decimal import Decimal

from django.template import Context, Template

from ui.formatting import format_money, format_number


def test_money_is_grouped_and_never_wraps_before_the_sign():
    assert format_money(Decimal("14990.00")) == "14\u202f990\u00a0₽"
    assert format_money(Decimal("14990.50")) == "14\u202f990,50\u00a0₽"
    assert format_money(Decimal("-1000")) == "−1\u202f000\u00a0₽"
    assert format_money(0) == "0\u00a0₽"
    assert format_money(None) == "—" and format_money("oops") == "—"


def test_numbers_and_the_template_filters():
    assert format_number(1234567) == "1\u202f234\u202f567"
    html = Template("{% load ui %}{{ a|money }}|{{ b|number }}").render(
        Context({"a": Decimal("4990"), "b": 12345})
    )
    assert html == "4\u202f990\u00a0₽|12\u202f345"
