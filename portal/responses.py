"""Submitted questionnaires: one document each, keyed answers, who entered it."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from . import consistency, drafts
from .participants import ProgramError, set_status_from_exit
from .questionnaires import Questionnaire, localized
from .storage import SiteStore, Transaction

ENTERED_BY = ("self", "facilitator", "paper", "sync")  # sync: received from the site's portal


def add_response(tx: Transaction, questionnaire: Questionnaire, participant_code: str, answers: dict,
                 entered_by: str, user: str | None, submitted_on: date) -> int:
    """Store a validated submission inside a write; an exit record also sets the man's status.

    A draft the man had started of the same questionnaire goes in the same write.
    """
    participant = tx.first("participants", code=participant_code)
    if participant is None:
        raise ProgramError(_("The participant %(code)s does not exist at this site.", code=participant_code))
    problems = date_problems(tx, questionnaire.id, participant, submitted_on.isoformat())
    if problems:
        raise ProgramError(" ".join(problems))
    if tx.first("responses", participant_code=participant_code, questionnaire=questionnaire.id):
        raise ProgramError(_("This questionnaire (%(name)s) was already received for %(code)s; it cannot be "
                             "entered twice.", name=localized(questionnaire.title), code=participant_code))
    drafts.discard(tx, participant_code, questionnaire.id)
    return insert_response(tx, questionnaire, participant_code, answers, entered_by, user, submitted_on)


def date_problems(snapshot, qid: str, participant: dict, submitted_on: str) -> list[str]:
    """The consistency rules for a questionnaire's date (an exit's too)."""
    problems = consistency.response_problems(submitted_on, participant)
    if qid == consistency.EXIT:
        problems += consistency.exit_problems(snapshot, participant["code"], submitted_on)
    return problems


def insert_response(tx: Transaction, questionnaire: Questionnaire, participant_code: str, answers: dict,
                    entered_by: str, user: str | None, submitted_on: date) -> int:
    """Insert a submission already checked against the site (the CSV import checks in bulk)."""
    if entered_by not in ENTERED_BY:
        raise ValueError(entered_by)
    doc_id = tx.insert("responses", {
        "participant_code": participant_code,
        "questionnaire": questionnaire.id,
        "version": questionnaire.version,
        "submitted_on": submitted_on.isoformat(),
        "entered_by": entered_by,
        "user": user,
        "answers": answers,
    })
    if questionnaire.id == "facilitator_exit":
        set_status_from_exit(tx, participant_code, answers.get("exit_reason", "other"))
    return doc_id


def save_response(store: SiteStore, questionnaire: Questionnaire, participant_code: str, answers: dict,
                  entered_by: str, user: str | None, submitted_on: date) -> int:
    return store.write(lambda tx: add_response(tx, questionnaire, participant_code, answers, entered_by, user,
                                               submitted_on), user=user or "participant")


def responses_of(snapshot, participant_code: str) -> dict[str, dict]:
    return {r["questionnaire"]: r for r in snapshot.find("responses", participant_code=participant_code)}
