from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.numbers import PlainDecimalField
from crm.phones import normalize_phone

from .models import PROMOTION_FIELDS, WEEKDAYS, Payment, Promotion, Tariff
from .selectors import PaymentFilters
from .services import MANUAL_PROVIDERS


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Payment.Status.choices]
    )
    provider = forms.ChoiceField(
        label=_("Provider"),
        required=False,
        choices=[("", _("Any provider")), *Payment.Provider.choices],
    )
    tariff = forms.ModelChoiceField(
        label=_("Tariff"),
        required=False,
        queryset=Tariff.objects.order_by("order", "id"),
        empty_label=_("Any tariff"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> PaymentFilters:
        if not self.is_valid():
            return PaymentFilters()
        data = self.cleaned_data
        return PaymentFilters(
            status=data["status"],
            provider=data["provider"],
            tariff_id=data["tariff"].pk if data["tariff"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


class ManualPaymentForm(forms.Form):
    tariff = forms.ModelChoiceField(
        label=_("Tariff"), queryset=Tariff.objects.filter(is_active=True)
    )
    provider = forms.ChoiceField(
        label=_("How it was paid"),
        choices=[
            (value, label) for value, label in Payment.Provider.choices if value in MANUAL_PROVIDERS
        ],
    )
    amount = PlainDecimalField(
        label=_("Amount, RUB"),
        required=False,
        min_value=Decimal("1.00"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Empty: the tariff's price after the promo code."),
    )
    promo_code = forms.CharField(label=_("Promo code"), required=False, max_length=32)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class RefundForm(forms.Form):
    amount = PlainDecimalField(
        label=_("Amount, RUB"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Empty: everything not yet refunded."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)


class PayForm(forms.Form):
    """The public pay page: a website visitor chooses a tariff and leaves contacts."""

    tariff = forms.ModelChoiceField(
        label=_("Tariff"), queryset=Tariff.objects.filter(is_active=True).order_by("order", "id")
    )
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        help_text=_("International format, e.g. +79161234567."),
    )
    email = forms.EmailField(label=_("Email"), required=False, help_text=_("For the receipt."))
    promo_code = forms.CharField(label=_("Promo code"), required=False, max_length=32)

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])


class PromotionForm(forms.ModelForm):
    """A promotion on the staff page: weekdays and tariffs as checkboxes, times and dates pickers."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one weekday.")},
    )

    class Meta:
        model = Promotion
        fields = PROMOTION_FIELDS
        widgets = {
            "tariffs": forms.CheckboxSelectMultiple,
            "time_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "time_to": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariffs"].queryset = Tariff.objects.order_by("order", "id")
        self.fields["value"].localize = True

    def clean_weekdays(self) -> list[int]:
        return sorted(set(self.cleaned_data["weekdays"]))
