"""Two small defences the framework does not provide: a login throttle and the security headers.

The admin's login form is the one place where someone can guess passwords, so failed attempts are
counted in the shared cache, per (user name, client) pair and per client: past the limit the form
answers 429 to that pair (or client) for the rest of the window, whatever the password. Nothing is
counted per account alone, so a stranger's guesses never lock a curator out: from any other
client the right password still works. User names are compared as Django compares them at login
and then some (NFKC, then case-folded), so a full-width or differently cased name is the same
name. The client is who the trusted proxies say it is (`client_address`), the same identity the
API's throttles use. The counts live in the cache so that every worker sees them (with Redis;
with the in-process cache each worker counts apart, which still slows guessing down by the
number of workers at most).

And a JSON parser for the API that refuses text which is not Unicode (see StrictJSONParser).

The headers: a Content-Security-Policy that allows only the registry's own scripts (the public
site has none inline; the API's documentation pages need their inline start-up script), and
Permissions-Policy. HSTS, X-Content-Type-Options and Referrer-Policy come from Django's
SecurityMiddleware, configured in the settings.
"""

import hashlib
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_FAILURES_PER_USER = 5
"""Wrong passwords allowed for one user name from one client in a window."""
LOGIN_FAILURES_PER_ADDRESS = 50
"""Wrong passwords allowed from one client in a window, whatever the user names (spraying)."""

_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    # Structure drawings are inline SVG and some elements carry a style attribute.
    "style-src": "'self' 'unsafe-inline'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
_DOCS_POLICY = {**_POLICY, "script-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
DOCS_PREFIXES = ("/api/docs/", "/api/redoc/")


def _header(policy: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in policy.items())


CONTENT_SECURITY_POLICY = _header(_POLICY)
DOCS_CONTENT_SECURITY_POLICY = _header(_DOCS_POLICY)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        docs = request.path_info.startswith(DOCS_PREFIXES)
        response.headers.setdefault(
            "Content-Security-Policy",
            DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY,
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def client_address(request) -> str:
    """The client's address; behind N trusted proxies, the Nth from the right they forwarded.

    N is TRUSTED_PROXY_COUNT (0 by default: the peer's own address, whatever the headers say).
    Each proxy appends the address it received the request from, so only the last N entries of
    X-Forwarded-For were written by a proxy; anything before them is the client's own say. With
    fewer entries than proxies the header did not come through them: the peer's address counts.
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class LoginThrottleMiddleware:
    """Refuse admin logins from an address (or for a user name) after too many failures."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._login_path = None

    def __call__(self, request):
        if request.method != "POST" or request.path_info != self.login_path():
            return self.get_response(request)
        address = client_address(request)
        username = login_name(request.POST.get("username", ""))
        digest = hashlib.sha256(username.encode("utf-8", "surrogateescape")).hexdigest()
        keys = [f"registry:login:{address}", f"registry:login:{address}:{digest}"]
        counts = cache.get_many(keys)
        if (
            counts.get(keys[0], 0) >= LOGIN_FAILURES_PER_ADDRESS
            or counts.get(keys[1], 0) >= LOGIN_FAILURES_PER_USER
        ):
            return HttpResponse(
                _("Too many failed logins. Try again in 15 minutes."),
                status=429,
                content_type="text/plain; charset=utf-8",
                headers={"Retry-After": str(LOGIN_WINDOW_SECONDS)},
            )
        response = self.get_response(request)
        if response.status_code == 200:  # the form shown again: a failed attempt
            for key in keys:
                if not cache.add(key, 1, LOGIN_WINDOW_SECONDS):
                    try:
                        cache.incr(key)
                    except ValueError:  # expired between add and incr
                        cache.add(key, 1, LOGIN_WINDOW_SECONDS)
        elif response.status_code == 302:
            cache.delete(keys[1])
        return response

    def login_path(self) -> str:
        if self._login_path is None:
            self._login_path = reverse("admin:login")
        return self._login_path


def login_name(value) -> str:
    """A user name as the login throttle counts it: NFKC-normalised, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", str(value)).casefold().strip()[:150]


class StrictJSONParser(JSONParser):
    """JSON, refusing what would crash later: lone surrogates and absurdly deep nesting.

    JSON lets a client escape a lone surrogate ("\\ud800"); Python reads it into a str that
    cannot be encoded as UTF-8, and the first answer or database write that echoes it fails. A
    body nested deeper than Python's recursion limit fails in the decoder itself. Refused here,
    each is a 400 that names the problem, for every endpoint at once.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Nesting deeper than Python's recursion limit: a 400, not a crashed request.
            raise ParseError("JSON parse error - nested too deeply.") from None
        if not _encodable(data):
            raise ParseError(
                "JSON parse error - the text holds a lone surrogate (\\ud800-\\udfff)."
            )
        return data


def _encodable(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class RejectNulMiddleware:
    """Answer 400 to a NUL character in the path, before any view runs.

    PostgreSQL text cannot hold NUL, so a uid such as `/substances/%00/` would otherwise reach
    the database and fail there with a 500. Query parameters and form fields are the views'
    business (the API answers them with a JSON 400, the public forms with a message on the page).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return HttpResponse(
                "Null characters are not allowed in the address.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
