"""manage.py create_api_token USER: make an API token and show it, once."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry import tokens
from registry.models import ApiToken


class Command(BaseCommand):
    help = (
        "Make an API token for an account and print it. Only its digest is kept: the token "
        "cannot be shown again. Read-only unless --scope write."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        parser.add_argument(
            "--days",
            type=int,
            default=settings.API_TOKEN_DAYS,
            help=f"days until it expires (default {settings.API_TOKEN_DAYS})",
        )
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username, scope, days, name, **options):
        if not 1 <= days <= 3660:
            raise CommandError("--days must be from 1 to 3660.")
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No account is called {username}.") from None
        record, text = tokens.issue(user=user, scope=scope, days=days, name=name)
        self.stderr.write(
            f"{record.get_scope_display()} token for {user}, expires "
            f"{record.token.expiry:%Y-%m-%d}. "
            "It is shown once: keep it now."
        )
        self.stdout.write(text)
