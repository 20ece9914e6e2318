from datetime import UTC, datetime
from decimal import Decimal

import jinja2
import pytest
from django.template import engines
from django.utils import translation


def render(source: str, **values) -> str:
    return engines["jinja2"].from_string(source).render(values)


def test_filters_format_as_the_django_filters_do_in_the_current_time_zone():
    late = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 01:30 on 2 December in Moscow
    with translation.override("ru"):
        html = render(
            "{{ at|date('d.m.Y H:i') }}|{{ at|localdate }}|{{ none|date('d.m.Y') or '—' }}|"
            "{{ sum|floatformat('2g') }}|{{ _('Name') }}",
            at=late,
            none=None,
            sum=Decimal("14990.5"),
        )
    assert html == "02.12.2026 01:30|2026-12-02|—|14\u00a0990,50|Имя"


def test_values_are_escaped_and_a_missing_variable_fails_in_tests():
    assert render("{{ name }}", name="<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        render("{{ card.nmae }}", card=object())
