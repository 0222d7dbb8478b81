"""The date rules across the files (consistency.py), on what an import adds."""
from __future__ import annotations

from typing import Iterator

from ... import consistency
from ...storage import Snapshot
from ..layout import file_name
from ..problems import Problem
from .attendance import Marks
from .participants import Men
from .responses import NewResponse


def check_dates(snapshot: Snapshot, men: Men, new_sessions: list[dict], marks: Marks,
                new_responses: list[NewResponse]) -> Iterator[Problem]:
    """The consistency rules of the web forms, on what the import adds: attendance within each man's time
    in the program, no questionnaire before his registration, no exit before a session he attended."""
    new_exits = {r.code: consistency.exit_day({"answers": r.answers, "submitted_on": r.submitted.isoformat()})
                 for r in new_responses if r.questionnaire.id == consistency.EXIT}
    exits = {**consistency.exits_of(snapshot), **new_exits}
    for session in new_sessions:
        present = marks.present.get(session["session_id"], {})
        for code, place in present.items():
            enrolled = _enrolled(men, [code])
            for message in consistency.attendance_problems(session["date"], [code], enrolled, exits):
                yield Problem.at(file_name("attendance"), place, "participant_code", message)
    after = snapshot.all("sessions") + new_sessions  # the sessions the site would have
    sessions = Snapshot({"sessions": {str(i): s for i, s in enumerate(after)}})
    for response in new_responses:
        man = _enrolled(men, [response.code]).get(response.code)
        if man is None:
            continue  # his registration is refused or wrong: said already
        qid = response.questionnaire.id
        for message in consistency.response_problems(response.submitted.isoformat(), man):
            yield Problem.at(file_name(qid), response.place, "submitted_on", message)
        if qid == consistency.EXIT:
            column = "exit_date" if response.answers.get("exit_date") else "submitted_on"
            for message in consistency.exit_problems(sessions, response.code, new_exits[response.code]):
                yield Problem.at(file_name(qid), response.place, column, message)


def _enrolled(men: Men, codes: list[str]) -> dict[str, dict]:
    """The records the consistency rules read (``enrolled_on``) for those of ``codes`` with a right one."""
    out = {}
    for code in codes:
        day = men.enrolled_on(code)
        if day is not None:
            out[code] = {"code": code, "enrolled_on": day}
    return out
