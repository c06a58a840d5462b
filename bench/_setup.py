"""Shared set-up of the benchmarks: Django on a scratch database holding the real data."""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_with_real_data(name: str) -> None:
    """Point Django at a scratch SQLite file (unless DATABASE_URL is set) and load fixtures."""
    sys.path.insert(0, str(ROOT))
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.gettempdir()) / f"registry-bench-{name}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_registry", verbosity=0)
    print(
        f"database ready ({os.environ['DATABASE_URL'].split(':')[0]}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
