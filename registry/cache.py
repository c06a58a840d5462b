"""A shared cache of whole read responses, invalidated by every change to the registry.

Anonymous reads of the API and the public site are the same for everybody until the registry
changes, so their rendered answers are kept in the shared cache (Redis in production) under a key
that includes the feed token: a random value that `bump()` replaces whenever a transaction that
wrote to the change feed commits (registry.services registers it with `transaction.on_commit`).
After a write every worker asks for new keys at once, so nobody is served a stale answer and
nothing has to be deleted; the old entries simply expire.

Why the token is read *before* the response is computed: a worker that reads token T and then
the database can only store under T what was true at T or later. An answer computed from data
older than a token is therefore never stored under it.

The cache must be shared by every worker (Redis): with Django's in-process memory cache one
worker's bump would not reach the others. `RESPONSE_CACHE_SECONDS` is therefore 0 (off) unless
REDIS_URL is set (see config/settings.py). Served from the cache, an answer skips the API's
throttles: it costs the server less than refusing it would.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response

TOKEN_KEY = "registry:feed-token"
CACHED_PREFIXES = ("/api/v1/",)
UNCACHED_PREFIXES = ("/admin/", "/api/v1/export/", "/health/", "/i18n/", "/static/", "/api/docs/")
VARYING_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE")
SEQ_HEADER = "Registry-Seq"  # the API's feed position, kept on a 304 as on a 200


def bump() -> None:
    """Declare every cached answer stale: called once a write to the feed has committed."""
    cache.set(TOKEN_KEY, secrets.token_hex(8), None)


def current_token() -> str | None:
    """The feed token, created if the cache lost it; None when the cache does not answer."""
    token = cache.get(TOKEN_KEY)
    if token is None:
        cache.add(TOKEN_KEY, secrets.token_hex(8), None)
        token = cache.get(TOKEN_KEY)
    return token


def seconds() -> int:
    return int(getattr(settings, "RESPONSE_CACHE_SECONDS", 0) or 0)


class ReadCacheMiddleware:
    """Serve anonymous GETs of the API and the public pages from the shared cache.

    Only answers that are the same for every anonymous visitor are kept: no credentials or
    session in the request, status 200, not streamed, no cookie set in the answer. The key holds
    what the answer depends on besides the path: host and scheme (absolute links), Accept and
    Accept-Language, the language cookie, and today's date (pages answer for today).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._cacheable_request(request):
            return self.get_response(request)
        token = current_token()
        if token is None:
            return self.get_response(request)
        key = self._key(request, token)
        stored = cache.get(key)
        if stored is not None:
            return self._rebuild(request, stored)
        response = self.get_response(request)
        if self._cacheable_response(response):
            headers = {k: v for k, v in response.items()}
            cache.set(key, (response.status_code, headers, response.content), seconds())
            response["X-Registry-Cache"] = "miss"
        return response

    @staticmethod
    def _cacheable_request(request) -> bool:
        if seconds() <= 0 or request.method != "GET":
            return False
        if "HTTP_AUTHORIZATION" in request.META:
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return False
        path = request.path_info
        if path.startswith(UNCACHED_PREFIXES):
            return False
        # The public site lives at the root (and under a language prefix).
        return path.startswith(CACHED_PREFIXES) or not path.startswith("/api/")

    @staticmethod
    def _cacheable_response(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "no-store" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def _key(request, token: str) -> str:
        parts = [
            token,
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            timezone.localdate().isoformat(),
            *(request.META.get(name, "") for name in VARYING_HEADERS),
        ]
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape"))
        return f"registry:response:{digest.hexdigest()}"

    @staticmethod
    def _rebuild(request, stored) -> HttpResponse:
        status, headers, content = stored
        response = HttpResponse(content, status=status)
        for name, value in headers.items():
            response[name] = value
        response["X-Registry-Cache"] = "hit"
        etag = response.get("ETag")
        if not etag:
            return response
        answer = get_conditional_response(request, etag=etag, response=response)
        if answer is not response and response.has_header(SEQ_HEADER):
            answer[SEQ_HEADER] = response[SEQ_HEADER]
        return answer
