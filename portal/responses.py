"""Submitted questionnaires: one document each, keyed answers, who entered it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from . import consistency, drafts
from .participants import ProgramError, set_status_from_exit
from .questionnaires import Questionnaire, localized
from .storage import SiteStore, Transaction

# A facilitator's questionnaire carries its own date: the record is dated by that answer.
DATING_QUESTIONS = ("interview_date", "exit_date")


def dating_answer(answers: dict) -> tuple[str, date] | None:
    """(question, day) of the answer that dates a record, if it has one."""
    for name in DATING_QUESTIONS:
        if answers.get(name):
            return name, date.fromisoformat(answers[name])
    return None

ENTERED_BY = ("self", "facilitator", "paper", "sync")  # sync: received from the site's portal


@dataclass(frozen=True)
class Submission:
    """A filled questionnaire on its way to the site's file, its answers already validated.

    Made only with ``entered_by`` one of ``ENTERED_BY`` (else ``ValueError``). ``user`` is the staff member who
    entered it, or None when the man sent it himself; the version stored is ``questionnaire.version``.
    """
    questionnaire: Questionnaire
    participant_code: str
    answers: dict
    entered_by: str
    user: str | None
    submitted_on: date

    def __post_init__(self) -> None:
        if self.entered_by not in ENTERED_BY:
            raise ValueError(self.entered_by)


def add_response(tx: Transaction, submission: Submission) -> int:
    """Store a validated submission inside a write; an exit record also sets the man's status.

    A draft the man had started of the same questionnaire goes in the same write.
    """
    code, questionnaire = submission.participant_code, submission.questionnaire
    participant = tx.first("participants", code=code)
    if participant is None:
        raise ProgramError(_("The participant %(code)s does not exist at this site.", code=code))
    problems = date_problems(tx, questionnaire.id, participant, submission.submitted_on.isoformat())
    if problems:
        raise ProgramError(" ".join(problems))
    if tx.first("responses", participant_code=code, questionnaire=questionnaire.id):
        raise ProgramError(_("This questionnaire (%(name)s) was already received for %(code)s; it cannot be "
                             "entered twice.", name=localized(questionnaire.title), code=code))
    drafts.discard(tx, code, questionnaire.id)
    return insert_response(tx, submission)


def date_problems(snapshot, qid: str, participant: dict, submitted_on: str) -> list[str]:
    """The consistency rules for a questionnaire's date (an exit's too)."""
    problems = consistency.response_problems(submitted_on, participant)
    if qid == consistency.EXIT:
        problems += consistency.exit_problems(snapshot, participant["code"], submitted_on)
    return problems


def insert_response(tx: Transaction, submission: Submission) -> int:
    """Insert a submission already checked against the site (the CSV import checks in bulk)."""
    doc_id = tx.insert("responses", {
        "participant_code": submission.participant_code,
        "questionnaire": submission.questionnaire.id,
        "version": submission.questionnaire.version,
        "submitted_on": submission.submitted_on.isoformat(),
        "entered_by": submission.entered_by,
        "user": submission.user,
        "answers": submission.answers,
    })
    if submission.questionnaire.id == "facilitator_exit":
        set_status_from_exit(tx, submission.participant_code, submission.answers.get("exit_reason", "other"))
    return doc_id


def save_response(store: SiteStore, submission: Submission) -> int:
    """``add_response`` in a write of its own, under the name of whoever entered it."""
    return store.write(lambda tx: add_response(tx, submission), user=submission.user or "participant")


def responses_of(snapshot, participant_code: str) -> dict[str, dict]:
    return {r["questionnaire"]: r for r in snapshot.find("responses", participant_code=participant_code)}
