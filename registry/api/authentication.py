"""API tokens with a scope: a read-only token changes nothing, whatever its account may do."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions, permissions

from registry.models import ApiToken
from registry.tokens import scope_of


class ScopedTokenAuthentication(TokenAuthentication):
    """knox's hashed, expiring tokens (`Authorization: Token ...`), held to their scope.

    A read-only token may read and may POST to a view that changes nothing (the check: the view
    says so with ``changes_nothing``); anything else it asks for is a 403 that says why.
    """

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if (
            scope_of(token) != ApiToken.Scope.WRITE
            and request.method not in permissions.SAFE_METHODS
            and not getattr(view, "changes_nothing", False)
        ):
            raise exceptions.PermissionDenied(
                "This token is read-only: changing the registry needs a read-write token."
            )
        return user, token


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the token: `Authorization: Token <key>`."""

    target_class = ScopedTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'An API token with the prefix "Token": read-only unless made read-write, '
                "and it expires (manage.py create_api_token)."
            ),
        }
