from django.urls import path

from . import import_views, report_views, views

app_name = "desk"

urlpatterns = [
    path("shifts/", views.shift_list, name="shift-list"),
    path("shifts/open/", views.shift_open, name="shift-open"),
    path("shifts/<int:pk>/", views.shift_detail, name="shift-detail"),
    path("shifts/<int:pk>/close/", views.shift_close, name="shift-close"),
    path("desk/clients/<int:pk>/top-up/", views.ledger_top_up, name="ledger-top-up"),
    path("desk/clients/<int:pk>/refund/", views.ledger_refund, name="ledger-refund"),
    path("desk/clients/<int:pk>/repay/", views.ledger_repay, name="ledger-repay"),
    path("desk/clients/<int:pk>/write-off/", views.ledger_write_off, name="ledger-write-off"),
    path("desk/clients/<int:pk>/sell/", views.ledger_sell, name="ledger-sell"),
    path("reports/", report_views.report_page, name="reports"),
    path("reports/export.xlsx", report_views.report_export, name="report-export"),
    path("reports/payments.xlsx", report_views.payments_export, name="payments-export"),
    path("reports/ledger.xlsx", report_views.ledger_export, name="ledger-export"),
    path("reports/shifts.xlsx", report_views.shifts_export, name="shifts-export"),
    path("reports/attendance.xlsx", report_views.attendance_export, name="attendance-export"),
    path("clients/export.xlsx", report_views.client_export, name="client-export"),
    path("clients/import/", import_views.client_import, name="client-import"),
    path(
        "clients/import/<int:pk>/",
        import_views.client_import_status,
        name="client-import-status",
    ),
]
