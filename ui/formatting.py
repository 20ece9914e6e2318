"""Numbers and money as Russian readers expect them; the template filters in `ui` use these."""

from decimal import Decimal, InvalidOperation

NBSP = "\u00a0"  # between the number and ₽: the sign never wraps to its own line
GROUP = "\u202f"  # narrow no-break space between thousands, as Russian typography has it


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_number(value, *, decimals: int | None = None) -> str:
    """12345.5 → "12 345,5"; whole numbers without a fraction unless `decimals` is given."""
    number = _decimal(value)
    if number is None:
        return "—"
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 2
    text = f"{abs(number):,.{decimals}f}".replace(",", GROUP).replace(".", ",")
    return f"−{text}" if number < 0 and text.strip("0,\u202f") else text


def format_money(value) -> str:
    """Roubles: "14 990 ₽", kopecks only when there are some ("14 990,50 ₽")."""
    if _decimal(value) is None:
        return "—"
    return f"{format_number(value)}{NBSP}₽"
