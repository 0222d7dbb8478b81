"""Groups: created on purpose (code, start date, sessions), listed, closed.

Men are registered and sessions recorded only in a group that exists. Their dates must fall
in the group's plausible span, and a group's sessions keep their dates in the order of their
numbers. (An import creates the groups its rows name: ``participants.ensure_group``.)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import clock
from .i18n import short_date
from .refusals import ProgramError
from .storage import SiteStore, Transaction

GROUP_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
GROUP_CODE_RULE = _l("The group code must have 1 to 16 characters: capital letters, digits and hyphens (for "
                     "example 2026-A).")
EARLIEST = timedelta(weeks=4)  # a man may be registered up to four weeks before his group's first session
LATEST = timedelta(days=548)  # and nothing of a group happens more than a year and a half after its start
PLANNED_AHEAD = timedelta(days=90)  # a group may be created up to three months before it starts


def normalise_group(code: str) -> str:
    code = (code or "").strip().upper()
    if not GROUP_CODE_RE.fullmatch(code):
        raise ProgramError(str(GROUP_CODE_RULE), field="group")
    return code


@dataclass
class Group:
    code: str
    started_on: str
    sessions: int
    closed_on: str | None
    held: int = 0
    men: int = 0
    last_session: str | None = None

    @property
    def is_open(self) -> bool:
        return not self.closed_on


def _group(doc: dict, default_sessions: int) -> Group:
    return Group(doc["code"], doc.get("started_on") or "", int(doc.get("sessions") or default_sessions),
                 doc.get("closed_on"))


def get(snapshot, code: str, default_sessions: int) -> Group | None:
    doc = snapshot.first("groups", code=code)
    return _group(doc, default_sessions) if doc else None


def listed(snapshot, default_sessions: int) -> list[Group]:
    """Every group of the site with its sessions held and men, open ones first, newest first."""
    rows = {d["code"]: _group(d, default_sessions) for d in snapshot.all("groups")}
    for s in snapshot.all("sessions"):
        group = rows.get(s["group_code"])
        if group:
            group.held += 1
            group.last_session = max(group.last_session or "", s["date"])
    for p in snapshot.all("participants"):
        if p["group_code"] in rows:
            rows[p["group_code"]].men += 1
    return sorted(rows.values(), key=lambda g: (not g.is_open, _reverse(g.started_on), g.code))


def _reverse(day: str) -> str:
    return "".join(chr(255 - ord(ch)) for ch in day)


def open_codes(snapshot) -> list[str]:
    return sorted(g["code"] for g in snapshot.all("groups") if not g.get("closed_on"))


def create(store: SiteStore, code: str, started_on: date, sessions: int, user: str) -> str:
    """A new group; its code is unique at the site."""
    code = normalise_group(code)
    if started_on > clock.today() + PLANNED_AHEAD:
        raise ProgramError(_("The start date is more than three months away. Create the group closer to its "
                             "start."), field="started_on")
    if started_on < clock.today() - LATEST:
        raise ProgramError(_("The start date is more than a year and a half ago."), field="started_on")
    if not isinstance(sessions, int) or not 1 <= sessions <= 60:
        raise ProgramError(_("The number of sessions must be between 1 and 60."), field="sessions")

    def change(tx: Transaction) -> str:
        if tx.with_withdrawn().first("groups", code=code):
            raise ProgramError(_("The group %(group)s already exists at this site.", group=code), field="group")
        tx.insert("groups", {"code": code, "started_on": started_on.isoformat(), "sessions": sessions,
                             "closed_on": None})
        return code

    return store.write(change, user=user)


def set_closed(store: SiteStore, group_code: str, closed: bool, user: str) -> None:
    """Close a group (no man or session goes into it any more), or open it again."""

    def change(tx: Transaction) -> None:
        group = tx.first("groups", code=group_code)
        if group is None:
            raise ProgramError(_("The group %(group)s does not exist at this site.", group=group_code))
        tx.update("groups", group["doc_id"], {"closed_on": clock.today().isoformat() if closed else None})

    store.write(change, user=user)


def existing(tx, group_code: str) -> dict:
    """The group's record, or the refusal a person reads."""
    group = tx.first("groups", code=group_code)
    if group is None:
        raise ProgramError(_("The group %(group)s does not exist at this site. Create it first on the Groups page.",
                             group=group_code), field="group")
    return group


def span_problems(group: dict, day: date) -> list[str]:
    """A registration or session date far from the group's start."""
    if not group.get("started_on"):
        return []
    start = date.fromisoformat(group["started_on"])
    if day < start - EARLIEST:
        return [_("The date %(day)s is more than four weeks before group %(group)s started (%(start)s). Check the "
                  "date or choose another group.", day=short_date(day), group=group["code"], start=short_date(start))]
    if day > start + LATEST:
        return [_("The date %(day)s is more than a year and a half after group %(group)s started (%(start)s). Check "
                  "the date or choose another group.", day=short_date(day), group=group["code"], start=short_date(start))]
    return []


def order_problems(sessions: list[dict], number: int, day: date, session_id: str | None) -> list[str]:
    """A session dated before a session of a lower number, or after one of a higher number."""
    iso = day.isoformat()
    others = [s for s in sessions if s["session_id"] != session_id]
    before = [s for s in others if s["number"] < number and s["date"] > iso]
    after = [s for s in others if s["number"] > number and s["date"] < iso]
    if before:
        s = max(before, key=lambda s: s["date"])
        return [_("Session %(n)s cannot be dated before session %(m)s (%(day)s): sessions keep the order of their "
                  "numbers.", n=number, m=s["number"], day=short_date(s["date"]))]
    if after:
        s = min(after, key=lambda s: s["date"])
        return [_("Session %(n)s cannot be dated after session %(m)s (%(day)s): sessions keep the order of their "
                  "numbers.", n=number, m=s["number"], day=short_date(s["date"]))]
    return []
