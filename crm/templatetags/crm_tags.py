from django import template

from crm.models import Client

register = template.Library()

_SOURCES = dict(Client.Source.choices)


@register.filter
def source_label(value: str) -> str:
    """A client's source as people read it; deep-link sources not in the list show as they are."""
    if not value:
        return "—"
    return str(_SOURCES.get(value, value))
