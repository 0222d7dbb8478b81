"""Group sessions and who came to them."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l

from .participants import ProgramError, normalise_group
from .storage import SiteStore, Transaction

VENUES = {
    "health_centre": _l("Health centre"),
    "community": _l("Community venue"),
    "online": _l("Online"),
}


def check_session(group_code: str, number: int, held_on: date, venue: str, sessions_in_program: int) -> str:
    group_code = normalise_group(group_code)
    problems = []
    if not 1 <= number <= sessions_in_program:
        problems.append(_("The session number must be between 1 and %(n)s.", n=sessions_in_program))
    if held_on > date.today():
        problems.append(_("The session date cannot be in the future."))
    if venue not in VENUES:
        problems.append(_("Choose where the session was held."))
    if problems:
        raise ProgramError(" ".join(problems))
    return group_code


def save_session(store: SiteStore, *, group_code: str, number: int, held_on: date, venue: str,
                 present: list[str], sessions_in_program: int, user: str, session_id: str | None = None) -> str:
    """Record a new session, or correct one (``session_id``); return its id."""
    group_code = check_session(group_code, number, held_on, venue, sessions_in_program)

    def change(tx: Transaction) -> str:
        if not tx.first("groups", code=group_code):
            raise ProgramError(_("The group %(group)s does not exist at this site.", group=group_code))
        members = {p["code"] for p in tx.find("participants", group_code=group_code)}
        strangers = sorted(set(present) - members)
        if strangers:
            raise ProgramError(_("These codes are not in group %(group)s: %(codes)s.", group=group_code,
                                 codes=", ".join(strangers)))
        clash = [s for s in tx.find("sessions", group_code=group_code, number=number)
                 if s["session_id"] != session_id]
        if clash:
            raise ProgramError(_("Group %(group)s already has a session number %(n)s (on %(day)s). Correct that "
                                 "one instead.", group=group_code, n=number,
                                 day=date.fromisoformat(clash[0]["date"]).strftime("%d/%m/%Y")))
        fields = {"group_code": group_code, "number": number, "date": held_on.isoformat(), "venue": venue,
                  "present": sorted(set(present))}
        if session_id is None:
            new_id = f"S{len(tx.all('sessions')) + 1:04d}"
            while tx.first("sessions", session_id=new_id):
                new_id = f"S{int(new_id[1:]) + 1:04d}"
            tx.insert("sessions", {"session_id": new_id, **fields})
            return new_id
        existing = tx.first("sessions", session_id=session_id)
        if existing is None:
            raise ProgramError(_("That session does not exist."))
        tx.update("sessions", existing["doc_id"], fields)
        return session_id

    return store.write(change, user=user)


def sessions(snapshot, group_code: str | None = None) -> list[dict]:
    rows = snapshot.all("sessions")
    if group_code:
        rows = [s for s in rows if s["group_code"] == group_code]
    return sorted(rows, key=lambda s: (s["date"], s["group_code"], s["number"]), reverse=True)
