"""An import: every row checked against the site, then what is new added in one write.

The rows are checked without the site's write lock, against a snapshot; the lock is held only
to see that nothing the checks read changed meanwhile (else to check again) and to write.

It never changes or removes what the site already has: a row equal to a stored record is
skipped (importing twice changes nothing), a row that differs from one is a problem to
explain, never a guess. A man withdrawn or erased at the site is never imported again.
Any problem and nothing is imported.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Generator, Iterator, Mapping

from flask_babel import gettext as _
from flask_babel import ngettext

from .. import bounds, clock
from ..corrections import ERASED
from ..participants import ensure_group
from ..questionnaires import QUESTIONNAIRE_IDS, Questionnaire
from ..registry import Site
from ..responses import Submission, insert_response
from ..storage import SiteStore, Snapshot, Transaction, revision
from .checks import AttendanceCheck, Men, NewResponse, ParticipantsCheck, ResponsesCheck, SessionsCheck, check_dates
from .export import natural
from .layout import TABLES
from .problems import Problem, ProblemList
from .reading import Batch, Row, read_batch

IMPORT_ENTERED_BY = "paper"  # the layout has no column for who typed a questionnaire in

Progress = Callable[[int], None]


@dataclass
class Summary:
    """What an import added, and what it found already at the site (per table)."""

    site: str
    added: dict[str, int]
    unchanged: dict[str, int]

    @property
    def changed(self) -> bool:
        return any(self.added.values())

    def lines(self) -> list[str]:
        if not self.changed:
            return [_("Nothing new: the site already had all these data. Nothing was changed.")]
        out = [_("Imported into %(site)s: %(items)s.", site=self.site, items=counted(self.added))]
        if any(self.unchanged.values()):
            out.append(_("Already at the site and left as they were: %(items)s.", items=counted(self.unchanged)))
        return out



def counted(counts: Mapping[str, int]) -> str:
    """"4 participants, 7 attendance marks and 1 questionnaire", from rows per table: the kinds there are, each
    in its plural."""
    n = {"participants": counts["participants"], "sessions": counts["sessions"], "marks": counts["attendance"],
         "responses": sum(counts[q] for q in QUESTIONNAIRE_IDS)}
    items = [text for count, text in (
        (n["participants"], ngettext("%(num)s participant", "%(num)s participants", n["participants"])),
        (n["sessions"], ngettext("%(num)s session", "%(num)s sessions", n["sessions"])),
        (n["marks"], ngettext("%(num)s attendance mark", "%(num)s attendance marks", n["marks"])),
        (n["responses"], ngettext("%(num)s questionnaire", "%(num)s questionnaires", n["responses"])),
    ) if count]
    if not items:
        return _("no rows")
    return items[0] if len(items) == 1 else _("%(first)s and %(last)s", first=", ".join(items[:-1]), last=items[-1])


@dataclass
class Plan:
    """What an import adds once every row is right, and how much of it the site had already."""

    site: str
    men: Men  # the new ones among them (Men.new) are added
    sessions: list[dict]  # with the men present
    responses: list[NewResponse]
    unchanged: dict[str, int]  # table -> rows equal to a record at the site

    def apply(self, tx: Transaction, user: str) -> Summary:
        added = dict.fromkeys(TABLES, 0)
        # earliest man first, so that a new group starts on its first man's enrolment
        for code, group, enrolled in sorted(self.men.new(), key=lambda man: (man[2], man[0])):
            ensure_group(tx, group, date.fromisoformat(enrolled))
            tx.insert("participants", {"code": code, "group_code": group, "enrolled_on": enrolled, "status": "active"})
            added["participants"] += 1
        for session in sorted(self.sessions, key=lambda s: natural(s["session_id"])):
            ensure_group(tx, session["group_code"], date.fromisoformat(session["date"]))
            tx.insert("sessions", session)
        for response in self.responses:
            insert_response(tx, Submission(response.questionnaire, response.code, response.answers, IMPORT_ENTERED_BY,
                                           user, response.submitted))
            added[response.questionnaire.id] += 1
        added["sessions"] = len(self.sessions)
        added["attendance"] = sum(len(s["present"]) for s in self.sessions)
        return Summary(self.site, added, dict(self.unchanged))


def check_batch(snapshot: Snapshot, site: Site, questionnaires: Mapping[str, Questionnaire], batch: Batch,
                progress: Progress | None = None) -> Generator[Problem, None, Plan]:
    """Every check, in the order of the files (each hands the next what it found); yields the problems."""
    today = clock.today()

    def rows(table: str) -> Iterator[Row]:
        return batch.rows_of(table) if progress is None else _counted(batch.rows_of(table), progress)

    unreadable = batch.unreadable
    men = yield from ParticipantsCheck(snapshot, site, today, "participants" in unreadable).check(rows("participants"))
    yield from _room_for(snapshot, men)
    sessions = yield from SessionsCheck(snapshot, site, men, today, "sessions" in unreadable).check(rows("sessions"))
    marks = yield from AttendanceCheck(men, sessions, "attendance" in unreadable).check(rows("attendance"))
    responses = {}
    for qid in QUESTIONNAIRE_IDS:
        responses[qid] = yield from ResponsesCheck(snapshot, questionnaires[qid], men, today).check(rows(qid))
    new_sessions = [{**session, "present": marks.of(session["session_id"])} for session in sessions.new]
    new_responses = [response for qid in QUESTIONNAIRE_IDS for response in responses[qid].new]
    yield from check_dates(snapshot, men, new_sessions, marks, new_responses)
    unchanged = {"participants": men.unchanged, "sessions": sessions.unchanged, "attendance": marks.unchanged,
                 **{qid: responses[qid].unchanged for qid in QUESTIONNAIRE_IDS}}
    return Plan(site.code, men, new_sessions, new_responses, unchanged)


def _room_for(snapshot: Snapshot, men: Men) -> Iterator[Problem]:
    """The bound of men per site, with the new men of participants.csv."""
    at_site, new = snapshot.with_withdrawn().count("participants"), sum(1 for _man in men.new())
    if at_site + new > bounds.MAX_MEN_PER_SITE:
        yield Problem("participants.csv", None, None, bounds.too_many_men(at_site, new))


def _counted(rows: Iterator[Row], progress: Progress, every: int = 500) -> Iterator[Row]:
    """The rows, telling ``progress`` how many went by (every ``every`` rows, and at the end)."""
    count = 0
    for row in rows:
        count += 1
        if count == every:
            progress(count)
            count = 0
        yield row
    if count:
        progress(count)


def judge(snapshot: Snapshot, site: Site, questionnaires: Mapping[str, Questionnaire], batch: Batch,
          progress: Progress | None = None) -> tuple[Plan, ProblemList]:
    """What the import would add to ``snapshot``, and every problem of the files (reading included)."""
    problems = batch.problems.copy()
    plan = problems.collect(check_batch(snapshot, site, questionnaires, batch, progress))
    return plan, problems


CHECKED_TABLES = ("participants", "groups", "sessions", "responses", ERASED)  # all the checks read of a site


def import_batch(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire], batch: Batch,
                 user: str, progress: Progress | None = None) -> Summary:
    """Check every row; if all are right, add what is new in one write. Else raise ImportRefused.

    The rows are checked against a snapshot of the site, without its write lock: a man sending
    his questionnaire meanwhile does not wait for them. Inside the write, under the lock, the
    records the checks read are compared with the site as it is then; if any changed meanwhile,
    every row is checked again there (correctness first) before the change is made. A write
    that adds nothing leaves the file untouched.
    """
    checked = store.read()
    plan, problems = judge(checked, site, questionnaires, batch, progress)
    if not problems:
        outcome = store.write(lambda tx: _change(tx, checked, plan, site, questionnaires, batch, user), user=user)
        if isinstance(outcome, Summary):
            return outcome
        problems = outcome
    raise problems.refusal()


def _change(tx: Transaction, checked: Snapshot, plan: Plan, site: Site, questionnaires: Mapping[str, Questionnaire],
            batch: Batch, user: str) -> Summary | ProblemList:
    """Inside the write: the change, if the rows are still right; else their problems (returned, not raised,
    so that nothing of the files stays with the write)."""
    if not unchanged_since(checked, tx):
        plan, problems = judge(tx, site, questionnaires, batch)
        if problems:
            return problems
    return plan.apply(tx, user)


def unchanged_since(checked: Snapshot, now: Transaction) -> bool:
    """Whether the records the checks read are the same in ``now`` as in ``checked`` (drafts, for one, may
    have been saved meanwhile: they do not count)."""
    if revision(now) == revision(checked) and not now.changed:
        return True  # no write since; none before this one in the same commit either
    before, after = checked.with_withdrawn(), now.with_withdrawn()
    return all(before.all(table) == after.all(table) for table in CHECKED_TABLES)


def import_files(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire],
                 files: Mapping[str, bytes], user: str) -> Summary:
    return import_batch(store, site, questionnaires, read_batch(files, questionnaires), user)
