"""Read access for anyone, throttled per client; writers are throttled per account.

The rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when it names the scope, else from
DEFAULT_RATES below; they are read on every request (DRF reads them once, at import), so that a
deployment or a test can change them in the settings.

A client is who the trusted proxies say it is (`registry.security.client_address`, from
TRUSTED_PROXY_COUNT), the same identity as the admin's login throttle: an X-Forwarded-For header
that a client writes itself changes nothing.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from registry.security import client_address

# Generous for people and for a client following the feed; the export is needed once per copy.
DEFAULT_RATES = {"anon": "600/minute", "user": "3000/minute", "export": "30/hour"}


class _CurrentRates:
    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATES.get(self.scope))

    def get_ident(self, request):
        return client_address(request)


class AnonymousClientThrottle(_CurrentRates, AnonRateThrottle):
    """Anonymous readers, counted per client address."""


class AccountThrottle(_CurrentRates, UserRateThrottle):
    """Authenticated clients, counted per account."""


class ExportThrottle(_CurrentRates, ScopedRateThrottle):
    """The full export is heavy: a client needs it once, then follows the feed."""


DEFAULT_THROTTLES = [AnonymousClientThrottle, AccountThrottle]
