"""Putting records right: correct, withdraw and restore, undo an exit, erase a man for good.

Every action is one write and one audit entry (``Transaction.action``) saying who, when, what
changed (old and new values) and why. A withdrawn record keeps its content and its history
but leaves every listing (``storage.WITHDRAWN``); restoring brings it back. Erasing, the
cancellation right of the data law, removes a man's content from the site file and from its
history; only the fact of the erasure stays.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from . import clock, consistency, drafts, groups, storage
from .participants import EXIT_REASON_STATUS, ProgramError, normalise_group
from .questionnaires import Questionnaire
from .responses import date_problems
from .storage import AUDIT_TABLE, WITHDRAWN, SiteStore, Transaction

ERASED = "erased"  # table of tombstones: which code was erased, when, by whom and why


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ProgramError(_("Write the reason for this change (at least a few words)."), field="reason")
    if len(reason) > 500:
        raise ProgramError(_("The reason can have at most 500 characters."), field="reason")
    return reason


def _participant(tx, code: str, withdrawn: bool = False) -> dict:
    found = (tx.with_withdrawn() if withdrawn else tx).first("participants", code=code)
    if found is None:
        raise ProgramError(_("The participant %(code)s does not exist at this site.", code=code))
    return found


def _stamp(tx: Transaction, reason: str) -> dict:
    return {"at": storage.now_iso(), "by": tx.user, "reason": reason}


def status_after(tx, code: str) -> str:
    """His status as his exit record (if any) says."""
    exit_record = tx.first("responses", participant_code=code, questionnaire=consistency.EXIT)
    if exit_record is None:
        return "active"
    return EXIT_REASON_STATUS.get(exit_record["answers"].get("exit_reason"), "exited")


# --------------------------------------------------------------------------- correct

def correct_response(store: SiteStore, questionnaire: Questionnaire, response_id: int, answers: dict,
                     submitted_on: date, reason: str, user: str) -> None:
    """New answers (already judged by ``Questionnaire.validate``) for a stored questionnaire."""
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        response = tx.get("responses", response_id)
        if response is None or response.get(WITHDRAWN) or response["questionnaire"] != questionnaire.id:
            raise ProgramError(_("That questionnaire is not stored at this site."))
        if response["answers"] == answers and response["submitted_on"] == submitted_on.isoformat():
            raise ProgramError(_("Nothing was changed: every answer and the date are the ones already recorded. "
                                 "Change what is wrong, or go back without saving."))
        participant = _participant(tx, response["participant_code"])
        problems = date_problems(tx, questionnaire.id, participant, submitted_on.isoformat())
        if problems:
            raise ProgramError(" ".join(problems))
        with tx.action("correct", "responses", response["participant_code"], reason):
            tx.update("responses", response_id, {"answers": answers, "submitted_on": submitted_on.isoformat(),
                                                 "version": questionnaire.version})
            if questionnaire.id == consistency.EXIT:
                tx.update("participants", participant["doc_id"], {"status": status_after(tx, participant["code"])})

    store.write(change, user=user)


def correct_registration(store: SiteStore, code: str, group_code: str, enrolled_on: date, reason: str,
                         user: str) -> None:
    """Another group or registration date, under the rules of registration."""
    reason = _reason(reason)
    group_code = normalise_group(group_code)
    if enrolled_on > clock.today():
        raise ProgramError(_("The enrolment date cannot be in the future."), field="enrolled_on")

    def change(tx: Transaction) -> None:
        participant = _participant(tx, code)
        if participant["group_code"] == group_code and participant["enrolled_on"] == enrolled_on.isoformat():
            raise ProgramError(_("Nothing was changed: the group and the date are the ones already recorded."))
        group = groups.existing(tx, group_code)
        if group_code != participant["group_code"] and group.get("closed_on"):
            raise ProgramError(_("The group %(group)s is closed. Choose an open group.", group=group_code),
                               field="group")
        dated = consistency.registration_problems(tx, code, enrolled_on.isoformat())
        dated += groups.span_problems(group, enrolled_on)
        if dated:
            raise ProgramError(" ".join(dated), field="enrolled_on")
        if group_code != participant["group_code"]:
            marked = sorted(s["number"] for s in tx.find("sessions", group_code=participant["group_code"])
                            if code in s["present"])
            if marked:
                raise ProgramError(_("He is marked present at sessions %(numbers)s of group %(group)s: correct "
                                     "those sessions first.", numbers=", ".join(map(str, marked)),
                                     group=participant["group_code"]), field="group")
        with tx.action("correct", "participants", code, reason):
            tx.update("participants", participant["doc_id"], {"group_code": group_code,
                                                              "enrolled_on": enrolled_on.isoformat()})

    store.write(change, user=user)


# --------------------------------------------------------------------------- withdraw and restore

def withdraw_participant(store: SiteStore, code: str, reason: str, user: str) -> None:
    """A man registered by mistake: out of every listing with his questionnaires and attendance."""
    reason = _reason(reason)
    store.write(lambda tx: withdraw_participant_in(tx, code, reason), user=user)


def withdraw_participant_in(tx: Transaction, code: str, reason: str) -> None:
    """Within a write: the man out of every listing, with his questionnaires and his attendance."""
    participant = _participant(tx, code)
    stamp = _stamp(tx, reason)
    with tx.action("withdraw", "participants", code, reason):
        present_in = []
        for s in tx.all("sessions"):
            if code in s["present"]:
                present_in.append(s["session_id"])
                tx.update("sessions", s["doc_id"], {"present": [c for c in s["present"] if c != code]})
        for r in tx.find("responses", participant_code=code):
            tx.update("responses", r["doc_id"], {WITHDRAWN: {**stamp, "with_participant": True}})
        tx.update("participants", participant["doc_id"], {WITHDRAWN: {**stamp, "present_in": present_in}})
        drafts.discard(tx, code, "intake")
        drafts.discard(tx, code, "exit")


def restore_participant(store: SiteStore, code: str, reason: str, user: str) -> None:
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        participant = _participant(tx, code, withdrawn=True)
        withdrawn = participant.get(WITHDRAWN)
        if not withdrawn:
            raise ProgramError(_("%(code)s is not withdrawn.", code=code))
        with tx.action("restore", "participants", code, reason):
            tx.update("participants", participant["doc_id"], {WITHDRAWN: None})
            for r in tx.with_withdrawn().find("responses", participant_code=code):
                if (r.get(WITHDRAWN) or {}).get("with_participant"):
                    tx.update("responses", r["doc_id"], {WITHDRAWN: None})
            back = set(withdrawn.get("present_in") or [])
            for s in tx.all("sessions"):  # a session withdrawn meanwhile stays without him
                if s["session_id"] in back and code not in s["present"]:
                    tx.update("sessions", s["doc_id"], {"present": sorted(s["present"] + [code])})

    store.write(change, user=user)


def withdraw_response(store: SiteStore, response_id: int, reason: str, user: str) -> None:
    """A questionnaire entered by mistake (another man's, a test): out of every count, restorable."""
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        response = tx.get("responses", response_id)
        if response is None or response.get(WITHDRAWN):
            raise ProgramError(_("That questionnaire is not stored at this site."))
        with tx.action("withdraw", "responses", response["participant_code"], reason):
            tx.update("responses", response_id, {WITHDRAWN: _stamp(tx, reason)})
            if response["questionnaire"] == consistency.EXIT:
                participant = _participant(tx, response["participant_code"])
                tx.update("participants", participant["doc_id"], {"status": "active"})

    store.write(change, user=user)


def restore_response(store: SiteStore, response_id: int, reason: str, user: str) -> None:
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        response = tx.get("responses", response_id)
        if response is None or not response.get(WITHDRAWN):
            raise ProgramError(_("That questionnaire is not withdrawn."))
        participant = _participant(tx, response["participant_code"])
        if tx.first("responses", participant_code=participant["code"], questionnaire=response["questionnaire"]):
            raise ProgramError(_("%(code)s has another questionnaire of this kind now; withdraw that one first.",
                                 code=participant["code"]))
        with tx.action("restore", "responses", participant["code"], reason):
            tx.update("responses", response_id, {WITHDRAWN: None})
            if response["questionnaire"] == consistency.EXIT:
                tx.update("participants", participant["doc_id"], {"status": status_after(tx, participant["code"])})

    store.write(change, user=user)


def undo_exit(store: SiteStore, code: str, reason: str, user: str) -> None:
    """He did not leave after all: the exit record is withdrawn and he is active again."""
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        participant = _participant(tx, code)
        exit_record = tx.first("responses", participant_code=code, questionnaire=consistency.EXIT)
        if exit_record is None:
            raise ProgramError(_("%(code)s has no exit recorded.", code=code))
        with tx.action("undo_exit", "participants", code, reason):
            tx.update("responses", exit_record["doc_id"], {WITHDRAWN: _stamp(tx, reason)})
            tx.update("participants", participant["doc_id"], {"status": "active"})

    store.write(change, user=user)


def withdraw_session(store: SiteStore, session_id: str, reason: str, user: str) -> None:
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        session = tx.first("sessions", session_id=session_id)
        if session is None:
            raise ProgramError(_("That session does not exist."))
        with tx.action("withdraw", "sessions", session_id, reason):
            tx.update("sessions", session["doc_id"], {WITHDRAWN: _stamp(tx, reason)})

    store.write(change, user=user)


def restore_session(store: SiteStore, session_id: str, reason: str, user: str) -> None:
    reason = _reason(reason)

    def change(tx: Transaction) -> None:
        session = tx.with_withdrawn().first("sessions", session_id=session_id)
        if session is None or not session.get(WITHDRAWN):
            raise ProgramError(_("That session is not withdrawn."))
        if tx.first("sessions", group_code=session["group_code"], number=session["number"]):
            raise ProgramError(_("Group %(group)s has another session number %(n)s now; withdraw that one first.",
                                 group=session["group_code"], n=session["number"]))
        with tx.action("restore", "sessions", session_id, reason):
            tx.update("sessions", session["doc_id"], {WITHDRAWN: None})

    store.write(change, user=user)


# --------------------------------------------------------------------------- erase

def erase_participant(store: SiteStore, code: str, reason: str, user: str) -> None:
    """Erase a man at his request: his records and every trace of their content in the history go.

    What stays is a tombstone (``erased``: the code, when, by whom and why) and one audit entry
    saying the same, so the code is never given again and a sync can carry the erasure.
    """
    reason = _reason(reason)
    store.write(lambda tx: erase_participant_in(tx, code, reason), user=user)


def erase_participant_in(tx: Transaction, code: str, reason: str) -> None:
    """Within a write: his records and every trace of their content in the history go; a tombstone stays."""
    participant = _participant(tx, code, withdrawn=True)
    every = tx.with_withdrawn()
    his = {("participants", participant["doc_id"])}
    for s in every.all("sessions"):
        if code in s["present"]:
            tx.purge("sessions", s["doc_id"], {**s, "present": [c for c in s["present"] if c != code]})
    for table in ("responses", "followups"):  # his answers, and the calls made to him
        his |= {(table, r["doc_id"]) for r in every.find(table, participant_code=code)}
    for table, doc_id in his:
        tx.purge(table, doc_id)
    for draft in tx.find(drafts.TABLE, participant_code=code):  # every questionnaire he had started
        tx.remove(drafts.TABLE, draft["doc_id"])
    _scrub_history(tx, code, his)
    with tx.action("erase", "participants", code, reason):
        tx.insert(ERASED, {"code": code, **_stamp(tx, reason)})


def erased(snapshot) -> list[dict]:
    return snapshot.all(ERASED)


def _clean(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "doc_id"}


def _scrub_history(tx: Transaction, code: str, his: set[tuple[str, int]]) -> None:
    """Entries about his records go; his code leaves the lists of the others (who was present)."""
    for entry in tx.all(AUDIT_TABLE):
        steps = entry.get("steps") or [entry]
        if (entry.get("record") == code and entry.get("table") != "sessions") or \
                any((step.get("table"), step.get("record_id")) in his for step in steps):
            tx.purge(AUDIT_TABLE, entry["doc_id"])
            continue
        scrubbed = _without(_clean(entry), code)
        if scrubbed != _clean(entry):
            tx.purge(AUDIT_TABLE, entry["doc_id"], scrubbed)


def _without(value, code: str):
    """The value with the code taken out of every list and blanked in every text."""
    if isinstance(value, dict):
        return {k: _without(v, code) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, code) for v in value if v != code]
    if isinstance(value, str) and code in value:
        return value.replace(code, "—")
    return value
