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

The key holds the query parameters the registry knows (`known_parameters`), never the others:
junk parameters share the entry of the page without them, so they cannot fill the cache (a
client sending random ones added 160 KB an answer). That is only safe if the answer did not
depend on them, so the view is handed a query that records what it reads: an answer is stored
only if the view read no unknown parameter by name, and did not look at the whole query (for
links that carry every parameter along) while unknown ones were there. An answer computed for
a request with junk is then served but not stored, and later ones are served the clean entry.
The language is keyed as resolved (cookie, Accept-Language or path), not as the header was sent.

The cache must be shared by every worker (Redis): with Django's in-process memory cache one
worker's bump would not reach the others. `RESPONSE_CACHE_SECONDS` is therefore 0 (off) unless
REDIS_URL is set (see config/settings.py). Served from the cache, an answer skips the API's
throttles: it costs the server less than refusing it would.
"""

import functools
import hashlib
import secrets
import threading

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response

from registry.api import SEQ_HEADER

DERIVED_SECONDS = 24 * 3600
"""How long a derived value (`derived`) is kept: its key names the registry version or the
input it was derived from, so it never goes stale, and a day lets the unused ones go."""

KEPT_AHEAD_SECONDS = 2 * 24 * 3600
"""How long a value made ahead of its first reader (registry.warming) is kept: two days, so that
the daily run, which keeps every such value anew, always comes before it goes."""

_deriving: dict[str, threading.Lock] = {}
_deriving_guard = threading.Lock()


def derived(key: str, compute, seconds: int = DERIVED_SECONDS):
    """A value derived from the registry (a ranking, a drawing, a substance's classes), kept in
    the shared cache under `key`, which must name all it depends on.

    Computed once at a time per worker: threads asking for the same missing key wait for the
    first to compute it, then read it, instead of each computing it. After a write every kept
    ranking is missed at once; eight threads of a worker each ranked "methyl" anew (hundreds of
    milliseconds at 100,000 substances) where one would do. A value is never None.
    """
    value = cache.get(key)
    if value is not None:
        return value
    with _deriving_guard:
        lock = _deriving.setdefault(key, threading.Lock())
    try:
        with lock:
            value = cache.get(key)  # derived meanwhile by the thread waited for
            if value is None:
                value = compute()
                cache.set(key, value, seconds)
    finally:
        with _deriving_guard:
            if _deriving.get(key) is lock:
                del _deriving[key]
    return value


TOKEN_KEY = "registry:feed-token"
CACHED_PREFIXES = ("/api/v1/",)
UNCACHED_PREFIXES = ("/admin/", "/api/v1/export/", "/health/", "/i18n/", "/static/", "/api/docs/")
VARYING_HEADERS = ("HTTP_ACCEPT",)


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
        query = TrackedQuery.of(request.GET)
        request.GET = query
        response = self.get_response(request)
        if self._cacheable_response(response) and query.answer_is_canonical():
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
        if path.startswith("/api/") and not known_parameters().issuperset(request.GET):
            # The API refuses a parameter it does not read (a 400 naming it): a misspelt
            # filter must reach the view, not be answered with the unfiltered list kept.
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
        known = known_parameters()
        query = sorted((name, values) for name, values in request.GET.lists() if name in known)
        parts = [
            token,
            request.scheme,
            request.get_host(),
            request.path,
            repr(query),
            translation.get_language_from_request(request, check_path=True),
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


@functools.cache
def known_parameters() -> frozenset[str]:
    """Every query parameter a cached page or API answer reads: its forms' and filters' fields.

    A parameter missing here is not an error: the answers that read it are simply not stored.
    """
    from registry import filtersets
    from registry.api import serializers
    from registry.web import forms

    names = {"page", "cursor", "page_size", "format"}
    for form in (forms.OnDateForm, forms.SearchForm, forms.CheckForm):
        names.update(form.base_fields)
    for value in vars(filtersets).values():
        names.update(getattr(value, "base_filters", {}) or {})
    for name in ("ChangesQuerySerializer", "StatsQuerySerializer"):
        query = getattr(serializers, name, None)
        if query is not None:
            names.update(query().fields)
    return frozenset(names)


class TrackedQuery(QueryDict):
    """A request's query that records which parameters the view reads (see the module doc)."""

    read_names: set[str]
    whole = False

    @classmethod
    def of(cls, source: QueryDict) -> "TrackedQuery":
        query = cls(mutable=True, encoding=source.encoding)
        for name, values in source.lists():
            query.setlist(name, values)
        query._mutable = False
        query.read_names = set()
        return query

    def _read(self, name) -> None:
        if "read_names" in self.__dict__:
            self.read_names.add(name)

    def _all(self) -> None:
        self.whole = True

    def __getitem__(self, key):
        self._read(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._read(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._read(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._read(key)
        return super().getlist(key, default)

    def __iter__(self):
        self._all()
        return super().__iter__()

    def __len__(self):
        self._all()
        return super().__len__()

    def lists(self):
        self._all()
        return super().lists()

    def items(self):
        self._all()
        return super().items()

    def keys(self):
        self._all()
        return super().keys()

    def values(self):
        self._all()
        return super().values()

    def dict(self):
        self._all()
        return super().dict()

    def copy(self):
        self._all()
        return super().copy()

    def urlencode(self, safe=None):
        self._all()
        return super().urlencode(safe)

    def answer_is_canonical(self) -> bool:
        """True when the answer depended on the known parameters only (see the module doc)."""
        known = known_parameters()
        if self.read_names - known:
            return False
        present = set(dict.keys(self))
        return not (self.whole and present - known)
