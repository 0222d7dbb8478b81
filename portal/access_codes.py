"""One-time codes that open a questionnaire for one man.

Short, from an alphabet without look-alike characters (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G),
valid once, expiring (7 days by default), and stored only as an HMAC keyed with the
instance's secret, so a copy of the file does not reveal them.
They live in ``instance/codes.json`` so a code can be found without opening every site.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _

from . import clock
from .participants import ProgramError
from .storage import AUDIT_TABLE, SiteStore, Transaction, open_store

ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
LENGTH = 8  # 23**8, about 78 thousand million codes
PARTICIPANT_QUESTIONNAIRES = ("intake", "exit")
DEFAULT_DAYS = 7


def codes_store(instance_path: str | Path) -> SiteStore:
    return open_store(Path(instance_path) / "codes.json")


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """ACDE-FH34: two blocks of four are easier to copy."""
    return f"{code[:4]}-{code[4:]}"


def normalise(text: str) -> str:
    """What a man typed, as a code: capitals, no spaces or hyphens; '' if it cannot be one."""
    cleaned = "".join(ch for ch in (text or "").upper() if not ch.isspace() and ch not in "-_.")
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return ""
    return cleaned


def digest(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


def _now() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class CodeRecord:
    digest: str
    site: str
    participant_code: str
    questionnaire: str
    expires_at: str


def issue(store: SiteStore, secret: str, *, site: str, participant_code: str, questionnaire: str, user: str,
          days: int = DEFAULT_DAYS) -> tuple[str, datetime]:
    """A new code for this man and questionnaire; earlier unused ones stop working."""
    if questionnaire not in PARTICIPANT_QUESTIONNAIRES:
        raise ValueError(questionnaire)
    code = generate()
    expires = _now() + timedelta(days=days)

    def change(tx: Transaction) -> None:
        for old in tx.find("codes", site=site, participant_code=participant_code, questionnaire=questionnaire,
                           used_at=None):
            if old.get("replaced_at") is None:
                tx.update("codes", old["doc_id"], {"replaced_at": _now().isoformat(timespec="seconds")})
        tx.insert("codes", {"digest": digest(secret, code), "site": site, "participant_code": participant_code,
                            "questionnaire": questionnaire, "created_at": _now().isoformat(timespec="seconds"),
                            "created_by": user, "expires_at": expires.isoformat(timespec="seconds"),
                            "used_at": None, "replaced_at": None})

    store.write(change, user=user)
    return code, expires


def check(store: SiteStore, secret: str, code: str) -> CodeRecord:
    """The record of a usable code, or ProgramError saying plainly why not."""
    normalised = normalise(code)
    found = store.read().first("codes", digest=digest(secret, normalised)) if normalised else None
    return _usable(found)


def check_digest(store: SiteStore, code_digest: str) -> CodeRecord:
    """The same judgement for a code already typed (its digest kept in the man's session)."""
    return _usable(store.read().first("codes", digest=code_digest))


def _usable(found: dict | None) -> CodeRecord:
    if found is None:
        raise ProgramError(_("That code is not right. Check each letter and number and try again."))
    if found.get("used_at"):
        raise already_used()
    if found.get("replaced_at"):
        raise ProgramError(_("That code was replaced by a newer one. Use the newest code, or ask the "
                             "facilitator."))
    if _expired(found):
        raise ProgramError(_("That code has expired. Ask the facilitator for a new one."))
    return CodeRecord(found["digest"], found["site"], found["participant_code"], found["questionnaire"],
                      found["expires_at"])


def _expired(found: dict) -> bool:
    return found["expires_at"] < _now().isoformat(timespec="seconds")


def _live(found: dict) -> bool:
    return not found.get("used_at") and not found.get("replaced_at") and not _expired(found)


def already_used() -> ProgramError:
    """A code is used when his answers to its questionnaire are stored: he has finished."""
    return ProgramError(_("Your answers with this code were already received: you finished this questionnaire. "
                          "Thank you, there is nothing more to do."))


def codes_of(store: SiteStore, site: str, participant_code: str) -> list[dict]:
    """Every code issued for a man (never the code itself), oldest first, with its state."""
    rows = []
    for found in store.read().find("codes", site=site, participant_code=participant_code):
        state = ("used" if found.get("used_at") else "replaced" if found.get("replaced_at")
                 else "expired" if _expired(found) else "pending")
        rows.append({**found, "state": state})
    return sorted(rows, key=lambda r: r["created_at"])


def has_live_code(store: SiteStore, site: str, participant_code: str, questionnaire: str) -> bool:
    return any(_live(c) for c in store.read().find("codes", site=site, participant_code=participant_code,
                                                   questionnaire=questionnaire))


def stopped_codes(store: SiteStore) -> tuple[set[tuple[str, str, str]], list[tuple[str, str]]]:
    """Codes that stopped working and were not looked at yet, and the (site, man, questionnaire)
    left with no working code by them: what those codes kept open (a draft) can go.
    The codes come as (digest, site)."""
    codes = store.read().all("codes")
    live = {(c["site"], c["participant_code"], c["questionnaire"]) for c in codes if _live(c)}
    stopped = [c for c in codes if not _live(c) and not c.get("checked_at")]
    pairs = {(c["site"], c["participant_code"], c["questionnaire"]) for c in stopped} - live
    return pairs, [(c["digest"], c["site"]) for c in stopped]


def mark_checked(store: SiteStore, digests: list[str]) -> None:
    """Remember that these stopped codes were looked at, so the next sweep skips them."""
    wanted = set(digests)

    def change(tx: Transaction) -> None:
        stamp = _now().isoformat(timespec="seconds")
        for c in tx.all("codes"):
            if c["digest"] in wanted and not c.get("checked_at"):
                tx.update("codes", c["doc_id"], {"checked_at": stamp})

    if wanted:
        store.write(change, user="portal")


def forget(store: SiteStore, site: str, participant_code: str) -> int:
    """Erase a man's codes and their history (he asked for his data to be cancelled)."""

    def change(tx: Transaction) -> int:
        gone = {c["doc_id"] for c in tx.find("codes", site=site, participant_code=participant_code)}
        for doc_id in gone:
            tx.purge("codes", doc_id)
        for entry in tx.all(AUDIT_TABLE):
            if entry.get("table") == "codes" and entry.get("record_id") in gone:
                tx.purge(AUDIT_TABLE, entry["doc_id"])
        return len(gone)

    return store.write(change, user="portal")


def mark_used(store: SiteStore, code_digest: str) -> None:
    def change(tx: Transaction) -> None:
        found = tx.first("codes", digest=code_digest)
        if found and not found.get("used_at"):
            tx.update("codes", found["doc_id"], {"used_at": _now().isoformat(timespec="seconds")})

    store.write(change, user="participant")
