"""Celery tasks of the registry: one chunk of a check job each (see registry/jobs.py), and the
warming of the public pages after a write (see registry/warming.py).

Acknowledged late and handed back when their worker dies (config/settings.py), so a chunk is
never lost; committed once per (job, chunk), so a chunk run twice is answered once.
"""

from celery import shared_task

from registry import jobs

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
