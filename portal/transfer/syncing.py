"""A sync: this portal's copy of a site made equal to an export of that site.

The export is checked first, as a whole and on its own (every row with the rules of the web
forms, as if it went into an empty site), without the site's write lock. Then, in one write,
the copy is compared with it record by record: what the export has and the copy lacks is
added, what differs is corrected, what the copy has and the export lacks is withdrawn (or
erased, when the export's manifest says the site erased that man), and a withdrawn record the
export has again is restored. Each change is one entry of the site's history whose reason names
the export. Nothing is ever deleted but by an erasure the site made.

A sync refuses, changing nothing: an export without its manifest or with a file changed since,
a de-identified copy, an export of another site, one older than the export the copy was
last made equal to (kept in the table ``synced``), and one dated in the future (beyond
``CLOCK_SKEW``: such a date would make every genuine export after it look older).

Erasure is an administrator's act. A manifest is a file anybody holding the export can edit (and
recompute its sums), so an erasure it lists is carried out only by an administrator of this portal
(``may_erase``): anybody else's sync that would erase a man is refused and waits for one.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import ngettext

from ..corrections import ERASED, erase_participant_in, status_after, withdraw_participant_in
from ..participants import ensure_group
from ..questionnaires import Questionnaire
from ..registry import Site
from ..responses import Submission, insert_response
from ..storage import WITHDRAWN, SiteStore, Snapshot, Transaction, now_iso
from .export import natural
from .importing import Plan, judge
from .layout import DEIDENTIFIED_MARKER, TABLES
from .manifest import Manifest, ManifestProblem, file_problems, moment, parse_moment, read_manifest
from .problems import ImportRefused, Problem, ProblemList
from .reading import Batch, read_batch

SYNCED = "synced"  # one record: the export this copy was last made equal to
SYNC_ENTERED_BY = "sync"
ADD, CORRECT, RESTORE, WITHDRAW, ERASE = "add", "correct", "restore", "withdraw", "erase"
KINDS = (ADD, CORRECT, RESTORE, WITHDRAW, ERASE)

Progress = Callable[[int], None]
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of this portal's clock an export's time may be


@dataclass(frozen=True)
class Step:
    """One record to change: ``kind`` on ``key`` of ``table`` (participants, sessions or a questionnaire)."""

    kind: str
    table: str
    key: str  # a man's code or a session id
    new: dict | None = None  # the record as the export has it (None for a withdrawal or an erasure)


@dataclass
class Changes:
    """What a sync changes in the copy, and how many records it leaves as they are, per table."""

    steps: list[Step] = field(default_factory=list)
    unchanged: Counter = field(default_factory=Counter)

    def counts(self) -> dict[str, Counter]:
        out = {table: Counter() for table in TABLES}
        for step in self.steps:
            out[step.table][step.kind] += 1
        return out

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def erasures(self) -> int:
        """How many men the sync would erase for good."""
        return sum(1 for step in self.steps if step.kind == ERASE)


@dataclass
class Target:
    """The site as the export has it."""

    men: dict[str, dict]  # code -> group_code, enrolled_on
    sessions: dict[str, dict]  # session id -> group_code, number, date, venue, present
    responses: dict[tuple[str, str], dict]  # (questionnaire, code) -> submitted_on, answers
    erased: list[str]

    @classmethod
    def of(cls, plan: Plan, manifest: Manifest) -> Target:
        men = {code: {"group_code": group, "enrolled_on": day} for code, group, day in plan.men.new()}
        sessions = {s["session_id"]: {k: s[k] for k in ("group_code", "number", "date", "venue", "present")}
                    for s in plan.sessions}
        responses = {(r.questionnaire.id, r.code): {"submitted_on": r.submitted.isoformat(), "answers": r.answers}
                     for r in plan.responses}
        return cls(men, sessions, responses, list(manifest.erased))


@dataclass
class Sync:
    """An export read, checked and ready to be compared with the copy."""

    site: Site
    manifest: Manifest
    target: Target
    questionnaires: Mapping[str, Questionnaire]
    may_erase: bool = False  # only an administrator of this portal carries out an erasure

    def reason(self) -> str:
        return _("Sync with the export of %(site)s made on %(day)s (revision %(revision)s, portal %(portal)s).",
                 site=self.manifest.site, day=self.manifest.when(), revision=self.manifest.revision,
                 portal=self.manifest.portal_name)

    def changes(self, snapshot: Snapshot) -> Changes:
        return compare(snapshot, self.target, self.questionnaires)

    def apply(self, tx: Transaction) -> Changes | ProblemList:
        """Inside the write: refuse an export older than the copy's, else make the copy equal to it."""
        older = older_problem(tx, self.manifest)
        if older is not None:
            problems = ProblemList()
            problems.add(older)
            return problems
        changes = self.changes(tx)
        if not self.may_erase and changes.erasures:
            problems = ProblemList()
            problems.add(erasure_problem(changes.erasures))
            return problems
        reason = self.reason()
        for step in changes.steps:
            APPLY[step.kind](tx, self, step, reason)
        if changes.steps:
            _settle_statuses(tx, self.target, reason)
        _remember(tx, self.manifest)
        return changes


def prepare(snapshot: Snapshot, site: Site, questionnaires: Mapping[str, Questionnaire], files: Mapping[str, bytes],
            batch: Batch | None = None, progress: Progress | None = None) -> Sync:
    """Read and check an export for a sync; ImportRefused (nothing changed) if it cannot be synced."""
    try:
        manifest = read_manifest(files)
    except ManifestProblem as exc:
        deidentified = DEIDENTIFIED_MARKER in files
        problem = _deidentified_problem() if deidentified else exc.problem
        raise ImportRefused([problem]) from None
    if manifest.deidentified or DEIDENTIFIED_MARKER in files:
        raise ImportRefused([_deidentified_problem()])
    if manifest.site != site.code:
        raise ImportRefused([Problem("manifest.json", None, None, _(
            "This is an export of the site %(other)s, not of %(site)s: sync it into %(other)s.",
            other=manifest.site, site=site.code))])
    problems = ProblemList()
    problems.extend(file_problems(manifest, files))
    future = future_problem(manifest)
    if future is not None:
        problems.add(future)
    older = older_problem(snapshot, manifest)
    if older is not None:
        problems.add(older)
    if problems:
        raise problems.refusal()
    batch = batch or read_batch(files, questionnaires)
    plan, problems = judge(_empty_site(snapshot, manifest), site, questionnaires, batch, progress)
    if problems:
        raise problems.refusal()
    return Sync(site, manifest, Target.of(plan, manifest), questionnaires)


def sync_files(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire], files: Mapping[str, bytes],
               user: str, batch: Batch | None = None, progress: Progress | None = None,
               may_erase: bool = False) -> tuple[Sync, Changes]:
    """Make the copy of the site equal to the export in ``files``, in one write; ImportRefused if it cannot
    (an erasure too, unless ``may_erase``: the user is an administrator of this portal)."""
    sync = prepare(store.read(), site, questionnaires, files, batch, progress)
    sync.may_erase = may_erase
    outcome = store.write(sync.apply, user=user)
    if isinstance(outcome, ProblemList):
        raise outcome.refusal()
    return sync, outcome


def _deidentified_problem() -> Problem:
    return Problem(DEIDENTIFIED_MARKER, None, None, _(
        "These files are a de-identified copy: their codes and dates were changed on purpose, so they cannot be "
        "synced. Sync the full export instead."))


def _empty_site(snapshot: Snapshot, manifest: Manifest) -> Snapshot:
    """What the rows of an export are checked against: a site with nothing but the site's groups and the men
    erased here or at the site (none of them may come back)."""
    codes = sorted({e["code"] for e in snapshot.all(ERASED)} | set(manifest.erased))
    return Snapshot({ERASED: {str(i): {"code": code} for i, code in enumerate(codes, start=1)},
                     "groups": {str(i): {"code": code} for i, code in enumerate(manifest.groups, start=1)}})


def held(snapshot: Snapshot) -> dict | None:
    """The export the copy was last made equal to (site, portal, revision, exported_at), if any."""
    return snapshot.first(SYNCED)


def older_problem(snapshot: Snapshot, manifest: Manifest) -> Problem | None:
    """Why ``manifest``'s export is older than the one the copy holds (None if it is not)."""
    last = held(snapshot)
    if last is None:
        return None
    same_portal = last["portal_id"] == manifest.portal_id
    older = parse_moment(manifest.exported_at) < parse_moment(last["exported_at"]) or \
        (same_portal and manifest.revision < last["revision"])
    if not older:
        return None
    return Problem("manifest.json", None, None, _(
        "This export was made on %(day)s (revision %(revision)s), but this portal already holds the data of "
        "%(site)s from a later export, made on %(held_day)s (revision %(held_revision)s). Nothing was changed: "
        "sync the latest export of the site.", day=manifest.when(), revision=manifest.revision, site=manifest.site,
        held_day=moment(last["exported_at"]), held_revision=last["revision"]))


def future_problem(manifest: Manifest, now: datetime | None = None) -> Problem | None:
    """Why ``manifest``'s time cannot be true (None if it can): later than now, beyond a clock's error."""
    now = now or datetime.now(timezone.utc)
    if parse_moment(manifest.exported_at) <= now + CLOCK_SKEW:
        return None
    return Problem("manifest.json", None, None, _(
        "This export says it was made on %(day)s, which is later than now (%(now)s): its manifest was changed, or "
        "the clock of the computer that made it is wrong. Nothing was changed: fix that computer's date and time, "
        "and export the site again.", day=manifest.when(), now=moment(now.isoformat())))


def erasure_problem(count: int) -> Problem:
    """A sync that would erase men, asked for by someone who is not an administrator of this portal."""
    return Problem("manifest.json", None, None, ngettext(
        "This sync would erase %(num)s man for good. Only an administrator of this portal can confirm an erasure: "
        "the sync waits for one. Nothing was changed.",
        "This sync would erase %(num)s men for good. Only an administrator of this portal can confirm an erasure: "
        "the sync waits for one. Nothing was changed.", count))


def _remember(tx: Transaction, manifest: Manifest) -> None:
    """Keep which export the copy now equals (a sync of the same export again changes nothing, not even this)."""
    record = {"site": manifest.site, "portal_id": manifest.portal_id, "portal_name": manifest.portal_name,
              "revision": manifest.revision, "exported_at": manifest.exported_at, "synced_at": now_iso(),
              "user": tx.user}
    last = tx.first(SYNCED)
    if last is not None and not tx.changed and all(last.get(k) == record[k] for k in ("portal_id", "revision",
                                                                                      "exported_at")):
        return
    if last is None:
        tx.insert(SYNCED, record)
    else:
        tx.update(SYNCED, last["doc_id"], record)


# --------------------------------------------------------------------------- comparing

def compare(snapshot: Snapshot, target: Target, questionnaires: Mapping[str, Questionnaire]) -> Changes:
    """The steps that make the site in ``snapshot`` equal to ``target``, in the order they are taken."""
    changes = Changes()
    every = snapshot.with_withdrawn()
    men_here = {p["code"]: p for p in every.all("participants")}
    erased_here = {e["code"] for e in snapshot.all(ERASED)}
    leaving = set()  # men whose records go with them (withdrawn or erased as a whole)

    for code in target.erased:
        if code in men_here or code not in erased_here:
            changes.steps.append(Step(ERASE, "participants", code))
            leaving.add(code)
    for code, man in men_here.items():
        if code not in target.men and code not in leaving and not man.get(WITHDRAWN):
            changes.steps.append(Step(WITHDRAW, "participants", code))
            leaving.add(code)

    sessions_here = {s["session_id"]: s for s in every.all("sessions")}
    for session_id, session in sessions_here.items():
        if session_id not in target.sessions and not session.get(WITHDRAWN):
            changes.steps.append(Step(WITHDRAW, "sessions", session_id))

    responses_here: dict[tuple[str, str], list[dict]] = {}
    for r in every.all("responses"):
        responses_here.setdefault((r["questionnaire"], r["participant_code"]), []).append(r)
    for (qid, code), found in sorted(responses_here.items()):
        if (qid, code) not in target.responses and code not in leaving and any(not r.get(WITHDRAWN) for r in found):
            changes.steps.append(Step(WITHDRAW, qid, code))

    for code, new in sorted(target.men.items(), key=lambda item: (item[1]["enrolled_on"], item[0])):
        _compare(changes, "participants", code, men_here.get(code), new, ("group_code", "enrolled_on"))
    for session_id, new in sorted(target.sessions.items(), key=lambda item: natural(item[0])):
        here = sessions_here.get(session_id)
        if here is not None:
            here = {**here, "present": sorted(here["present"])}
        _compare(changes, "sessions", session_id, here, new, ("group_code", "number", "date", "venue", "present"))
    for (qid, code), new in sorted(target.responses.items(), key=lambda item: (TABLES.index(item[0][0]), item[0][1])):
        names = [q.name for q in questionnaires[qid].questions]
        found = responses_here.get((qid, code), [])
        visible = [r for r in found if not r.get(WITHDRAWN)]
        here = visible[0] if visible else (max(found, key=lambda r: r["doc_id"]) if found else None)
        seen = None if here is None else {**here, "answers": {n: here["answers"].get(n) for n in names}}
        _compare(changes, qid, code, seen, {**new, "answers": {n: new["answers"].get(n) for n in names}},
                 ("submitted_on", "answers"))
    return changes


def _compare(changes: Changes, table: str, key: str, here: dict | None, new: dict, fields: tuple[str, ...]) -> None:
    if here is None:
        changes.steps.append(Step(ADD, table, key, new))
    elif here.get(WITHDRAWN):
        changes.steps.append(Step(RESTORE, table, key, new))
    elif any(here.get(f) != new[f] for f in fields):
        changes.steps.append(Step(CORRECT, table, key, new))
    else:
        changes.unchanged[table] += 1


# --------------------------------------------------------------------------- changing

def _erase(tx: Transaction, sync: Sync, step: Step, reason: str) -> None:
    if tx.with_withdrawn().first("participants", code=step.key) is not None:
        erase_participant_in(tx, step.key, reason)
    elif tx.first(ERASED, code=step.key) is None:  # never at this portal: only the fact stays, so he cannot come
        with tx.action("erase", "participants", step.key, reason):
            tx.insert(ERASED, {"code": step.key, "at": now_iso(), "by": tx.user, "reason": reason})


def _withdraw(tx: Transaction, sync: Sync, step: Step, reason: str) -> None:
    stamp = {"at": now_iso(), "by": tx.user, "reason": reason}
    if step.table == "participants":
        withdraw_participant_in(tx, step.key, reason)
    elif step.table == "sessions":
        session = tx.first("sessions", session_id=step.key)
        with tx.action("withdraw", "sessions", step.key, reason):
            tx.update("sessions", session["doc_id"], {WITHDRAWN: stamp})
    else:
        response = tx.first("responses", participant_code=step.key, questionnaire=step.table)
        with tx.action("withdraw", "responses", step.key, reason):
            tx.update("responses", response["doc_id"], {WITHDRAWN: stamp})


def _put(tx: Transaction, sync: Sync, step: Step, reason: str) -> None:
    """Add, correct or restore one record as the export has it."""
    action = {ADD: "create", CORRECT: "correct", RESTORE: "restore"}[step.kind]
    record_table = step.table if step.table in ("participants", "sessions") else "responses"
    with tx.action(action, record_table, step.key, reason):
        if step.table == "participants":
            _put_man(tx, step)
        elif step.table == "sessions":
            _put_session(tx, step)
        else:
            _put_response(tx, sync.questionnaires[step.table], step)


def _put_man(tx: Transaction, step: Step) -> None:
    new = step.new
    ensure_group(tx, new["group_code"], date.fromisoformat(new["enrolled_on"]))
    here = tx.with_withdrawn().first("participants", code=step.key)
    if here is None:
        tx.insert("participants", {"code": step.key, **new, "status": "active"})
    else:
        tx.update("participants", here["doc_id"], {**new, WITHDRAWN: None})


def _put_session(tx: Transaction, step: Step) -> None:
    new = step.new
    ensure_group(tx, new["group_code"], date.fromisoformat(new["date"]))
    here = tx.with_withdrawn().first("sessions", session_id=step.key)
    if here is None:
        tx.insert("sessions", {"session_id": step.key, **new})
    else:
        tx.update("sessions", here["doc_id"], {**new, WITHDRAWN: None})


def _put_response(tx: Transaction, questionnaire: Questionnaire, step: Step) -> None:
    new = step.new
    every = tx.with_withdrawn().find("responses", participant_code=step.key, questionnaire=questionnaire.id)
    visible = [r for r in every if not r.get(WITHDRAWN)]
    here = visible[0] if visible else (max(every, key=lambda r: r["doc_id"]) if every else None)
    if here is None:
        insert_response(tx, Submission(questionnaire, step.key, new["answers"], SYNC_ENTERED_BY, tx.user,
                                       date.fromisoformat(new["submitted_on"])))
        return
    kept = {n: v for n, v in here["answers"].items() if n not in {q.name for q in questionnaire.questions}}
    tx.update("responses", here["doc_id"], {"answers": {**kept, **new["answers"]},
                                            "submitted_on": new["submitted_on"], WITHDRAWN: None})


def _settle_statuses(tx: Transaction, target: Target, reason: str) -> None:
    """Each man's status as his exit record now says."""
    for code in sorted(target.men):
        man = tx.first("participants", code=code)
        status = status_after(tx, code)
        if man is not None and man.get("status") != status:
            with tx.action("correct", "participants", code, reason):
                tx.update("participants", man["doc_id"], {"status": status})


APPLY = {ERASE: _erase, WITHDRAW: _withdraw, ADD: _put, CORRECT: _put, RESTORE: _put}
