"""The clear-text tokens of rest_framework.authtoken become knox digests, then are deleted.

Each keeps working (same text, same account) as a read-write token that expires after
API_TOKEN_DAYS, so that no client stops at the upgrade; none is stored in clear any more.
"""

import datetime

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS


def to_digests(apps, schema_editor):
    Legacy = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    ApiToken = apps.get_model("registry", "ApiToken")
    expiry = timezone.now() + datetime.timedelta(days=getattr(settings, "API_TOKEN_DAYS", 90))
    for legacy in Legacy.objects.all():
        token = AuthToken.objects.create(
            digest=hash_token(legacy.key),
            token_key=legacy.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=legacy.user_id,
            expiry=expiry,
        )
        ApiToken.objects.create(token=token, scope="write", name="moved from a clear-text token")
    Legacy.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(to_digests, migrations.RunPython.noop)]
