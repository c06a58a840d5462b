"""One exception handler: domain validation errors become HTTP 400 naming the field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_error_detail(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, IntegrityError):
        # The services validate first; this is the database refusing what slipped through a race.
        return Response(
            {"non_field_errors": [f"The database refused the write: {exc}"]},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
