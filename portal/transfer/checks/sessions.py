"""sessions.csv: the sessions, new or known at the site, one per group and number."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Generator, Iterable

from flask_babel import lazy_gettext as _l

from ...attendance import VENUES
from ...registry import Site
from ...storage import WITHDRAWN, Snapshot
from ..cells import Cells
from ..layout import file_name
from ..problems import Problem
from ..reading import Place, Row
from .participants import Men

FILE = file_name("sessions")
FUTURE_SESSION = _l("The session date cannot be in the future.")
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass
class Sessions:
    """The sessions the site and sessions.csv know, and which of them are new."""

    at_site: dict[str, dict]  # session id -> the session at the site
    group_of: dict[str, str | None]  # every session id known -> its group (None: its row is wrong, said there)
    unreadable: bool  # sessions.csv could not be read: a session it may hold is not called unknown
    in_file: dict[str, Place] = field(default_factory=dict)  # session id -> where sessions.csv has it
    new: list[dict] = field(default_factory=list)  # without "present": attendance.csv says who
    unchanged: int = 0

    def knows(self, session_id: str) -> bool:
        return session_id in self.group_of


class SessionsCheck:
    def __init__(self, snapshot: Snapshot, site: Site, men: Men, today: date, unreadable: bool):
        at_site = {s["session_id"]: s for s in snapshot.all("sessions")}
        self.sessions = Sessions(at_site, {sid: s["group_code"] for sid, s in at_site.items()}, unreadable)
        self.withdrawn = {s["session_id"] for s in snapshot.with_withdrawn().all("sessions") if s.get(WITHDRAWN)}
        self.men = men
        self.highest = site.sessions
        self.today = today
        # (group, number) -> which session has it
        self.slots = {(s["group_code"], s["number"]): _l("%(id)s, already at the site", id=sid)
                      for sid, s in at_site.items()}

    def check(self, rows: Iterable[Row]) -> Generator[Problem, None, Sessions]:
        for row in rows:
            problems = self.row(row)
            if problems:
                yield from problems
        return self.sessions

    def row(self, row: Row) -> list[Problem]:
        cells = Cells(FILE, row, self.today)
        session_id = self.session_id(cells)
        group = cells.group()
        if group and group not in self.men.groups and not self.men.unreadable:
            cells.problem("group_code", _l(
                "The group %(group)s is unknown: no man of this site nor of participants.csv is in it.",
                group=group))
            group = None
        number = cells.number("number", self.highest, _l("The session number must be between 1 and %(n)s.",
                                                          n=self.highest))
        held_on = cells.day("date", FUTURE_SESSION)
        venue = cells.required("venue")
        if venue is not None and venue not in VENUES:
            cells.problem("venue", _l("Write one of: %(values)s.", values=", ".join(VENUES)))
            venue = None
        if session_id is not None:
            self.sessions.in_file[session_id] = row.place
            self.sessions.group_of.setdefault(session_id, group)
            if None not in (group, number, held_on, venue):
                self.place(cells, session_id, {"group_code": group, "number": number, "date": held_on.isoformat(),
                                               "venue": venue})
        return cells.problems

    def session_id(self, cells: Cells) -> str | None:
        """The row's session id, if it is one that can be imported."""
        session_id = cells.required("session_id")
        if session_id is None:
            return None
        if not SESSION_ID_RE.fullmatch(session_id):
            cells.problem("session_id", _l(
                "A session id has 1 to 32 letters without accents, digits, hyphens or underscores, starting "
                "with a letter or digit (for example S0001)."))
        elif session_id in self.sessions.in_file:
            cells.problem("session_id", _l("This session is already on line %(line)s of the same file.",
                                           line=self.sessions.in_file[session_id][0]))
            return None
        elif session_id in self.withdrawn:
            cells.problem("session_id", _l(
                "The session %(id)s was withdrawn at this site: restore it in the portal first.", id=session_id))
        else:
            return session_id
        self.sessions.group_of.setdefault(session_id, None)  # named: its attendance is not reported too
        return None

    def place(self, cells: Cells, session_id: str, fields: dict) -> None:
        """Take in a session whose row is right: known at the site, or new."""
        stored = self.sessions.at_site.get(session_id)
        if stored is not None:
            if not cells.conflicts(_l("The session %(id)s", id=session_id), {k: stored[k] for k in fields}, fields):
                self.sessions.unchanged += 1
            return
        slot = (fields["group_code"], fields["number"])
        if slot in self.slots:
            cells.problem("number", _l("Group %(group)s already has a session number %(n)s: %(other)s.",
                                       group=slot[0], n=slot[1], other=self.slots[slot]))
            return
        self.slots[slot] = _l("line %(line)s", line=cells.row.line)
        self.sessions.new.append({"session_id": session_id, **fields})
