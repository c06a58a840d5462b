"""Send reads to a replica when one is configured, and keep what must be exact on the primary.

With DATABASE_REPLICA_URL set, reads go to the "replica" database except:

- reads inside a transaction on the primary: a service validating before it writes, and the
  API's snapshot reads (registry.api.snapshot), whose `Registry-Seq` must match their body;
- the change feed (`Change`): a client that has just written, or that follows the feed, must
  never see the feed go back because a replica lags;
- every read of a request that writes (POST, PATCH, DELETE) or that a curator makes in the
  admin, so that people see their own changes at once (PinToPrimaryMiddleware).

Writes and migrations go to the primary only; the replica is a physical copy of it.
"""

import contextvars

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
PRIMARY_ONLY_MODELS = {"registry.change"}

_pinned = contextvars.ContextVar("registry_pinned_to_primary", default=False)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if REPLICA not in connections.settings:
            return None
        if _pinned.get() or model._meta.label_lower in PRIMARY_ONLY_MODELS:
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both databases hold the same rows: a replica is a copy of the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class pinned_to_primary:
    """Send every read of the block to the primary."""

    def __enter__(self):
        self._token = _pinned.set(True)

    def __exit__(self, *exc):
        _pinned.reset(self._token)


class PinToPrimaryMiddleware:
    """Requests that write, and the admin, read from the primary (read-your-writes)."""

    SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in self.SAFE_METHODS and not request.path_info.startswith("/admin/"):
            return self.get_response(request)
        with pinned_to_primary():
            return self.get_response(request)
