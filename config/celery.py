"""The Celery application that runs check jobs: `celery -A config worker`.

It reads the CELERY_* settings (CELERY_BROKER_URL above all) from Django's settings, and its
tasks from registry/tasks.py. See docs/check-jobs.md.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["registry"])
