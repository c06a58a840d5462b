"""One exception handler: domain validation errors become HTTP 400 naming the field."""

from functools import cache

from django.apps import apps
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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


@cache
def _constraint_messages() -> dict[str, str]:
    """Each constraint's message in words of the registry, by how the databases name it.

    PostgreSQL names the constraint; SQLite names the columns of a unique one.
    """
    messages: dict[str, str] = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            message = str(constraint.violation_error_message)
            messages[constraint.name] = message
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                columns = ", ".join(
                    f"{model._meta.db_table}.{model._meta.get_field(f).column}"
                    for f in constraint.fields
                )
                messages[columns] = message
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                messages[f"{model._meta.db_table}.{field.column}"] = (
                    f"Another {model._meta.verbose_name} already has this {field.name}."
                )
                messages[f"{model._meta.db_table}_{field.column}_key"] = messages[
                    f"{model._meta.db_table}.{field.column}"
                ]
    return messages


def integrity_error_message(exc: IntegrityError) -> str:
    """What the database refused, said as the registry says it rather than by constraint name."""
    text = str(exc)
    for name, message in sorted(_constraint_messages().items(), key=lambda i: -len(i[0])):
        if name in text:
            return message
    return (
        "This write conflicts with what the registry holds now (another change came first); "
        "read the resource again and retry."
    )


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


class Conflict(exceptions.APIException):
    """The write would make a second record of something the registry already holds."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The registry already holds this."
    default_code = "conflict"


def _codes(exc: DjangoValidationError) -> set[str | None]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer is an HTML page, with neither the reason nor the limit.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(
            detail=f"The request body is larger than {limit:,} bytes, the most a write takes "
            "(a file to screen goes to /api/v1/check/jobs/ as a multipart upload)."
        )
    if isinstance(exc, DjangoValidationError):
        detail = validation_error_detail(exc)
        if "duplicate" in _codes(exc):
            # A second record of one compound: the request is well formed, the registry's
            # state refuses it, and the message names the record that already holds it.
            exc = Conflict(detail=detail)
        else:
            exc = exceptions.ValidationError(detail=detail)
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
            {"non_field_errors": [integrity_error_message(exc)]},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
