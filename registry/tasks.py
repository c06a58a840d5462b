"""Celery tasks of the registry: one chunk of a check job each (see registry/jobs.py), and the
warming of the public pages after a write (see registry/warming.py).

Acknowledged late and handed back when their worker dies (config/settings.py), so a chunk is
never lost; committed once per (job, chunk), so a chunk run twice is answered once.
"""

import logging
import threading
import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import close_old_connections

from registry import jobs

log = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, name="registry.run_check_chunk")
def run_check_chunk(self, uid: str, index: int) -> None:
    try:
        jobs.run_chunk(uid, index)
    except Exception as exc:  # the database or the storage away: try again, then fail the job
        if self.request.retries >= MAX_RETRIES:
            jobs.fail_job(uid, f"chunk {index}: {type(exc).__name__}: {exc}")
            return
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc


@shared_task(name="registry.warm_pages", ignore_result=True)
def warm_pages() -> None:
    """Work out ahead what the public pages derive with RDKit (registry.warming), after a write."""
    from registry import warming

    warming.warm_once_at_a_time()


@worker_ready.connect
def watch_for_stalled_jobs(**_kwargs) -> threading.Thread | None:
    """In each worker, a thread that queues again the chunks of a job that stood still
    (`jobs.resume_stalled`), at most once per stall period for a job."""
    stall = settings.CHECK_JOB_STALL_SECONDS
    if stall <= 0:
        return None
    thread = threading.Thread(target=_watch, args=(stall,), name="check-job-stalls", daemon=True)
    thread.start()
    return thread


def _watch(stall: float) -> None:
    resumed_at: dict[str, float] = {}
    while True:
        time.sleep(max(1.0, stall / 4))
        now = time.monotonic()
        recent = [uid for uid, at in resumed_at.items() if now - at < stall]
        try:
            for uid in jobs.resume_stalled(stall_seconds=stall, skip=recent):
                resumed_at[uid] = now
        except Exception:  # the database away for a moment: try again on the next round
            log.exception("looking for stalled check jobs failed")
        finally:
            close_old_connections()
        resumed_at = {uid: at for uid, at in resumed_at.items() if now - at < stall}
