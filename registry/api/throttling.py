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

A busy client costs a trip for every few requests, not each one: a worker takes a *lease* of up
to `LEASE_MAX` entries of the client's log at once (a hundredth of its rate at most, so one at a
time under 200 a window: those rates are counted exactly as before), and lets the next requests
through on it. The entries are logged at once, at the time the lease ends (`LEASE_SECONDS`
later), so that each one leaves the window no sooner than the request it lets through: the log
never lets more than N through in any window. A lease's unused entries are taken out of the log
when the worker next asks for that client; until then they count against it, so that a client
spread over W workers may be refused up to W x (LEASE_MAX - 1) requests early, never late. At
100,000 substances the Redis script cost an API detail a third of its CPU time (0.5 of 1.4 ms).
"""

import logging
import math
import threading
import uuid
from collections import deque

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


LEASE_MAX = 16
"""The most entries of a client's log a worker takes at once."""

LEASE_SHARE = 100
"""A lease holds at most this share of the rate's count (1/LEASE_SHARE of it)."""

LEASE_SECONDS = 1.0
"""How long a lease's entries may be used: they are logged at its end."""

# KEYS[1]: the client's log; ARGV: now, the window's start, the limit, the log's life in seconds,
# the time the entries are logged at, how many are asked for (k), how many are given back (r),
# then r members to take out and k members to add. Times older than the window leave the log,
# the given-back entries too; as many of the k as there is room for are logged, and that number
# returned, with the oldest time still in the window where there is no room (which says when
# a request will be let through again).
SLIDING_LOG = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local back = tonumber(ARGV[7])
if back > 0 then
    redis.call('ZREM', KEYS[1], unpack(ARGV, 8, 7 + back))
end
local given = math.min(tonumber(ARGV[6]), tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1]))
if given < 1 then
    return {0, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
end
for i = 1, given do
    redis.call('ZADD', KEYS[1], ARGV[5], ARGV[7 + back + i])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {given}
"""


class _Leases:
    """A worker's lease entries not used yet, per client log, soonest ended first: (the time
    they are logged at, which is when they end, and their member); and those that ended unused,
    to be given back at the worker's next trip for that client."""

    LIMIT = 10_000
    """Clients held at most: past it, the leases that ended are forgotten (still counted, in
    the log, until the window passes)."""

    def __init__(self) -> None:
        self._held: dict[str, deque[tuple[float, str]]] = {}
        self._ended: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> bool:
        """Whether a held entry lets a request at `now` through (using it up)."""
        with self._lock:
            held = self._held.get(key)
            while held and held[0][0] < now:
                self._ended.setdefault(key, []).append(held.popleft()[1])
            if held:
                held.popleft()
                return True
            self._held.pop(key, None)
            return False

    def ended(self, key: str) -> list[str]:
        """The entries of `key` that ended unused, now given back."""
        with self._lock:
            return self._ended.pop(key, [])

    def hold(self, key: str, until: float, members: list[str]) -> None:
        with self._lock:
            if len(self._held) >= self.LIMIT:
                for old in [k for k, held in self._held.items() if held[-1][0] < until]:
                    del self._held[old]
                self._ended.clear()
            self._held.setdefault(key, deque()).extend((until, member) for member in members)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._ended.clear()


_leases = _Leases()


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
        if self.num_requests <= 0:
            # A rate of 0 (a scope switched off): refused, the whole window to wait.
            self.history = []
            return False
        if _leases.take(key, self.now):
            return True
        asked = max(1, min(LEASE_MAX, self.num_requests // LEASE_SHARE))
        # One entry is this request's, logged now; a lease's are logged at its end.
        until = self.now + LEASE_SECONDS if asked > 1 else self.now
        life = self.duration + (math.ceil(LEASE_SECONDS) if asked > 1 else 0)
        back = _leases.ended(key)
        stem = f"{self.now!r}:{uuid.uuid4().hex}"
        members = [f"{stem}:{i}" for i in range(asked)]
        try:
            given, *oldest = _sliding_log(redis)(
                keys=[key],
                args=[
                    repr(self.now),
                    repr(self.now - self.duration),
                    self.num_requests,
                    life,
                    repr(until),
                    asked,
                    len(back),
                    *back,
                    *members,
                ],
            )
        except RedisError:
            # Redis does not answer: as for every other use of the cache (IGNORE_EXCEPTIONS in
            # the settings), the registry goes on without it, here unthrottled, and says so.
            if not getattr(self.cache, "_ignore_exceptions", False):
                raise
            logger.warning("throttle %s: Redis did not answer; request let through", self.scope)
            return True
        if given:
            _leases.hold(key, until, members[1:given])
            return True
        # Refused: not counted, as DRF does not count it (a client that keeps knocking while
        # refused is let in again when its window has room).
        self.history = [float(oldest[0]) if oldest else self.now] * self.num_requests
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
