"""Group sessions and who came to them."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l

from . import clock
from . import consistency
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
    if held_on > clock.today():
        problems.append(_("The session date cannot be in the future."))
    if venue not in VENUES:
        problems.append(_("Choose where the session was held."))
    if problems:
        raise ProgramError(" ".join(problems))
    return group_code


def save_session(store: SiteStore, *, group_code: str, number: int, held_on: date, venue: str,
                 present: list[str], sessions_in_program: int, user: str, session_id: str | None = None,
                 reason: str | None = None) -> str:
    """Record a new session, or correct one (``session_id``, with the ``reason``); return its id."""
    group_code = check_session(group_code, number, held_on, venue, sessions_in_program)
    if session_id is not None and len((reason or "").strip()) < 3:
        raise ProgramError(_("Write the reason for this change (at least a few words)."))

    def change(tx: Transaction) -> str:
        if not tx.first("groups", code=group_code):
            raise ProgramError(_("The group %(group)s does not exist at this site.", group=group_code))
        members = {p["code"]: p for p in tx.find("participants", group_code=group_code)}
        strangers = sorted(set(present) - set(members))
        if strangers:
            raise ProgramError(_("These codes are not in group %(group)s: %(codes)s.", group=group_code,
                                 codes=", ".join(strangers)))
        problems = consistency.attendance_problems(held_on.isoformat(), present, members, consistency.exits_of(tx))
        if problems:
            raise ProgramError(" ".join(problems))
        clash = [s for s in tx.find("sessions", group_code=group_code, number=number)
                 if s["session_id"] != session_id]
        if clash:
            raise ProgramError(_("Group %(group)s already has a session number %(n)s (on %(day)s). Correct that "
                                 "one instead.", group=group_code, n=number,
                                 day=date.fromisoformat(clash[0]["date"]).strftime("%d/%m/%Y")))
        fields = {"group_code": group_code, "number": number, "date": held_on.isoformat(), "venue": venue,
                  "present": sorted(set(present))}
        if session_id is None:
            every = tx.with_withdrawn()  # a withdrawn session keeps its id
            new_id = f"S{every.count('sessions') + 1:04d}"
            while every.first("sessions", session_id=new_id):
                new_id = f"S{int(new_id[1:]) + 1:04d}"
            tx.insert("sessions", {"session_id": new_id, **fields})
            return new_id
        existing = tx.first("sessions", session_id=session_id)
        if existing is None:
            raise ProgramError(_("That session does not exist."))
        with tx.action("correct", "sessions", session_id, reason.strip()):
            tx.update("sessions", existing["doc_id"], fields)
        return session_id

    return store.write(change, user=user)


def set_group_closed(store: SiteStore, group_code: str, closed: bool, user: str) -> None:
    """Close a group (no new session is offered for it), or open it again."""

    def change(tx: Transaction) -> None:
        group = tx.first("groups", code=group_code)
        if group is None:
            raise ProgramError(_("The group %(group)s does not exist at this site.", group=group_code))
        tx.update("groups", group["doc_id"], {"closed_on": clock.today().isoformat() if closed else None})

    store.write(change, user=user)


def closed_groups(snapshot) -> list[str]:
    return sorted(g["code"] for g in snapshot.all("groups") if g.get("closed_on"))


def groups_with_sessions_left(snapshot, sessions_in_program: int) -> list[tuple[str, int]]:
    """(group, next session number) of the groups that have not held all their sessions."""
    out = []
    for group in sorted(g["code"] for g in snapshot.all("groups") if not g.get("closed_on")):
        numbers = [s["number"] for s in snapshot.find("sessions", group_code=group)]
        if len(numbers) < sessions_in_program:
            taken = set(numbers)
            out.append((group, next(n for n in range(1, sessions_in_program + 1) if n not in taken)
                        if max(numbers, default=0) >= sessions_in_program else max(numbers, default=0) + 1))
    return out


def sessions(snapshot, group_code: str | None = None) -> list[dict]:
    rows = snapshot.all("sessions")
    if group_code:
        rows = [s for s in rows if s["group_code"] == group_code]
    return sorted(rows, key=lambda s: (s["date"], s["group_code"], s["number"]), reverse=True)
