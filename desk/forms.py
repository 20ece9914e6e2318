from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import Tariff
from payments.selectors import tariff_offers
from ui.formatting import format_money

from .models import DRAWER_METHODS, Method

MONEY_FIELD = {
    "max_digits": 12,
    "decimal_places": 2,
    "min_value": Decimal("0.01"),
    "widget": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    "error_messages": {
        "min_value": _("The amount must be greater than zero."),
        "invalid": _("Enter the amount as a number, e.g. 1500 or 1500.50."),
        "max_decimal_places": _("Enter an amount in roubles with at most two decimals."),
    },
}
DRAWER_CHOICES = [(m.value, m.label) for m in DRAWER_METHODS]


class MoneyField(forms.DecimalField):
    """Roubles as people type them: "1 500,50", "1500.50" and "1500" alike."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
            value = value.replace(",", ".").removesuffix("₽")
        return super().to_python(value)


class MoneyForm(forms.Form):
    amount = MoneyField(label=_("Amount, ₽"), **MONEY_FIELD)
    method = forms.ChoiceField(label=_("Method"), choices=DRAWER_CHOICES)
    reason = forms.CharField(label=_("Comment"), max_length=255, required=False)


class WriteOffForm(forms.Form):
    amount = MoneyField(label=_("Amount, ₽"), **MONEY_FIELD)
    reason = forms.CharField(label=_("Reason"), max_length=255)


class SellForm(forms.Form):
    tariff = forms.ModelChoiceField(label=_("Tariff"), queryset=Tariff.objects.none())
    method = forms.ChoiceField(
        label=_("Payment"),
        choices=[
            *DRAWER_CHOICES,
            (Method.BALANCE.value, Method.BALANCE.label),
            (Method.DEBT.value, Method.DEBT.label),
        ],
    )
    promo_code = forms.CharField(label=_("Promo code"), max_length=32, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].queryset = Tariff.objects.filter(is_active=True)
        self.fields["tariff"].label_from_instance = self._tariff_label
        self._offers: dict | None = None

    def _tariff_label(self, tariff: Tariff) -> str:
        """The tariff with its price now: a promotion in force is applied by itself at the sale."""
        if self._offers is None:
            self._offers = {offer.tariff.pk: offer for offer in tariff_offers()}
        offer = self._offers.get(tariff.pk)
        if offer is None or offer.in_force is None:
            return f"{tariff.name} — {format_money(tariff.price)}"
        return f"{tariff.name} — {format_money(offer.price_now)} (🔥 {offer.in_force.label()})"


COUNTED_FIELD = {
    **MONEY_FIELD,
    "min_value": Decimal("0"),
    "error_messages": {
        **MONEY_FIELD["error_messages"],
        "min_value": _("A counted amount cannot be negative."),
    },
    "widget": forms.TextInput(attrs={"inputmode": "decimal"}),
}


class ShiftCloseForm(forms.Form):
    counted_cash = MoneyField(label=_("Cash counted, ₽"), **COUNTED_FIELD)
    counted_card = MoneyField(label=_("Card (terminal report), ₽"), **COUNTED_FIELD)
    counted_transfer = MoneyField(label=_("Transfers (SBP), ₽"), **COUNTED_FIELD)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def counted(self) -> dict[str, Decimal]:
        return {
            Method.CASH: self.cleaned_data["counted_cash"],
            Method.CARD: self.cleaned_data["counted_card"],
            Method.TRANSFER: self.cleaned_data["counted_transfer"],
        }


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("day", _("Today")), ("week", _("Last 7 days")), ("custom", _("Dates"))],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    chart_title = _("Income by day")
    active_title = _("Active clients by day")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    on_duplicate = forms.ChoiceField(
        label=_("A client with the same phone or Telegram id exists"),
        choices=[("skip", _("Skip the row")), ("update", _("Update the client"))],
        initial="skip",
    )
