"""attendance.csv: who was present at which session; a session of the site keeps its list."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator, Iterable, Iterator

from flask_babel import lazy_gettext as _l

from ..cells import Cells
from ..layout import file_name
from ..problems import Problem
from ..reading import Place, Row
from .participants import Men
from .sessions import Sessions

FILE = file_name("attendance")


@dataclass
class Marks:
    """Who attendance.csv marks present."""

    present: dict[str, dict[str, Place]] = field(default_factory=dict)  # session id -> {code: where}
    unchanged: int = 0

    def of(self, session_id: str) -> list[str]:
        return sorted(self.present.get(session_id, {}))


class AttendanceCheck:
    def __init__(self, men: Men, sessions: Sessions, unreadable: bool):
        self.men = men
        self.sessions = sessions
        self.unreadable = unreadable
        self.marks = Marks()

    def check(self, rows: Iterable[Row]) -> Generator[Problem, None, Marks]:
        for row in rows:
            problems = self.row(row)
            if problems:
                yield from problems
        if not self.unreadable:
            yield from self.missing_at_site()
        return self.marks

    def row(self, row: Row) -> list[Problem]:
        cells = Cells(FILE, row)
        session_id = cells.required("session_id")
        code = cells.required("participant_code")
        if session_id is not None and not self.sessions.knows(session_id):
            if not self.sessions.unreadable:
                cells.problem("session_id", _l(
                    "The session %(id)s is unknown: it is neither in sessions.csv nor recorded at this site.",
                    id=session_id))
            session_id = None
        if code is not None and not self.men.knows(code):
            unknown = self.men.unknown(code)
            if unknown is not None:
                cells.problem("participant_code", unknown)
            code = None
        if session_id is not None and code is not None:
            self.mark(cells, session_id, code)
        return cells.problems

    def mark(self, cells: Cells, session_id: str, code: str) -> None:
        present = self.marks.present.setdefault(session_id, {})
        if code in present:
            cells.problem("participant_code", _l("This mark is already on line %(line)s of the same file.",
                                                 line=present[code][0]))
            return
        present[code] = cells.row.place
        session_group, his_group = self.sessions.group_of[session_id], self.men.group_of(code)
        if session_group and his_group and session_group != his_group:
            cells.problem("participant_code", _l(
                "%(code)s is in group %(his)s, but the session %(id)s is of group %(group)s.", code=code,
                his=his_group, id=session_id, group=session_group))
        stored = self.sessions.at_site.get(session_id)
        if stored is not None and code in stored["present"]:
            self.marks.unchanged += 1
        elif stored is not None:
            cells.problem("participant_code", _l(
                "The session %(id)s is already at the site without %(code)s among those present. An import "
                "never changes a session already recorded: correct its attendance in the portal.", id=session_id,
                code=code))

    def missing_at_site(self) -> Iterator[Problem]:
        """A session of the site in sessions.csv whose men present at the site attendance.csv leaves out."""
        for session_id, place in self.sessions.in_file.items():
            stored = self.sessions.at_site.get(session_id)
            missing = sorted(set(stored["present"]) - set(self.marks.present.get(session_id, {}))) if stored else []
            if missing:
                yield Problem.at(file_name("sessions"), place, "session_id", _l(
                    "At the site, the session %(id)s also has present: %(codes)s, whom attendance.csv does not "
                    "list. An import never changes a session already recorded.", id=session_id,
                    codes=", ".join(missing)))
