"""participants.csv: the men, new or known at the site; none withdrawn or erased comes back."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Generator, Iterable, Iterator

from flask_babel import lazy_gettext as _l

from ...corrections import ERASED
from ...registry import Site
from ...storage import WITHDRAWN, Snapshot
from ..cells import Cells
from ..layout import file_name
from ..problems import Problem
from ..reading import Row

FILE = file_name("participants")
FUTURE_ENROLMENT = _l("The enrolment date cannot be in the future.")


# What participants.csv says of a man: (line where the file names him first, or None when his code is of the
# wrong form; group; enrolment date as ISO text). Group and date are set only for a new man whose row is right
# (a man at the site keeps his record; a wrong row is named where it is). A plain tuple, as the garbage
# collector stops following a tuple of texts and numbers (not a NamedTuple's): a file may name a million men.
Listed = tuple[int | None, str | None, str | None]
LINE, GROUP, ENROLLED_ON = 0, 1, 2


@dataclass
class Men:
    """The men the site and participants.csv know, and which of them are new."""

    site_code: str
    at_site: dict[str, dict]  # code -> his record at the site
    withdrawn: set[str]  # codes of men withdrawn at the site
    erased: set[str]  # codes erased at the man's request
    groups: set[str]  # the groups of the site and of participants.csv
    unreadable: bool  # participants.csv could not be read: a code it may hold is not called unknown
    in_file: dict[str, Listed] = field(default_factory=dict)  # every code participants.csv names
    unchanged: int = 0

    @classmethod
    def of_site(cls, snapshot: Snapshot, site_code: str, unreadable: bool) -> Men:
        at_site = {p["code"]: p for p in snapshot.all("participants")}
        withdrawn = {p["code"] for p in snapshot.with_withdrawn().all("participants") if p.get(WITHDRAWN)}
        erased = {e["code"] for e in snapshot.all(ERASED)}
        groups = {g["code"] for g in snapshot.all("groups")} | {p["group_code"] for p in at_site.values()}
        return cls(site_code, at_site, withdrawn, erased, groups, unreadable)

    def new(self) -> Iterator[tuple[str, str, str]]:
        """(code, group, enrolment date) of each new man whose row is right."""
        return ((code, man[GROUP], man[ENROLLED_ON]) for code, man in self.in_file.items() if man[ENROLLED_ON])

    def knows(self, code: str) -> bool:
        """At the site or in participants.csv, and neither withdrawn nor erased."""
        return (code in self.at_site or code in self.in_file) and self.gone(code) is None

    def group_of(self, code: str) -> str | None:
        """His group; None where his row in participants.csv is wrong (said there)."""
        if code in self.at_site:
            return self.at_site[code]["group_code"]
        return self.in_file[code][GROUP] if code in self.in_file else None

    def enrolled_on(self, code: str) -> str | None:
        """His enrolment date (ISO), at the site or new; None where his row is wrong."""
        if code in self.at_site:
            return self.at_site[code]["enrolled_on"]
        return self.in_file[code][ENROLLED_ON] if code in self.in_file else None

    def gone(self, code: str):
        """Why a code withdrawn or erased at the site cannot be imported (None if it is not)."""
        if code in self.erased:
            return _l("%(code)s was erased at his request and cannot come back.", code=code)
        if code in self.withdrawn:
            return _l("%(code)s was withdrawn at this site: restore him from his page in the portal first.",
                      code=code)
        return None

    def unknown(self, code: str):
        """What to say of a code another file names but that is not a man who can be imported (None: said
        already, on his line of participants.csv, or participants.csv cannot be read)."""
        gone = self.gone(code)
        if gone is not None:
            return None if code in self.in_file else gone
        if self.unreadable:
            return None
        return _l("%(code)s is unknown: he is neither in participants.csv nor registered at %(site)s.", code=code,
                  site=self.site_code)


class ParticipantsCheck:
    def __init__(self, snapshot: Snapshot, site: Site, today: date, unreadable: bool):
        self.men = Men.of_site(snapshot, site.code, unreadable)
        self.today = today
        self.shape = re.compile(rf"^{re.escape(site.code)}-[0-9]{{4}}-[0-9]{{4}}$")
        self.same: dict[str, str] = {}  # one string for each group and date: a million rows hold few

    def check(self, rows: Iterable[Row]) -> Generator[Problem, None, Men]:
        for row in rows:
            problems = self.row(row)
            if problems:
                yield from problems
        return self.men

    def row(self, row: Row) -> list[Problem]:
        cells = Cells(FILE, row, self.today)
        code = cells.required("participant_code")
        listed = self.men.in_file.get(code)
        if code is not None and not self.shape.fullmatch(code):
            cells.problem("participant_code", _l(
                "A participant code of this site has the form %(site)s-YEAR-NUMBER with four digits each, for "
                "example %(site)s-2026-0001.", site=self.men.site_code))
            if listed is None:
                self.men.in_file[code] = (None, None, None)  # named: rows about him are not reported as unknown too
            code = None
        elif listed is not None:
            cells.problem("participant_code", _l("This man is already on line %(line)s of the same file.",
                                                 line=listed[LINE]))
            code = None
        group = cells.group()
        enrolled = cells.day("enrolled_on", FUTURE_ENROLMENT)
        if code is not None:
            self.place(cells, code, group, enrolled)
        return cells.problems

    def place(self, cells: Cells, code: str, group: str | None, enrolled: date | None) -> None:
        """Take in a man whose code is right: known at the site, new, or one who cannot come back."""
        men, line = self.men, cells.row.line
        if group:
            group = self.same.setdefault(group, group)
            men.groups.add(group)
        gone = men.gone(code)
        stored = men.at_site.get(code)
        if gone is not None:
            cells.problem("participant_code", gone)
            men.in_file[code] = (line, None, None)  # named: his other rows are not reported too
        elif stored is not None:
            men.in_file[code] = (line, None, None)
            if group and enrolled and not cells.conflicts(
                    code, {"group_code": stored["group_code"], "enrolled_on": stored["enrolled_on"]},
                    {"group_code": group, "enrolled_on": enrolled.isoformat()}):
                men.unchanged += 1
        elif group and enrolled:
            day = enrolled.isoformat()
            men.in_file[code] = (line, group, self.same.setdefault(day, day))
        else:
            men.in_file[code] = (line, group, None)
