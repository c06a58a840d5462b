"""API tokens: made here, with a scope and an expiry, and shown once (see models.ApiToken)."""

import datetime

from django.conf import settings
from django.db import transaction
from knox.models import AuthToken

from registry.models import ApiToken


def issue(
    *, user, scope: str = ApiToken.Scope.READ, days: int | None = None, name: str = ""
) -> tuple[ApiToken, str]:
    """A new token for ``user``: its record and its text, which nothing can show again."""
    days = settings.API_TOKEN_DAYS if days is None else days
    with transaction.atomic():
        token, text = AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=days))
        record = ApiToken.objects.create(token=token, scope=scope, name=name[:100])
    return record, text


def scope_of(token) -> str:
    """The scope of a knox token (read-only when the registry has no record of it)."""
    try:
        return token.registry.scope
    except ApiToken.DoesNotExist:
        return ApiToken.Scope.READ
