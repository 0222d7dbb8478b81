"""Slow down guessing: failures per key in a sliding window, kept in the instance folder.

Every process serving the same instance shares the counts (``throttle.json``), and they
survive a restart. Keys are kept only as hashes (they contain addresses and user names).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from .storage import SiteStore, Transaction, open_store

TABLE = "throttle"


def throttle_store(instance_path: str | Path) -> SiteStore:
    return open_store(Path(instance_path) / "throttle.json")


class Throttle:
    def __init__(self, store: SiteStore, name: str, limit: int, window_seconds: float, clock=time.time):
        self.store = store
        self.name = name
        self.limit = limit
        self.window = window_seconds
        self.clock = clock

    def _key(self, key: str) -> str:
        return hashlib.sha256(f"{self.name}|{key}".encode()).hexdigest()

    def _recent(self, doc: dict | None, now: float) -> list[float]:
        return [t for t in (doc or {}).get("times", []) if t > now - self.window]

    def wait_seconds(self, key: str) -> float:
        """0 if the key may try now, else how long until it may."""
        now = self.clock()
        times = self._recent(self.store.read().first(TABLE, key=self._key(key)), now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, sorted(times)[-self.limit] + self.window - now)

    def failed(self, key: str) -> None:
        now, hashed = self.clock(), self._key(key)

        def change(tx: Transaction) -> None:
            found = tx.first(TABLE, key=hashed)
            times = self._recent(found, now)[-(self.limit * 2):] + [now]
            if found:
                tx.update(TABLE, found["doc_id"], {"times": times})
            else:
                tx.insert(TABLE, {"key": hashed, "times": times})
            for stale in tx.all(TABLE):  # forget keys whose failures are all old
                if stale["key"] != hashed and not self._recent(stale, now - self.window):
                    tx.remove(TABLE, stale["doc_id"])

        self.store.write(change)

    def reset(self, key: str) -> None:
        hashed = self._key(key)

        def change(tx: Transaction) -> None:
            for found in tx.find(TABLE, key=hashed):
                tx.remove(TABLE, found["doc_id"])

        if self.store.read().first(TABLE, key=hashed):
            self.store.write(change)
