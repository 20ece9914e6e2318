from django import template

from crm import models

register = template.Library()


@register.filter
def source_label(value: str) -> str:
    """A client's source as people read it; deep-link sources not in the list show as they are."""
    return models.source_label(value)
