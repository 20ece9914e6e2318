"""One way to write money, numbers and stored codes on every page: `{% load ui %}`.

{{ payment.amount|money }}     14 990 ₽ · 14 990,50 ₽ · −1 000 ₽ (never wraps before ₽)
{{ count|number }}             12 345
{% jinja "pipeline/_cards.html" cards=column.cards %}   rows rendered by Jinja2 (ui/jinja.py)
"""

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from ui.formatting import format_money, format_number

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def number(value) -> str:
    return format_number(value)


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **values) -> SafeString:
    """The Jinja2 template `template_name` (under an app's `jinja2/`) with `values`, the page's
    `user` and its request (for `csrf_input`). Jinja2 escaped what it inserted."""
    template = engines["jinja2"].get_template(template_name)
    html = template.render({"user": context.get("user"), **values}, request=context.get("request"))
    return mark_safe(html)
