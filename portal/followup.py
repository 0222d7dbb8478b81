"""Follow-up of men at risk of dropping out: each attempt to reach a man, never names or phones.

An attempt is a date, whether he was reached, and an outcome from a short list. The
follow-up list shows each man's last attempt; his page shows them all.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import bounds
from .participants import ProgramError
from .storage import SiteStore, Transaction

TABLE = "followups"
OUTCOMES = {
    "will_come_back": _l("Will come back"),
    "cannot_attend": _l("Cannot attend (work, health, schedule)"),
    "moved_away": _l("Moved away"),
    "does_not_want": _l("Does not want to continue"),
    "no_contact": _l("Could not be reached"),
    "other": _l("Other"),
}


def record_attempt(store: SiteStore, participant_code: str, day: date, reached: bool | None, outcome: str,
                   user: str) -> None:
    """``reached`` None: nobody said whether he was reached (the form starts with nothing chosen)."""
    if reached is None:
        raise ProgramError(_("Say whether he was reached."))
    if outcome not in OUTCOMES:
        raise ProgramError(_("Choose what came of the call."))
    if reached and outcome == "no_contact":
        raise ProgramError(_("He was reached, so the outcome cannot be «%(label)s».", label=OUTCOMES["no_contact"]))
    problem = bounds.day_problem(day)
    if problem:
        raise ProgramError(problem)
    if not reached and outcome not in ("no_contact", "other"):
        raise ProgramError(_("If he was not reached, the outcome can only be «%(label)s».",
                             label=OUTCOMES["no_contact"]))

    def change(tx: Transaction) -> None:
        man = tx.first("participants", code=participant_code)
        if man is None:
            raise ProgramError(_("The participant %(code)s does not exist at this site.", code=participant_code))
        if day.isoformat() < man["enrolled_on"]:
            raise ProgramError(_("The date %(day)s is before his registration (%(enrolled)s).",
                                 day=day.strftime("%d/%m/%Y"),
                                 enrolled=date.fromisoformat(man["enrolled_on"]).strftime("%d/%m/%Y")))
        tx.insert(TABLE, {"participant_code": participant_code, "date": day.isoformat(), "reached": reached,
                          "outcome": outcome})

    store.write(change, user=user)


def attempts_of(snapshot, participant_code: str) -> list[dict]:
    """His attempts, newest first."""
    return sorted(snapshot.find(TABLE, participant_code=participant_code), key=lambda a: (a["date"], a["doc_id"]),
                  reverse=True)


def last_attempts(snapshot) -> dict[str, dict]:
    last: dict[str, dict] = {}
    for attempt in snapshot.all(TABLE):
        code = attempt["participant_code"]
        if code not in last or (attempt["date"], attempt["doc_id"]) > (last[code]["date"], last[code]["doc_id"]):
            last[code] = attempt
    return last
