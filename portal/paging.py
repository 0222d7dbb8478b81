"""Long lists in pages: the rows of one page and what the page links need."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

PER_PAGE = 50


@dataclass
class Page:
    rows: list
    number: int  # from 1
    pages: int
    total: int

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.number - 1) * PER_PAGE + 1

    @property
    def last_row(self) -> int:
        return min(self.number * PER_PAGE, self.total)


def page_of(rows: Sequence, asked: str | None, per_page: int = PER_PAGE) -> Page:
    """The page asked for (a number from 1, as typed in the address); a page that does not exist is the nearest."""
    pages = max(1, -(-len(rows) // per_page))
    number = int(asked) if (asked or "").isascii() and (asked or "").isdigit() else 1
    number = min(max(number, 1), pages)
    return Page(list(rows[(number - 1) * per_page:number * per_page]), number, pages, len(rows))
