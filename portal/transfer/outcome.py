"""What an import or a sync changes (or would change, in a dry run), per file, in words a person reads."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..questionnaires import Questionnaire
from ..registry import Site
from ..storage import SiteStore, Snapshot
from .importing import Plan, Progress, Summary, import_batch, judge
from .layout import TABLES, file_name
from .manifest import Manifest
from .problems import ImportRefused
from .reading import Batch, read_batch
from .syncing import ADD, CORRECT, ERASE, RESTORE, WITHDRAW, Changes, older_problem, prepare, sync_files

UNCHANGED = "unchanged"
# how many records of a file: "nuevos 3, corregidos 1"; capitalised as a column heading
KIND_LABELS = {ADD: _l("new"), CORRECT: _l("corrected"), RESTORE: _l("restored"), WITHDRAW: _l("withdrawn"),
               ERASE: _l("erased"), UNCHANGED: _l("unchanged")}
MERGE, SYNC = "merge", "sync"


@dataclass
class Outcome:
    site: str
    mode: str  # merge | sync
    dry_run: bool
    counts: dict[str, Counter]  # file's table -> kind -> records
    manifest: Manifest | None = None
    summary: Summary | None = field(default=None, repr=False)  # a merge done: its own words
    erased_codes: list[str] = field(default_factory=list)  # the men a sync erases (or would): an administrator

    @classmethod
    def of_plan(cls, plan: Plan) -> Outcome:
        """What a merge would add (dry run)."""
        counts = {table: Counter() for table in TABLES}
        counts["participants"][ADD] = sum(1 for _man in plan.men.new())
        counts["sessions"][ADD] = len(plan.sessions)
        counts["attendance"][ADD] = sum(len(s["present"]) for s in plan.sessions)
        for response in plan.responses:
            counts[response.questionnaire.id][ADD] += 1
        for table, n in plan.unchanged.items():
            counts[table][UNCHANGED] = n
        return cls(plan.site, MERGE, True, counts)

    @classmethod
    def of_summary(cls, summary: Summary) -> Outcome:
        counts = {table: Counter({ADD: summary.added.get(table, 0), UNCHANGED: summary.unchanged.get(table, 0)})
                  for table in TABLES}
        return cls(summary.site, MERGE, False, counts, summary=summary)

    @classmethod
    def of_changes(cls, site: str, changes: Changes, manifest: Manifest, dry_run: bool) -> Outcome:
        counts = changes.counts()
        for table, n in changes.unchanged.items():
            counts[table][UNCHANGED] = n
        counts.pop("attendance", None)  # a session's attendance is part of the session in a sync
        return cls(site, SYNC, dry_run, counts, manifest,
                   erased_codes=sorted(step.key for step in changes.steps if step.kind == ERASE))

    @property
    def kinds(self) -> list[str]:
        """The columns worth showing: new and unchanged always, the other kinds of change where there are any."""
        possible = [ADD, UNCHANGED] if self.mode == MERGE else [ADD, CORRECT, RESTORE, WITHDRAW, ERASE, UNCHANGED]
        return [kind for kind in possible
                if kind in (ADD, UNCHANGED) or any(counts[kind] for counts in self.counts.values())]

    @property
    def erasures(self) -> int:
        """How many men it erases (or would erase) for good: only an administrator may confirm that."""
        return sum(counts[ERASE] for counts in self.counts.values())

    @property
    def changes_anything(self) -> bool:
        return any(n for counts in self.counts.values() for kind, n in counts.items() if kind != UNCHANGED)

    def rows(self) -> list[tuple[str, list[int]]]:
        """(file name, a count per kind) for each file."""
        return [(file_name(table), [counts[kind] for kind in self.kinds]) for table, counts in self.counts.items()]

    def heading(self) -> str:
        if self.mode == SYNC:
            return _("Export of %(site)s made on %(day)s (revision %(revision)s, portal %(portal)s).",
                     site=self.manifest.site, day=self.manifest.when(), revision=self.manifest.revision,
                     portal=self.manifest.portal_name)
        return _("Files for %(site)s: the rows that are new are added; the site keeps what it has.", site=self.site)

    def lines(self) -> list[str]:
        """The outcome in a few lines (command line)."""
        if self.summary is not None and not self.dry_run:
            return self.summary.lines()
        out = [self.heading(), *self._file_lines()]
        if not self.changes_anything:
            out.append(_("Nothing would change: the site already has these data.") if self.dry_run else
                       _("Nothing changed: the site already had these data."))
        elif self.dry_run:
            out.append(_("Dry run: nothing was changed."))
        return out

    def message(self) -> str:
        """The outcome in one message (the page after an import or a sync)."""
        if self.summary is not None:
            return " ".join(self.summary.lines())
        if not self.changes_anything:
            return f"{self.heading()} {_('Nothing changed: the site already had these data.')}"
        return f"{self.heading()} {'; '.join(self._file_lines())}."

    def _file_lines(self) -> list[str]:
        """"participants.csv: nuevos 4, retirados 1" for each file with records."""
        return [f"{name}: " + ", ".join(f"{KIND_LABELS[kind]} {n}" for kind, n in zip(self.kinds, numbers) if n)
                for name, numbers in self.rows() if any(numbers)]


def preview(snapshot: Snapshot, site: Site, questionnaires: Mapping[str, Questionnaire], files: Mapping[str, bytes],
            mode: str, batch: Batch | None = None, progress: Progress | None = None) -> Outcome:
    """What the import (``merge``) or the sync of ``files`` would change in ``snapshot``, writing nothing;
    ImportRefused if it would be refused."""
    batch = batch or read_batch(files, questionnaires)
    if mode == SYNC:
        sync = prepare(snapshot, site, questionnaires, files, batch, progress)
        older = older_problem(snapshot, sync.manifest)
        if older is not None:
            raise ImportRefused([older])
        return Outcome.of_changes(site.code, sync.changes(snapshot), sync.manifest, dry_run=True)
    plan, problems = judge(snapshot, site, questionnaires, batch, progress)
    if problems:
        raise problems.refusal()
    return Outcome.of_plan(plan)


def carry_out(store: SiteStore, site: Site, questionnaires: Mapping[str, Questionnaire], files: Mapping[str, bytes],
              mode: str, user: str, batch: Batch | None = None, progress: Progress | None = None,
              may_erase: bool = False) -> Outcome:
    """The import (``merge``) or the sync of ``files``, in one write; ImportRefused (nothing changed) if refused,
    a sync that erases anyone too unless ``may_erase`` (an administrator of this portal)."""
    batch = batch or read_batch(files, questionnaires)
    if mode == SYNC:
        sync, changes = sync_files(store, site, questionnaires, files, user, batch, progress, may_erase)
        return Outcome.of_changes(site.code, changes, sync.manifest, dry_run=False)
    return Outcome.of_summary(import_batch(store, site, questionnaires, batch, user, progress))
