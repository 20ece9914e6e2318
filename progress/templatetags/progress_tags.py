from django import template

from ..charts import fmt

register = template.Library()


@register.filter
def measure(value) -> str:
    """80,5 · 80 · — (Russian decimal comma, no trailing ",0")."""
    return fmt(value)


@register.filter
def change(value) -> str:
    """+1,5 · −2 · — (always signed)."""
    return fmt(value, signed=True)
