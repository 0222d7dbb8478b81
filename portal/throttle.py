"""Slow down guessing: failures per key in a sliding window, kept in the instance folder.

Every process serving the same instance shares the counts (``throttle.json``), and they
survive a restart. Keys are kept only as hashes (they contain addresses and user names).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Claim:
    """The outcome of a try at the door: refused for ``wait`` seconds, or let through (``slowed``: after a
    pause), the try counted as a failure at ``at`` until it proves right."""

    wait: float
    slowed: bool = False
    at: float | None = None
    keys: tuple[str, ...] = ()


class Door:
    """Limits on guessing that hold under concurrency: the check and the count are one write.

    ``strict`` limits refuse (per address and user name; per address across every user name). ``soft`` ones
    (a user name from anywhere) refuse only an address that has failed itself; any other address is let
    through slowed down, so that many addresses guessing one account cannot lock its owner out.
    Every try is counted as a failure when it is let through, and forgiven (``succeeded``) if it was right.
    """

    def __init__(self, store: SiteStore, clock=time.time):
        self.store = store
        self.clock = clock

    def claim(self, strict: list[tuple[Throttle, str]], soft: list[tuple[Throttle, str]],
              clean: tuple[Throttle, str]) -> Claim:
        now = self.clock()
        every = strict + soft

        def change(tx: Transaction) -> Claim:
            found = {t._key(k): tx.first(TABLE, key=t._key(k)) for t, k in every}
            waits = [_wait(t, self._recent_of(t, found[t._key(k)], now), now) for t, k in strict]
            slowed = False
            if not max(waits, default=0):
                soft_waits = [_wait(t, self._recent_of(t, found[t._key(k)], now), now) for t, k in soft]
                if max(soft_waits, default=0):
                    address_failed = bool(clean[0]._recent(tx.first(TABLE, key=clean[0]._key(clean[1])), now))
                    if address_failed:
                        waits.append(max(soft_waits))
                    else:
                        slowed = True
            if max(waits, default=0):
                return Claim(max(waits))
            for t, k in every:
                _count(tx, t, found[t._key(k)], t._key(k), now)
            _forget_stale(tx, now, max(t.window for t, _k in every))
            return Claim(0.0, slowed, now, tuple(t._key(k) for t, k in every))

        return self.store.write(change)

    @staticmethod
    def _recent_of(throttle: Throttle, doc: dict | None, now: float) -> list[float]:
        return throttle._recent(doc, now)

    def succeeded(self, claim: Claim) -> None:
        """The try was right: it is not a failure after all."""
        if claim.at is None:
            return

        def change(tx: Transaction) -> None:
            for key in claim.keys:
                doc = tx.first(TABLE, key=key)
                if doc is not None and claim.at in doc["times"]:
                    times = [t for t in doc["times"] if t != claim.at]
                    if times:
                        tx.update(TABLE, doc["doc_id"], {"times": times})
                    else:
                        tx.remove(TABLE, doc["doc_id"])

        self.store.write(change)


def _wait(throttle: Throttle, times: list[float], now: float) -> float:
    if len(times) < throttle.limit:
        return 0.0
    return max(0.001, sorted(times)[-throttle.limit] + throttle.window - now)


def _count(tx: Transaction, throttle: Throttle, doc: dict | None, hashed: str, now: float) -> None:
    times = throttle._recent(doc, now)[-(throttle.limit * 2):] + [now]
    if doc:
        tx.update(TABLE, doc["doc_id"], {"times": times})
    else:
        tx.insert(TABLE, {"key": hashed, "times": times})


def _forget_stale(tx: Transaction, now: float, window: float) -> None:
    for stale in tx.all(TABLE):  # keys whose failures are all old
        if not [t for t in stale.get("times", []) if t > now - window]:
            tx.remove(TABLE, stale["doc_id"])
