"""A user's Ctrl-C stops `check_structures`, even while the check's time guard is at work.

The guard stops a search by sending SIGINT to its own watchdog thread; a Ctrl-C at the
terminal used to end only the search in progress, and the command went on. Here the command
runs in a process of its own on structures that each take a whole item budget: a SIGINT sent
to that process ends it at once (exit code 130, a message saying how far it got), not after
the file.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.test_hostile_check import SULFUR_CHAIN_TO_END, SULFUR_LATTICE_60

ROOT = Path(__file__).resolve().parents[2]

# Run in the child: a registry with one class whose rule explodes on dense sulfur (stored
# without the save-time test, as a rule saved before it was tightened would be), then the
# command as from the command line. A line on standard error says when the first search is
# under the guard: the structures have all been read by then, and SIGINT is the guard's.
SCRIPT = """
import signal
import sys

import django

# As at a terminal: the test runner may have been started with SIGINT ignored, as background
# jobs are, and a child inherits that (the command then leaves SIGINT alone).
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # as manage.py does for the command

django.setup()
from django.core.management import call_command, execute_from_command_line

call_command("migrate", verbosity=0)
from registry import jobs, services
from substances.models import ClassRule
from tests.factories import InstrumentFactory, ListingFactory, ScheduleFactory

schedule = ScheduleFactory(code="NM")
cls = services.define_class(
    actor=services.Actor.system("tests"),
    uid="class-sulfur",
    name_en="Sulfur chains",
    rules=[{"label": "chain", "kind": "include", "smarts": "c1ccccc1"}],
)
ClassRule.objects.filter(substance_class=cls).update(smarts=sys.argv[2])
ListingFactory(
    schedule=schedule,
    substance=None,
    substance_class=cls,
    listed_by=InstrumentFactory(jurisdiction=schedule.jurisdiction),
)
from substances import chemistry

arm = chemistry._INTERRUPTER.arm


def announced(deadline):
    if not announced.done:
        announced.done = True
        sys.stderr.write("searching\\n")
        sys.stderr.flush()
    return arm(deadline)


announced.done = False
chemistry._INTERRUPTER.arm = announced
execute_from_command_line(["manage.py", "check_structures", sys.argv[1], "--workers", sys.argv[3]])
"""


def _start(tmp_path: Path, lines: int, workers: int) -> subprocess.Popen:
    structures = tmp_path / "lattices.smi"
    structures.write_text(f"{SULFUR_LATTICE_60}\n" * lines, encoding="utf-8")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        REGISTRY_LOCAL_COMMAND="1",
    )
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(structures), SULFUR_CHAIN_TO_END, str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_searching(process: subprocess.Popen) -> None:
    for line in process.stderr:
        if line.strip() == "searching":
            return
    pytest.fail(f"the command ended before searching: {process.wait()}")


def _processes_reading(path: Path) -> list[int]:
    """The processes whose command line names `path` (the command and its forked workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile, or not ours to read
                continue
    return found


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs POSIX signals")
@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-worker-processes"])
def test_ctrl_c_stops_the_command_while_searches_are_being_stopped(tmp_path, workers):
    # 400 structures at an item budget each: minutes of work, so the command can only end
    # within the limit below if the Ctrl-C stops it. With worker processes, it must not wait
    # for the chunk they have in hand either.
    process = _start(tmp_path, lines=400, workers=workers)
    try:
        _wait_until_searching(process)
        time.sleep(1.5)  # the guard has stopped a search or two meanwhile
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            _out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the command went on after Ctrl-C")
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    print(f"\nstopped {took:.2f} s after Ctrl-C, exit code {process.returncode}")
    assert process.returncode == 130, err
    assert "stopped by Ctrl-C after 0 of 400 compounds: the output is incomplete" in err
    assert "Traceback" not in err
    if Path("/proc/self/cmdline").exists():  # and no worker process is left checking
        deadline = time.monotonic() + 10
        while _processes_reading(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_reading(tmp_path) == []
