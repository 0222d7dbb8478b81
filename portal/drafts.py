"""Drafts: a man's answers saved part by part until he sends the questionnaire.

A draft belongs to the man and the questionnaire, not to the code he typed: a replacement
code opens the same draft. It lives in the site's file (table ``drafts``, kept out of the
audit), is written through ``SiteStore.write`` like everything else, and never leaves the
site: no export, indicator, sheet or summary reads that table. It goes away when the
questionnaire is sent (in the same write that stores the response) or when no working code
for it is left (``sweep``).

Saving a part he sends, and sending the questionnaire after the last one, is ``answering.py``.

A draft started under an earlier version of the questionnaire (forms/ changed while he was half-way) is moved to
the current version when it is opened (``carried_over``): an answer keeps its place where it means the same
(a renamed choice takes its new name); an answer to a question no longer asked, or with a choice no longer
offered, is dropped, so he is asked again rather than sending an answer the new version reads otherwise. Why
not finish under the old version: the man's pages, their skip rules and the paper he may hold are the current
version's, and two versions of the same questionnaire on his phone would be one more thing to go wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import access_codes, storage
from .questionnaires import Page, Questionnaire
from .storage import Transaction

TABLE = "drafts"


@dataclass
class Draft:
    answers: dict[str, Any] = field(default_factory=dict)
    reached: int = 0  # index of the furthest part he was sent to
    rejected: dict | None = None  # {"page": i, "raw": {...}, "errors": {...}} of the last refused part
    saved_at: str | None = None
    doc_id: int | None = None

    @property
    def started(self) -> bool:
        return self.doc_id is not None


def load(snapshot, participant_code: str, questionnaire: str, current: Questionnaire | None = None) -> Draft:
    """His draft; with ``current``, moved to that version if it was started under another one."""
    doc = snapshot.first(TABLE, participant_code=participant_code, questionnaire=questionnaire)
    if doc is None:
        return Draft()
    answers = doc.get("answers") or {}
    rejected = doc.get("rejected")
    if current is not None and doc.get("version", current.version) != current.version:
        answers, rejected = carried_over(current, answers), None
    return Draft(answers, doc.get("reached", 0), rejected, doc.get("saved_at"), doc["doc_id"])


def carried_over(current: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers of a draft of an earlier version that mean the same in ``current``."""
    kept = {}
    for q in current.questions:
        if q.name not in answers or answers[q.name] is None:
            continue
        renamed = {old: c.name for c in q.choices for old in c.renamed_from}
        value = answers[q.name]
        value = [renamed.get(v, v) for v in value] if isinstance(value, list) else renamed.get(value, value)
        try:
            if q.parse(as_raw(value)) == value:
                kept[q.name] = value
        except ValueError:
            pass  # no longer offered, or no longer that kind of answer: asked again
    return kept


def discard(tx: Transaction, participant_code: str, questionnaire: str) -> None:
    for doc in tx.find(TABLE, participant_code=participant_code, questionnaire=questionnaire):
        tx.remove(TABLE, doc["doc_id"])


def shown_pages(questionnaire: Questionnaire, answers: dict) -> list[Page]:
    return [p for p in questionnaire.pages if questionnaire.page_shown(p, answers)]


def current_page(questionnaire: Questionnaire, draft: Draft) -> int:
    """The part he reached, or the last part before it that his answers still show."""
    shown = [p.index for p in shown_pages(questionnaire, draft.answers)]
    before = [i for i in shown if i <= draft.reached]
    return before[-1] if before else (shown[0] if shown else 0)


def may_open(questionnaire: Questionnaire, draft: Draft, index: int) -> bool:
    """A part he has reached and that his answers show."""
    if not 0 <= index < len(questionnaire.pages) or index > max(draft.reached, 0):
        return False
    return questionnaire.page_shown(questionnaire.pages[index], draft.answers)


def progress(questionnaire: Questionnaire, answers: dict, index: int) -> tuple[int, int]:
    """(this part's position, parts in all) as he sees them. A later part counts while it is shown, or while
    the questions that decide it are still to come; a part his answers already hide does not."""
    to_come = {q.name for p in questionnaire.pages[index:] for q in p.items} - set(answers)
    shown = [p for p in questionnaire.pages if p.index == index or questionnaire.page_shown(p, answers)
             or (p.index > index and _undecided(p, to_come))]
    position = next((i for i, p in enumerate(shown, start=1) if p.index == index), 1)
    return position, len(shown)


def total_is_final(questionnaire: Questionnaire, answers: dict, index: int) -> bool:
    """No later part waits on an answer still to come: the count of parts will not change as he goes on."""
    to_come = {q.name for p in questionnaire.pages[index:] for q in p.items} - set(answers)
    return not any(_undecided(p, to_come) for p in questionnaire.pages[index + 1:])


def _undecided(page, to_come: set[str]) -> bool:
    rules = [r for q in page.items for r in (q.relevant, q.group.relevant if q.group else None) if r is not None]
    return any(rule.references & to_come for rule in rules)


def put(tx: Transaction, draft: Draft, participant_code: str, questionnaire: Questionnaire, answers: dict,
        reached: int, rejected: dict | None) -> None:
    """Write his draft of ``questionnaire`` as it stands now (started now if it was not yet)."""
    doc = {"participant_code": participant_code, "questionnaire": questionnaire.id,
           "version": questionnaire.version, "answers": answers, "reached": reached, "rejected": rejected,
           "saved_at": storage.now_iso()}
    if draft.started:
        tx.update(TABLE, draft.doc_id, doc)
    else:
        tx.insert(TABLE, {**doc, "started_at": doc["saved_at"]})


def as_raw(value: Any) -> Any:
    """A stored or typed value as the form shows it again (strings, a list of them, or None)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def sweep(instance_path: str | Path) -> int:
    """Remove the drafts that no working code can open any more; return how many went.

    Codes live in the instance's ``codes.json``, drafts in each site's file: the stopped
    codes are read first, their drafts removed site by site, and only then are those codes
    marked as looked at (a site that cannot be written is tried again next time).
    """
    codes = access_codes.codes_store(instance_path)
    pairs, digests = access_codes.stopped_codes(codes)
    by_site: dict[str, set[tuple[str, str]]] = {}
    for site, man, qid in pairs:
        by_site.setdefault(site, set()).add((man, qid))
    removed, failed_sites = 0, set()
    for site, wanted in by_site.items():
        try:
            store = storage.store_for_site(instance_path, site)
            if not any((d["participant_code"], d["questionnaire"]) in wanted for d in store.read().all(TABLE)):
                continue
            removed += store.write(lambda tx: _remove(tx, wanted), user="portal")
        except (storage.StoreError, storage.InvalidSiteCode):
            failed_sites.add(site)
    access_codes.mark_checked(codes, [d for d, site in digests if site not in failed_sites])
    return removed


def _remove(tx: Transaction, wanted: set[tuple[str, str]]) -> int:
    gone = [d for d in tx.all(TABLE) if (d["participant_code"], d["questionnaire"]) in wanted]
    for d in gone:
        tx.remove(TABLE, d["doc_id"])
    return len(gone)

