"""Production settings: the environment-driven settings, hardened, on PostgreSQL and Redis.

Run with DJANGO_SETTINGS_MODULE=config.settings_production. It refuses to start without what a
public deployment needs (a real SECRET_KEY, the host names, PostgreSQL), turns DEBUG off
whatever the environment says, and switches on HTTPS-only cookies, HSTS and the redirect to
HTTPS. `manage.py check --deploy` passes clean with it (tests/reliability/test_deploy.py).
See docs/deployment.md for the whole set-up.
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ["DEBUG"] = "0"

from config.settings import *  # noqa: F403
from config.settings import DATABASES, REDIS_URL, env_bool

DEBUG = False

if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the host names the registry serves.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" and not env_bool(
    "ALLOW_SQLITE_IN_PRODUCTION"
):
    raise ImproperlyConfigured(
        "Production runs on PostgreSQL: set DATABASE_URL=postgres://... (the exclusion "
        "constraints on listing periods and the feed's advisory lock need it)."
    )
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Production needs REDIS_URL: the response cache, the API throttles and the login "
        "throttle must be shared by every worker."
    )

# Nobody changes the law alone: legal changes are drafts until a second person publishes them.
REGISTRY_REQUIRE_REVIEW = env_bool("REGISTRY_REQUIRE_REVIEW", True)

# HTTPS end to end: the proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The load balancer's health probe speaks plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Connections are kept for a minute and checked before reuse, so a restarted database costs
# each worker one failed request at most (see tests/reliability/test_faults.py).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")  # noqa: F405
