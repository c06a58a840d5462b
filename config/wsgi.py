"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from config.allocator import fix_malloc_thresholds

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

fix_malloc_thresholds()
application = get_wsgi_application()
