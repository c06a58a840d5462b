#!/usr/bin/env python
"""Django's command-line utility for the controlled-substance registry."""

import os
import signal
import sys

# Commands that run on this machine only and serve nothing: they need no SECRET_KEY (which
# signs what a server hands out), so the registry's command-line tools work on a fresh clone.
LOCAL_COMMANDS = {"check_structures", "help"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    asks_for_help = any(arg in ("-h", "--help") for arg in sys.argv[2:])
    if command in LOCAL_COMMANDS or command.startswith("-") or asks_for_help:
        os.environ.setdefault("REGISTRY_LOCAL_COMMAND", "1")
    if command == "check_structures" and callable(signal.getsignal(signal.SIGINT)):
        # Blocked before any library starts a thread of its own (numpy does on import), so
        # that every thread inherits the block and the one the command sets aside takes the
        # user's Ctrl-C, not a search (check_structures.ctrl_c_stops_the_command).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
