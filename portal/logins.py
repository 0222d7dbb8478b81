"""Staff sessions kept on the server, so that signing out really ends them.

The session cookie only carries a random id; the instance's ``logins.json`` says whether
that id is still signed in, for whom, and when it was last used. Signing out removes it
(a cookie copied before stops working), a session unused for ``idle`` seconds or older than
``longest`` ends, and a new password ends every session of that user.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

from .storage import SiteStore, Transaction, open_store

TABLE = "logins"
TOUCH_EVERY_SECONDS = 60  # how often "last used" is written: not one file write per page


def logins_store(instance_path: str | Path) -> SiteStore:
    return open_store(Path(instance_path) / "logins.json")


def _key(sid: str) -> str:
    """Only a hash of the id is kept: a copy of the file opens no session."""
    return hashlib.sha256(sid.encode()).hexdigest()


def start(store: SiteStore, username: str, now: float | None = None) -> str:
    sid = secrets.token_urlsafe(32)
    now = time.time() if now is None else now
    store.write(lambda tx: tx.insert(TABLE, {"key": _key(sid), "username": username, "started": now,
                                             "last_used": now}), user=username)
    return sid


def check(store: SiteStore, sid: str | None, username: str, idle: float, longest: float,
          now: float | None = None) -> bool:
    """True if this id is signed in as ``username`` and was used recently enough (it is then touched)."""
    if not sid:
        return False
    now = time.time() if now is None else now
    found = store.read().first(TABLE, key=_key(sid))
    if found is None or found["username"] != username:
        return False
    if now - found["last_used"] > idle or now - found["started"] > longest:
        end(store, sid)
        return False
    if now - found["last_used"] > TOUCH_EVERY_SECONDS:
        def touch(tx: Transaction) -> None:
            current = tx.first(TABLE, key=_key(sid))
            if current:
                tx.update(TABLE, current["doc_id"], {"last_used": now})
        store.write(touch, user=username)
    return True


def end(store: SiteStore, sid: str | None) -> None:
    if not sid:
        return

    def change(tx: Transaction) -> None:
        for found in tx.find(TABLE, key=_key(sid)):
            tx.remove(TABLE, found["doc_id"])

    store.write(change)


def end_all(store: SiteStore, username: str, keep: str | None = None) -> int:
    """End every session of a user (a new password), except ``keep`` (the one that changed it)."""
    kept = _key(keep) if keep else None

    def change(tx: Transaction) -> int:
        gone = [f for f in tx.find(TABLE, username=username) if f["key"] != kept]
        for found in gone:
            tx.remove(TABLE, found["doc_id"])
        return len(gone)

    return store.write(change, user=username)
