"""One exception handler: domain validation errors become HTTP 400 naming the field."""

from functools import cache

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionFailed(exceptions.APIException):
    """The resource changed since the client read it (its If-Match no longer holds)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it; read it again and retry."
    default_code = "precondition_failed"


@cache
def _constraint_fields() -> dict[str, str]:
    """The field each single-field unique constraint is about, by its violation message.

    Django reports a conditional unique constraint (such as "CAS RN unique when given") as an
    error of the whole object; the client should hear which field clashes.
    """
    fields: dict[str, str] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and len(constraint.fields) == 1:
                fields[str(constraint.violation_error_message)] = constraint.fields[0]
    return fields


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    if not hasattr(exc, "error_dict"):
        exc = DjangoValidationError({"__all__": exc.error_list})
    detail: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        for message in messages:
            name = field
            if field == "__all__":
                name = _constraint_fields().get(message, "non_field_errors")
            detail.setdefault(name, []).append(message)
    return detail


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, DataError):
        # A value the database cannot store as given (out of range, malformed for its type).
        # The database's own words name its internals; the client hears what to change.
        return Response(
            {
                "non_field_errors": [
                    "A value is out of range or malformed for its field; check the values sent."
                ]
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, IntegrityError):
        # The services validate first; this is the database refusing what slipped through a race.
        # Never the database's words: they name constraints, tables and row ids.
        return Response(
            {
                "non_field_errors": [
                    "This write conflicts with what the registry holds now (another change "
                    "came first); read the resource again and retry."
                ]
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
