"""One way to write money, numbers and stored codes on every page: `{% load ui %}`.

{{ payment.amount|money }}     14 990 ₽ · 14 990,50 ₽ · −1 000 ₽ (never wraps before ₽)
{{ count|number }}             12 345
"""

from django import template

from ui.formatting import format_money, format_number

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def number(value) -> str:
    return format_number(value)
