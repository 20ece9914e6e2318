from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.access import role_required

from .forms import AuditFilterForm
from .selectors import audit_entries

ENTRIES_PER_PAGE = 50


@require_GET
@role_required("admin")
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log for admins, newest first, filtered by who, client, action and dates."""
    form = AuditFilterForm(request.GET)
    page = Paginator(audit_entries(**form.filters()), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx and request.htmx.target == "audit-results":
        return render(request, "audit/audit_list.html#results", context)
    return render(request, "audit/audit_list.html", context)
