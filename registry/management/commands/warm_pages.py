"""manage.py warm_pages: work out ahead what the public pages derive with RDKit."""

import datetime
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand, CommandError

from registry import warming


class Command(BaseCommand):
    help = (
        "Work out what the public pages derive with RDKit (the classes each structure falls "
        "under, the drawings of structures and class rules, the members of each class, the isomer "
        "signatures a substance page compares with the US entries that cover positional "
        "isomers) where "
        "the shared cache does not hold it yet, and keep it there, so that the web workers read "
        "it instead of importing RDKit; what it holds already is kept anew for two days. Run it at "
        "release, and once a day just after midnight; "
        "with a Celery broker, every write also queues a run. Needs the shared cache (REDIS_URL): "
        "with the in-process cache of a development server it would fill this command's own "
        "memory and nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on",
            type=datetime.date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="the day the pages are for (default: today)",
        )

    def handle(self, *args, on=None, verbosity=1, **options):
        if isinstance(caches["default"], LocMemCache):
            raise CommandError(
                "the cache is this process's own memory (no REDIS_URL): nothing a web worker "
                "reads would be filled"
            )
        started = time.monotonic()

        def progress(line: str) -> None:
            if verbosity >= 1:
                self.stderr.write(f"  {line} ({time.monotonic() - started:.0f} s)")

        done = warming.warm(on=on, progress=progress, refresh=True)
        self.stdout.write(
            f"Worked out {done.class_verdicts:,} class verdicts, {done.drawings:,} drawings, "
            f"the classes of {done.substance_classes:,} substance pages and "
            f"{done.isomer_signatures:,} isomer signatures, over "
            f"{done.structures:,} structures and {done.classes} classes, in "
            f"{time.monotonic() - started:.1f} s."
            + (f" Ranked {done.ranked:,} search documents anew." if done.ranked else "")
        )
