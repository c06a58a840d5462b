"""Read access for anyone, throttled per client; writers are throttled per account.

The rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when it names the scope, else from
DEFAULT_RATES below; they are read on every request (DRF reads them once, at import), so that a
deployment or a test can change them in the settings.

A client is who the trusted proxies say it is (`registry.security.client_address`, from
TRUSTED_PROXY_COUNT), the same identity as the admin's login throttle: an X-Forwarded-For header
that a client writes itself changes nothing.

The count is DRF's sliding log: at most N requests in any window of the rate's length, a refused
request not counted. On Redis (production) the log is a sorted set, read and written by one
script (`SLIDING_LOG`) that no other worker can interleave with: one round trip and one reply.
DRF's own way (read the log, write it back) costs two trips, lets concurrent workers overwrite
each other's counts, and moves the whole log through the network on every request; a
transaction of the five commands cost an API read a tenth of its time in replies parsed.
Elsewhere (the embedded default's in-process cache) DRF's way is kept.
"""

import logging
import uuid

from django.utils.connection import ConnectionProxy
from django_redis.cache import RedisCache
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from registry.security import client_address

logger = logging.getLogger(__name__)

# Generous for people and for a client following the feed; the export is needed once per copy.
DEFAULT_RATES = {"anon": "600/minute", "user": "3000/minute", "export": "30/hour"}


def _redis_of(cache):
    """The Redis client behind a django-redis cache, else None."""
    if isinstance(cache, ConnectionProxy):  # DRF's `cache`: the default cache, by proxy
        cache = cache._connections[cache._alias]
    return cache.client.get_client(write=True) if isinstance(cache, RedisCache) else None


class _CurrentRates:
    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATES.get(self.scope))

    def get_ident(self, request):
        return client_address(request)


# KEYS[1]: the client's log; ARGV: now, the window's start, the limit, the window in seconds, a
# member naming this request. Times older than the window leave the log; the request is counted
# and let through if the log holds fewer than the limit, else refused, uncounted, with the
# oldest time still in the window (which says when a request will be let through again).
SLIDING_LOG = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
    redis.call('EXPIRE', KEYS[1], ARGV[4])
    return false
end
return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
"""

_scripts: dict[int, object] = {}


def _sliding_log(redis):
    """The script, registered once per Redis client (redis-py sends its digest, and the text
    only when the server does not know it yet)."""
    script = _scripts.get(id(redis))
    if script is None or script.registered_client is not redis:
        script = _scripts[id(redis)] = redis.register_script(SLIDING_LOG)
    return script


class _SlidingLog(SimpleRateThrottle):
    """DRF's count, on Redis in one round trip (see the module's docstring). Last among a
    throttle's bases, so that a scoped throttle has chosen its rate before it counts."""

    def allow_request(self, request, view):
        redis = _redis_of(self.cache)
        if redis is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        key = self.cache.make_key(f"log:{self.key}")
        self.now = self.timer()
        member = f"{self.now!r}:{uuid.uuid4().hex}"
        window_start = self.now - self.duration
        try:
            oldest = _sliding_log(redis)(
                keys=[key],
                args=[repr(self.now), repr(window_start), self.num_requests, self.duration, member],
            )
            if oldest is None:
                return True
            # Refused: not counted, as DRF does not count it (a client that keeps knocking
            # while refused is let in again when its window has room).
        except RedisError:
            # Redis does not answer: as for every other use of the cache (IGNORE_EXCEPTIONS in
            # the settings), the registry goes on without it, here unthrottled, and says so.
            if not getattr(self.cache, "_ignore_exceptions", False):
                raise
            logger.warning("throttle %s: Redis did not answer; request let through", self.scope)
            return True
        self.history = [float(oldest)] * self.num_requests
        return False


class AnonymousClientThrottle(_CurrentRates, AnonRateThrottle, _SlidingLog):
    """Anonymous readers, counted per client address."""


class AccountThrottle(_CurrentRates, UserRateThrottle, _SlidingLog):
    """Authenticated clients, counted per account. Anonymous readers are the anonymous
    throttle's alone: DRF's user throttle would count them a second time, under their address
    and the looser rate, and cost every anonymous read two more trips to the cache."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ExportThrottle(_CurrentRates, ScopedRateThrottle, _SlidingLog):
    """The full export is heavy: a client needs it once, then follows the feed."""


DEFAULT_THROTTLES = [AnonymousClientThrottle, AccountThrottle]
