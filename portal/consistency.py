"""The rules that keep a man's dates consistent, one set for the web forms, corrections and the import.

- no attendance at a session dated before his registration or after his exit;
- no questionnaire (exit record included) dated before his registration;
- a registration date no later than his first session, questionnaire or exit.

Each check returns the Spanish messages of what is wrong (empty when all is right); the
caller refuses the change (web) or lists them with file and line (import).
"""
from __future__ import annotations

from flask_babel import gettext as _

from .i18n import short_date

EXIT = "facilitator_exit"


def exit_day(response: dict | None) -> str | None:
    """The day a man left: the exit record's own date, else the day it was entered."""
    if response is None:
        return None
    return (response.get("answers") or {}).get("exit_date") or response["submitted_on"]


def exits_of(snapshot) -> dict[str, str]:
    return {r["participant_code"]: exit_day(r) for r in snapshot.find("responses", questionnaire=EXIT)}


def attendance_problems(session_day: str, present, participants: dict[str, dict], exits: dict[str, str]) -> list[str]:
    """Men marked present at a session held before they registered or after they left."""
    early = sorted(c for c in present if c in participants and participants[c]["enrolled_on"] > session_day)
    late = sorted(c for c in present if c in exits and exits[c] < session_day)
    problems = []
    if early:
        problems.append(_("These men registered after this session (%(day)s), so they cannot be marked present: "
                          "%(codes)s.", day=short_date(session_day), codes=", ".join(early)))
    if late:
        problems.append(_("These men had already left the program on the day of this session (%(day)s): "
                          "%(codes)s.", day=short_date(session_day), codes=", ".join(late)))
    return problems


def response_problems(submitted_on: str, participant: dict) -> list[str]:
    """A questionnaire or exit dated before the man registered."""
    if submitted_on < participant["enrolled_on"]:
        return [_("The date %(day)s is before his registration (%(enrolled)s).", day=short_date(submitted_on),
                  enrolled=short_date(participant["enrolled_on"]))]
    return []


def exit_problems(snapshot, participant_code: str, left_on: str) -> list[str]:
    """An exit dated before sessions he attended."""
    later = sorted(s["date"] for s in snapshot.all("sessions") if participant_code in s["present"] and s["date"] > left_on)
    if later:
        return [_("He was present at a session on %(day)s, after this exit date.", day=short_date(later[-1]))]
    return []


def registration_problems(snapshot, participant_code: str, enrolled_on: str) -> list[str]:
    """A new registration date later than something already recorded for him."""
    attended = [s["date"] for s in snapshot.all("sessions") if participant_code in s["present"]]
    dated = [r["submitted_on"] for r in snapshot.find("responses", participant_code=participant_code)]
    problems = []
    if attended and min(attended) < enrolled_on:
        problems.append(_("He was present at a session on %(day)s, before that date.", day=short_date(min(attended))))
    if dated and min(dated) < enrolled_on:
        problems.append(_("He has a questionnaire dated %(day)s, before that date.", day=short_date(min(dated))))
    return problems


def site_problems(snapshot) -> list[str]:
    """Every break of these rules in a site's records (a check of the demo and of old data)."""
    participants = {p["code"]: p for p in snapshot.all("participants")}
    exits = exits_of(snapshot)
    problems = []
    for s in snapshot.all("sessions"):
        problems += [f"{s['session_id']}: {p}" for p in attendance_problems(s["date"], s["present"], participants, exits)]
    for r in snapshot.all("responses"):
        man = participants.get(r["participant_code"])
        if man is None:
            continue
        found = response_problems(r["submitted_on"], man)
        if r["questionnaire"] == EXIT:
            found += exit_problems(snapshot, man["code"], exit_day(r))
        problems += [f"{r['participant_code']} {r['questionnaire']}: {p}" for p in found]
    return problems
