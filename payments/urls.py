from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("payments/", views.payment_list, name="payment-list"),
    path("payments/<int:pk>/", views.payment_detail, name="payment-detail"),
    path("payments/<int:pk>/confirm/", views.payment_confirm, name="payment-confirm"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment-refund"),
    path("payments/record/<int:client_pk>/", views.payment_record, name="payment-record"),
    path("payments/tariffs/", views.tariff_list, name="tariff-list"),
    path("payments/promo-codes/", views.promo_list, name="promo-list"),
    path("payments/promotions/", views.promotion_list, name="promotion-list"),
    path("payments/promotions/new/", views.promotion_edit, name="promotion-add"),
    path("payments/promotions/<int:pk>/", views.promotion_edit, name="promotion-edit"),
    path("payments/yookassa/webhook/", views.yookassa_webhook, name="yookassa-webhook"),
    path("payments/demo/<str:provider_payment_id>/", views.demo_checkout, name="demo-checkout"),
    path("pay/", views.pay, name="pay"),
    path("pay/return/", views.pay_return, name="pay-return"),
]
