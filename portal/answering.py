"""A man answering a questionnaire on his own: each part he sends saved into his draft, the last one sent.

Each part is judged by ``Questionnaire.validate`` as far as the man has come: an answer
that breaks a rule on this part or an earlier one keeps him on that part (what he typed and
the messages are kept in the draft, so a reload shows them again); answers to later parts
that a change made invalid or hidden are dropped. After the last part his answers are stored
as his response (``responses.add_response``, which also removes the draft) in the same write.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from .drafts import as_raw, load, put, shown_pages
from .participants import ProgramError
from .questionnaires import Questionnaire
from .responses import Submission, add_response
from .storage import SiteStore, Transaction

SENT = -1  # what ``save_part`` returns when the questionnaire was sent


def save_part(store: SiteStore, questionnaire: Questionnaire, participant_code: str, index: int,
              raw_page: dict[str, Any], going_back: bool, today: date) -> int:
    """Save one part he sent; return the part to show next, or ``SENT``.

    Going back keeps what is valid on this part and never stops him. Going on stops at the
    first part with a problem. After the last part the response is stored and the draft
    removed in the same write, so an answered questionnaire is never half saved.
    """
    return store.write(lambda tx: _save_part(tx, questionnaire, participant_code, index, raw_page, going_back,
                                             today), user="participant")


def _save_part(tx: Transaction, questionnaire: Questionnaire, participant_code: str, index: int,
               raw_page: dict[str, Any], going_back: bool, today: date) -> int:
    if tx.first("participants", code=participant_code) is None:
        # Erased (or withdrawn) since he opened the part: checked in the same write, so no draft outlives him.
        raise ProgramError(_("That code is not right. Check each letter and number and try again."))
    draft = load(tx, participant_code, questionnaire.id, questionnaire)
    page = questionnaire.pages[index]
    merged = dict(draft.answers)
    for q in page.questions:
        merged[q.name] = raw_page.get(q.name)
    result = questionnaire.validate(merged)
    page_of = {q.name: p.index for p in questionnaire.pages for q in p.questions}
    if going_back:
        previous = [p.index for p in shown_pages(questionnaire, result.answers) if p.index < index]
        put(tx, draft, participant_code, questionnaire, result.answers, draft.reached, None)
        return previous[-1] if previous else index
    blocking = {n: m for n, m in result.errors.items() if page_of[n] <= index}
    if blocking:
        first = min(page_of[n] for n in blocking)
        rejected = {"page": first,
                    "raw": {q.name: as_raw(merged.get(q.name)) for q in questionnaire.pages[first].questions},
                    "errors": {n: m for n, m in blocking.items() if page_of[n] == first}}
        put(tx, draft, participant_code, questionnaire, result.answers, draft.reached, rejected)
        return first
    following = [p.index for p in shown_pages(questionnaire, result.answers) if p.index > index]
    if following:
        put(tx, draft, participant_code, questionnaire, result.answers, max(draft.reached, following[0]), None)
        return following[0]
    # Every shown part is behind him and nothing blocks: the questionnaire is sent.
    add_response(tx, Submission(questionnaire, participant_code, result.answers, "self", None, today))
    return SENT
