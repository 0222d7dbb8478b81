"""Group sessions and who came to them."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import clock, consistency, groups
from .groups import normalise_group
from .refusals import NeedsConfirmation, ProgramError
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
        problems.append((_("The session number must be between 1 and %(n)s.", n=sessions_in_program), "number"))
    if held_on > clock.today():
        problems.append((_("The session date cannot be in the future."), "held_on"))
    if venue not in VENUES:
        problems.append((_("Choose where the session was held."), "venue"))
    if problems:
        raise ProgramError(" ".join(m for m, _field in problems), field=problems[0][1])
    return group_code


def save_session(store: SiteStore, *, group_code: str, number: int, held_on: date, venue: str,
                 present: list[str], sessions_in_program: int, user: str, session_id: str | None = None,
                 reason: str | None = None, confirmed: bool = False) -> str:
    """Record a new session, or correct one (``session_id``, with the ``reason``); return its id.

    A second session of the group on the same day, or one with nobody present, raises
    NeedsConfirmation unless ``confirmed``.
    """
    group_code = check_session(group_code, number, held_on, venue, sessions_in_program)
    if session_id is not None and len((reason or "").strip()) < 3:
        raise ProgramError(_("Write the reason for this change (at least a few words)."), field="reason")

    def change(tx: Transaction) -> str:
        group = groups.existing(tx, group_code)
        if group.get("closed_on") and session_id is None:
            raise ProgramError(_("The group %(group)s is closed. Open it again on the Groups page to record a "
                                 "session.", group=group_code))
        dated = groups.span_problems(group, held_on) + groups.order_problems(
            tx.find("sessions", group_code=group_code), number, held_on, session_id)
        if dated:
            raise ProgramError(" ".join(dated), field="held_on")
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
        if not confirmed:
            _ask_for_confirmation(tx, group_code, held_on, present, session_id)
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
        if all(existing.get(k) == v for k, v in fields.items()):
            raise ProgramError(_("Nothing was changed: the session is as it was already recorded."))
        with tx.action("correct", "sessions", session_id, reason.strip()):
            tx.update("sessions", existing["doc_id"], fields)
        return session_id

    return store.write(change, user=user)


def _ask_for_confirmation(tx: Transaction, group_code: str, held_on: date, present: list[str],
                          session_id: str | None) -> None:
    questions = []
    same_day = [s for s in tx.find("sessions", group_code=group_code, date=held_on.isoformat())
                if s["session_id"] != session_id]
    if same_day:
        questions.append(_("Group %(group)s already has session %(n)s on %(day)s. Did it really meet twice that day?",
                           group=group_code, n=same_day[0]["number"], day=held_on.strftime("%d/%m/%Y")))
    if not present:
        questions.append(_("Nobody is ticked as present: every man of the group will count one more missed "
                           "session. Did nobody come?"))
    if questions:
        raise NeedsConfirmation(questions)


def set_group_closed(store: SiteStore, group_code: str, closed: bool, user: str) -> None:
    """Close a group (no new session is offered for it), or open it again."""
    groups.set_closed(store, group_code, closed, user)


def closed_groups(snapshot) -> list[str]:
    return sorted(g["code"] for g in snapshot.all("groups") if g.get("closed_on"))


def groups_with_sessions_left(snapshot, sessions_in_program: int) -> list[tuple[str, int]]:
    """(group, next session number) of the open groups that have not held all their sessions."""
    out = []
    for doc in sorted((g for g in snapshot.all("groups") if not g.get("closed_on")), key=lambda g: g["code"]):
        group, sessions_in_program = doc["code"], int(doc.get("sessions") or sessions_in_program)
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
