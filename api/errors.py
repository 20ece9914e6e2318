"""Errors as JSON with Russian messages: `{"detail": "…", "errors": {"field": ["…"]}}`.

Domain services raise Django's ValidationError or their own errors; here they become 400/409
answers instead of 500s, and the schema documents the shape for every operation.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from academy.services import AcademyError
from crm.services import ClientDuplicateError
from payments.services import PaymentError
from pipeline.services import StageError
from programs.services import ProgramError

DOMAIN_ERRORS = (StageError, PaymentError, ProgramError, AcademyError)


def _django_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def api_exception_handler(exc, context):
    if isinstance(exc, ClientDuplicateError):
        return Response(
            {"detail": exc.messages[0], "duplicates": [client.pk for client in exc.existing]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        errors = _django_errors(exc)
        first = next(iter(errors.values()))[0]
        return Response({"detail": first, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DOMAIN_ERRORS):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": _("Check the data you sent."), "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "Field name → messages (validation errors only).",
        },
        "duplicates": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["detail"],
}
ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Not signed in or token invalid",
    "403": "Not allowed for this role or token",
    "404": "No such object, or not yours",
    "409": "Conflicts with existing data",
    "429": "Too many requests",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation may answer with the error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
