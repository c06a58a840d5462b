"""manage.py purge_check_jobs: delete the check jobs whose keeping time is over."""

from django.core.management.base import BaseCommand

from registry.jobs import purge_expired


class Command(BaseCommand):
    help = (
        "Delete the check jobs (and their files) whose results were kept for "
        "CHECK_JOB_KEEP_HOURS after they finished. Run it from cron, e.g. hourly."
    )

    def handle(self, *args, **options):
        purged = purge_expired()
        self.stdout.write(f"Purged {purged} check job{'s' if purged != 1 else ''}.")
