"""Keep a local copy of the controlled-substance registry in sync: a complete example client.

    python sync_client.py https://registry.example --db registry-copy.sqlite3
    python sync_client.py https://registry.example --db registry-copy.sqlite3 --follow 60

The first run loads the export (/api/v1/export/: a snapshot of the whole registry at feed position
N); every run then applies the change feed after the last position applied
(/api/v1/changes/?after=N). The copy is a SQLite file with one row per resource, keyed by
(type, uid), holding the resource's JSON representation, and the last applied sequence number
stored in the same file: each page of changes and the new position are committed together, so
a client stopped at any moment resumes exactly where it was, without missing or repeating a
change.

Needs only Python 3.11+ and `requests`.
"""

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import requests

SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (
    type TEXT NOT NULL,
    uid TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (type, uid)
);
CREATE TABLE IF NOT EXISTS sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class LocalCopy:
    """The client's copy: resources by (type, uid), and the feed position they reflect."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(SCHEMA)

    @property
    def last_seq(self) -> int | None:
        row = self.db.execute("SELECT value FROM sync_state WHERE key = 'last_seq'").fetchone()
        return int(row[0]) if row else None

    def _set_last_seq(self, seq: int) -> None:
        self.db.execute(
            "INSERT INTO sync_state (key, value) VALUES ('last_seq', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(seq),),
        )

    def load_export(self, seq: int, lines: Iterable[dict[str, Any]]) -> int:
        """Replace the copy with an export taken at feed position `seq`, in one transaction."""
        count = 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM resource")
            for line in lines:
                self.db.execute(
                    "INSERT INTO resource (type, uid, data) VALUES (?, ?, ?)",
                    (line["type"], line["uid"], json.dumps(line["data"], ensure_ascii=False)),
                )
                count += 1
            self._set_last_seq(seq)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return count

    def apply_changes(self, changes: list[dict[str, Any]], last_seq: int) -> None:
        """Apply one page of the feed and record the new position, in one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            position = self.last_seq
            for change in changes:
                if position is not None and change["seq"] <= position:
                    continue  # already applied: a page asked for again after a lost answer
                if position is not None and change["seq"] != position + 1:
                    raise RuntimeError(f"feed gap: expected {position + 1}, got {change['seq']}")
                position = change["seq"]
                if change["action"] == "deleted":
                    self.db.execute(
                        "DELETE FROM resource WHERE type = ? AND uid = ?",
                        (change["type"], change["uid"]),
                    )
                else:  # created or updated: the representation after the change
                    self.db.execute(
                        "INSERT INTO resource (type, uid, data) VALUES (?, ?, ?) "
                        "ON CONFLICT (type, uid) DO UPDATE SET data = excluded.data",
                        (
                            change["type"],
                            change["uid"],
                            json.dumps(change["data"], ensure_ascii=False),
                        ),
                    )
            self._set_last_seq(max(last_seq, position or 0))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def resources(self) -> dict[tuple[str, str], Any]:
        rows = self.db.execute("SELECT type, uid, data FROM resource")
        return {(t, uid): json.loads(data) for t, uid, data in rows}

    def close(self) -> None:
        self.db.close()


class SyncClient:
    """Loads the export once, then follows the change feed."""

    def __init__(
        self,
        base_url: str,
        copy: LocalCopy,
        *,
        session: Any = None,
        page_size: int = 500,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.copy = copy
        self.session = session or requests.Session()
        self.page_size = page_size
        self.headers = {"Authorization": f"Token {token}"} if token else {}

    def _get(self, url: str, **kwargs):
        """GET, waiting as the server asks when it throttles (429 with Retry-After)."""
        for _ in range(10):
            response = self.session.get(url, headers=self.headers, timeout=300, **kwargs)
            if response.status_code != 429:
                response.raise_for_status()
                return response
            time.sleep(float(response.headers.get("Retry-After", "5")))
        response.raise_for_status()
        return response

    def load_export(self) -> int:
        """Replace the copy with a fresh export; returns the feed position it reflects."""
        response = self._get(f"{self.base_url}/api/v1/export/", stream=True)
        lines = _json_lines(response.iter_lines())
        header = next(lines)
        count = self.copy.load_export(header["seq"], lines)
        print(f"export: {count} resources at seq {header['seq']}", file=sys.stderr)
        return header["seq"]

    def follow(self) -> int:
        """Apply every change after the copy's position; returns how many were applied."""
        applied = 0
        while True:
            after = self.copy.last_seq or 0
            response = self._get(
                f"{self.base_url}/api/v1/changes/",
                params={"after": after, "limit": self.page_size},
            )
            page = response.json()
            self.copy.apply_changes(page["results"], page["last_seq"])
            applied += len(page["results"])
            if not page["next"]:
                return applied

    def sync(self) -> int:
        """Bring the copy up to date: export on the first run, the feed always."""
        if self.copy.last_seq is None:
            self.load_export()
        return self.follow()


def _json_lines(raw: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    for line in raw:
        if line:
            yield json.loads(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Keep a local copy of the registry in sync.")
    parser.add_argument("base_url", help="the registry's address, e.g. https://registry.example")
    parser.add_argument("--db", default="registry-copy.sqlite3", help="the local copy (SQLite)")
    parser.add_argument("--token", help="an API token (optional; reads are public)")
    parser.add_argument(
        "--follow", type=float, metavar="SECONDS", help="keep polling the feed at this interval"
    )
    args = parser.parse_args(argv)
    copy = LocalCopy(args.db)
    client = SyncClient(args.base_url, copy, token=args.token)
    try:
        while True:
            applied = client.sync()
            print(f"applied {applied} changes; at seq {copy.last_seq}", file=sys.stderr)
            if not args.follow:
                break
            time.sleep(args.follow)
    finally:
        copy.close()


if __name__ == "__main__":
    main()
