"""What can be wrong with the files of an import, and the list a person reads.

A million wrong rows must not become a million messages: a ``ProblemList`` keeps the first
``MAX_PROBLEMS`` in file and line order, counts the rest, and only the kept ones are ever
put into words (the checks hand over lazy messages).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from typing import Any, Generator, Iterable, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext

from .layout import FILE_NAMES

MAX_PROBLEMS = 200  # listed; the rest are counted
FILE_ORDER = {name: i for i, name in enumerate(FILE_NAMES)}  # other files (unknown ones) come first

Result = TypeVar("Result")


class TransferError(Exception):
    """A request that cannot be carried out; the message is for a person."""


@dataclass(slots=True)
class Problem:
    """One thing wrong with the files (read-only; not frozen, as a million are made quicker so).

    ``line`` counts text lines from 1, the header being line 1, as a text editor shows them.
    ``sheet_row`` is set when the row a spreadsheet shows differs (an earlier answer holds a
    line break, which a spreadsheet keeps inside one cell). ``message`` may be a lazy string.
    """

    file: str
    line: int | None
    field: str | None
    message: Any
    sheet_row: int | None = None

    @classmethod
    def at(cls, file: str, place: tuple[int, int | None], field: str | None, message) -> Problem:
        """A problem of the row at ``place`` (a ``reading.Place``: line, spreadsheet row)."""
        line, sheet_row = place
        return cls(file, line, field, message, sheet_row)

    def __str__(self) -> str:
        if self.line is None:
            return _("%(file)s: %(message)s", file=self.file, message=self.message)
        line = self.line if self.sheet_row is None else \
            _("%(line)s (row %(row)s in a spreadsheet)", line=self.line, row=self.sheet_row)
        if self.field is None:
            return _("%(file)s, line %(line)s: %(message)s", file=self.file, line=line, message=self.message)
        return _("%(file)s, line %(line)s, column %(field)s: %(message)s", file=self.file, line=line,
                 field=self.field, message=self.message)


class ImportRefused(Exception):
    """The import was refused; nothing was imported.

    ``problems`` lists the first reasons in file and line order, ``more`` counts the others. It holds
    words only, never the files: a refused upload is not kept alive by the exception.
    """

    def __init__(self, problems: list[Problem], more: int = 0):
        super().__init__(f"{len(problems) + more} problems")
        self.problems = problems
        self.more = more

    @property
    def count(self) -> int:
        return len(self.problems) + self.more

    def lines(self) -> list[str]:
        """What a person reads: one line per problem listed, then how many more there are."""
        out = [str(p) for p in self.problems]
        if self.more:
            out.append(ngettext("… and %(num)s more problem.", "… and %(num)s more problems.", self.more))
        return out


class ProblemList:
    """The problems found so far: the first ``limit`` in file and line order, and a count of all."""

    def __init__(self, limit: int = MAX_PROBLEMS):
        self.limit = limit
        self._kept: list[tuple[tuple[int, int, int], Problem]] = []  # a heap, the last in order on top
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, problem: Problem) -> None:
        self._count += 1
        order = (-FILE_ORDER.get(problem.file, -1), -(problem.line or 0), -self._count)
        if len(self._kept) >= self.limit:
            if order <= self._kept[0][0]:
                return  # later in the files than every problem kept
            heapq.heappop(self._kept)
        heapq.heappush(self._kept, (order, replace(problem, message=str(problem.message))))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def collect(self, checks: Generator[Problem, None, Result]) -> Result:
        """Run ``checks``, keeping the problems it yields; return what it returns."""
        while True:
            try:
                problem = next(checks)
            except StopIteration as done:
                return done.value
            self.add(problem)

    def copy(self) -> ProblemList:
        other = ProblemList(self.limit)
        other._kept, other._count = list(self._kept), self._count
        return other

    def refusal(self) -> ImportRefused:
        kept = [problem for _order, problem in sorted(self._kept, reverse=True)]
        return ImportRefused(kept, self._count - len(kept))
