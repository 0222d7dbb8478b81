"""How the portal writes a number, the same in the summary, the monthly sheet and the staff pages.

As Mexico writes them: thousands separated by a comma and decimals by a point
("1,234", "35.3"); a percentage with one decimal and the sign right after it,
with no space ("90.5%", as INEGI writes them); a figure that is absent is a
dash. Percentages and means come already rounded to one decimal
(``indicators.round1``); this module only writes them.
"""
from __future__ import annotations

ABSENT = "—"


def count(value: int) -> str:
    """1234 -> '1,234'."""
    return f"{value:,}"


def decimal(value: float) -> str:
    """35.25 -> '35.3' (one decimal, thousands separated: '1,234.5')."""
    return f"{value:,.1f}"


def percent(value: float) -> str:
    """90.5 -> '90.5%'."""
    return f"{value:,.1f}%"


WRITERS = {"count": count, "mean": decimal, "decimal": decimal, "pct": percent, "percent": percent}


def number(value: float | int | None, kind: str = "count") -> str:
    """A figure of a kind (count, mean or pct) as people read it; None is a dash. Also the Jinja filter
    ``number``: ``{{ v|number }}``, ``{{ v|number("pct") }}``, ``{{ v|number("mean") }}``."""
    if value is None:
        return ABSENT
    return WRITERS[kind](value)


def init_app(app) -> None:
    app.jinja_env.filters["number"] = number
