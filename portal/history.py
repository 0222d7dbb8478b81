"""The audit table read as a person reads it: who, when, what changed (old and new) and why.

Plain data out (``Entry`` rows with texts), so the site's history page and a man's file
show the same lines. Answers are shown as their labels, dates as dd/mm/aaaa.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from .attendance import VENUES
from .i18n import short_date
from .participants import STATUSES
from .questionnaires import Questionnaire, localized
from .storage import AUDIT_TABLE, WITHDRAWN

KINDS = {
    "create": _l("Entered"),
    "update": _l("Changed"),
    "delete": _l("Removed"),
    "correct": _l("Corrected"),
    "withdraw": _l("Withdrawn"),
    "restore": _l("Restored"),
    "undo_exit": _l("Exit undone"),
    "erase": _l("Erased at his request"),
}
TABLES = {"participants": _l("Participant"), "responses": _l("Questionnaire"), "sessions": _l("Session"),
          "groups": _l("Group"), "erased": _l("Erasure"), "followups": _l("Follow-up call")}
FIELDS = {"group_code": _l("Group"), "enrolled_on": _l("Enrolled"), "status": _l("Status"),
          "date": _l("Date"), "number": _l("Session number"), "venue": _l("Place"), "present": _l("Who came"),
          "submitted_on": _l("Date"), "closed_on": _l("Closed")}
QUIET_FIELDS = {WITHDRAWN, "version", "doc_id", "started_on"}


@dataclass
class Change:
    what: str
    old: str
    new: str


@dataclass
class Entry:
    at: str
    user: str
    kind: str
    kind_label: str
    table: str
    subject: str  # the man's code, a session id, ...
    reason: str | None
    changes: list[Change] = field(default_factory=list)
    participant_codes: set[str] = field(default_factory=set)


def entries(snapshot, questionnaires: dict[str, Questionnaire], version_of=None) -> list[Entry]:
    """Every entry of the site's history, newest first; a questionnaire's answers read with the definition of the
    version he answered when ``version_of(id, version)`` gives it (form_versions.Catalog.of)."""
    every = snapshot.with_withdrawn()
    forms = _Forms(questionnaires, version_of)
    return [_entry(raw, every, forms) for raw in reversed(snapshot.all(AUDIT_TABLE))]


class _Forms(dict):
    """The current definitions by id, and the definition of a stored response's version."""

    def __init__(self, questionnaires, version_of):
        super().__init__(questionnaires)
        self.version_of = version_of

    def of_response(self, doc: dict) -> Questionnaire | None:
        qid = doc.get("questionnaire")
        if qid not in self:
            return None
        return self.version_of(qid, doc.get("version")) if self.version_of else self[qid]


def of_participant(rows: list[Entry], code: str) -> list[Entry]:
    return [e for e in rows if code in e.participant_codes]


def filtered(rows: list[Entry], since: str | None = None, until: str | None = None, user: str | None = None,
             kind: str | None = None) -> list[Entry]:
    return [e for e in rows if (not since or e.at[:10] >= since) and (not until or e.at[:10] <= until)
            and (not user or e.user == user) and (not kind or e.kind == kind)]


def _entry(raw: dict, every, questionnaires) -> Entry:
    steps = raw.get("steps") or [raw]
    entry = Entry(raw["at"], raw.get("user") or "", raw["action"], str(KINDS.get(raw["action"], raw["action"])),
                  raw["table"], "", raw.get("reason"))
    for step in steps:
        doc = every.get(step["table"], step["record_id"]) if step.get("record_id") else None
        doc = doc or (step.get("changes") or {}).get("before") or {}
        entry.participant_codes |= _codes(step, doc)
        if not entry.subject and step["table"] == raw["table"]:
            entry.subject = _subject(step["table"], doc, questionnaires)
        entry.changes += _changes(step, doc, questionnaires)
    if raw["table"] in ("participants", "responses", "erased") and raw.get("record"):
        entry.participant_codes.add(raw["record"])
    if raw["table"] in ("participants", "erased") and raw.get("record"):
        entry.subject = _subject("participants", {"code": raw["record"]}, questionnaires)
    entry.subject = entry.subject or raw.get("record") or ""
    return entry


def _codes(step: dict, doc: dict) -> set[str]:
    """The men an entry is about: the record's own man, or men added to or taken off a session."""
    codes = {c for c in (doc.get("code") if step["table"] == "participants" else None, doc.get("participant_code"))
             if c}
    present = (step.get("changes") or {}).get("present")
    if present:
        old, new = set(present[0] or []), set(present[1] or [])
        codes |= old ^ new
    return codes


def _subject(table: str, doc: dict, questionnaires) -> str:
    if table in ("participants", "groups", "erased"):
        return f"{TABLES[table]} {doc.get('code', '')}".strip()
    if table == "responses" and doc.get("questionnaire") in questionnaires:
        return f"{localized(questionnaires[doc['questionnaire']].title)} · {doc.get('participant_code', '')}"
    if table == "followups" and doc:
        return f"{TABLES[table]} · {doc.get('participant_code', '')}"
    if table == "sessions" and doc:
        return str(_l("Session %(n)s of group %(group)s", n=doc.get("number"), group=doc.get("group_code")))
    return doc.get("code", "") if doc else ""


def _changes(step: dict, doc: dict, questionnaires) -> list[Change]:
    changes = step.get("changes") or {}
    if "before" in changes:
        return []
    out = []
    for name, pair in changes.items():
        if name in QUIET_FIELDS or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if name == "answers":
            out += _answer_changes(questionnaires.of_response(doc), old or {}, new or {})
        elif name == "present":
            gone, came = sorted(set(old or []) - set(new or [])), sorted(set(new or []) - set(old or []))
            out.append(Change(str(FIELDS["present"]), ", ".join(gone) or "—", ", ".join(came) or "—"))
        else:
            out.append(Change(str(FIELDS.get(name, name)), _text(name, old), _text(name, new)))
    return out


def _answer_changes(questionnaire: Questionnaire | None, old: dict, new: dict) -> list[Change]:
    """One line per question whose answer changed, in the questionnaire's order, with labels."""
    if questionnaire is None:
        return [Change(k, str(old.get(k, "—")), str(new.get(k, "—"))) for k in sorted(set(old) | set(new))
                if old.get(k) != new.get(k)]
    return [Change(localized(q.label), answer_text(q, old.get(q.name)), answer_text(q, new.get(q.name)))
            for q in questionnaire.questions if old.get(q.name) != new.get(q.name)]


def answer_text(question, value) -> str:
    """A stored answer as a person reads it: choice labels, dd/mm/aaaa, '—' when not answered."""
    if value is None or value == [] or value == "":
        return "—"
    if question.type == "select_multiple":
        return ", ".join(question.choice_label(v) for v in value)
    if question.type == "select_one":
        return question.choice_label(value)
    if question.type == "date":
        return short_date(value)
    return str(value)


def _text(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name in ("enrolled_on", "date", "submitted_on", "closed_on"):
        return short_date(value)
    if name == "status":
        return str(STATUSES.get(value, value))
    if name == "venue":
        return str(VENUES.get(value, value))
    return str(value)
