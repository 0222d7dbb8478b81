"""Men in the program: registration with a pseudonymous code, roster, status and drop-out risk.

No names, phones or addresses exist anywhere here: a man is his code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import clock, groups
from .bounds import FIRST_YEAR, before_the_program, no_room_for_a_man
from .groups import GROUP_CODE_RE, GROUP_CODE_RULE, normalise_group  # noqa: F401  (their old home)
from .refusals import ProgramError
from .storage import SiteStore, Transaction

STATUSES = {
    "active": _l("Active"),
    "completed": _l("Completed the program"),
    "dropped_out": _l("Dropped out"),
    "transferred": _l("Transferred"),
    "exited": _l("Left (other reason)"),
}
EXIT_REASON_STATUS = {"completed": "completed", "dropped_out": "dropped_out", "transferred": "transferred",
                      "other": "exited"}


def next_participant_code(tx: Transaction, site_code: str, year: int) -> str:
    """<SITE>-<YEAR>-<NNNN>, sequential per site and year; a withdrawn or erased man's code is never reused."""
    prefix = f"{site_code}-{year}-"
    known = [p["code"] for p in tx.with_withdrawn().all("participants")] + [e["code"] for e in tx.all("erased")]
    taken = [int(code[len(prefix):]) for code in known if code.startswith(prefix)]
    return f"{prefix}{max(taken, default=0) + 1:04d}"


def register(store: SiteStore, site_code: str, group_code: str, enrolled_on: date, user: str) -> str:
    """Create a man's record in an open group and return his new code."""
    group_code = normalise_group(group_code)
    if enrolled_on > clock.today():
        raise ProgramError(_("The enrolment date cannot be in the future."), field="enrolled_on")
    if enrolled_on.year < FIRST_YEAR:
        raise ProgramError(before_the_program(enrolled_on), field="enrolled_on")

    def change(tx: Transaction) -> str:
        full = no_room_for_a_man(tx.with_withdrawn().count("participants"))
        if full:
            raise ProgramError(full)
        group = groups.existing(tx, group_code)
        if group.get("closed_on"):
            raise ProgramError(_("The group %(group)s is closed. Choose an open group.", group=group_code),
                               field="group")
        problems = groups.span_problems(group, enrolled_on)
        if problems:
            raise ProgramError(" ".join(problems), field="enrolled_on")
        code = next_participant_code(tx, site_code, enrolled_on.year)
        tx.insert("participants", {"code": code, "group_code": group_code,
                                   "enrolled_on": enrolled_on.isoformat(), "status": "active"})
        return code

    return store.write(change, user=user)


def ensure_group(tx: Transaction, group_code: str, started_on: date) -> None:
    """The import's declared way: a group its rows name comes into being, starting on that date."""
    if not tx.first("groups", code=group_code):
        tx.insert("groups", {"code": group_code, "started_on": started_on.isoformat()})


def group_codes(snapshot) -> list[str]:
    return sorted(g["code"] for g in snapshot.all("groups"))


@dataclass
class RosterRow:
    code: str
    group_code: str
    enrolled_on: str
    status: str
    attended: int
    last_attended: str | None
    at_risk: bool
    missed_in_a_row: int
    high_risk: bool = False  # the entry interview judged a high risk of severe violence: partner-safety protocol

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))


def roster(snapshot, group_code: str | None = None) -> list[RosterRow]:
    """Every man of the site with his attendance and drop-out risk, by group then code.

    At risk: an active man who missed the last two sessions his group held since he enrolled.
    """
    sessions_by_group: dict[str, list[dict]] = {}
    for s in snapshot.all("sessions"):
        sessions_by_group.setdefault(s["group_code"], []).append(s)
    for group_sessions in sessions_by_group.values():
        group_sessions.sort(key=lambda s: (s["date"], s["number"]))
    high = {r["participant_code"] for r in snapshot.find("responses", questionnaire="facilitator_intake")
            if (r.get("answers") or {}).get("risk_level") == "high"}
    rows = []
    for p in snapshot.all("participants"):
        if group_code and p["group_code"] != group_code:
            continue
        held = [s for s in sessions_by_group.get(p["group_code"], []) if s["date"] >= p["enrolled_on"]]
        present = [s for s in sessions_by_group.get(p["group_code"], []) if p["code"] in s["present"]]
        missed = 0
        for s in reversed(held):
            if p["code"] in s["present"]:
                break
            missed += 1
        rows.append(RosterRow(
            code=p["code"], group_code=p["group_code"], enrolled_on=p["enrolled_on"], status=p["status"],
            attended=len(present), last_attended=max((s["date"] for s in present), default=None),
            at_risk=p["status"] == "active" and missed >= 2, missed_in_a_row=missed, high_risk=p["code"] in high,
        ))
    return sorted(rows, key=lambda r: (r.group_code, r.code))


def set_status_from_exit(tx: Transaction, participant_code: str, exit_reason: str) -> None:
    participant = tx.first("participants", code=participant_code)
    status = EXIT_REASON_STATUS.get(exit_reason, "exited")
    tx.update("participants", participant["doc_id"], {"status": status})
