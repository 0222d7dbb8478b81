"""Every site at a glance for one month: what a state coordinator looks at first."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import clock
from .as_of import AsOf, month_end
from .indicators import compute, from_snapshot
from .participants import roster
from .registry import Site
from .storage import SiteStore, StoreError, Transaction

PRINTED = "sheets_printed"


def record_sheet_printed(store: SiteStore, month: str, user: str) -> None:
    """Remember that a month's sheet was printed (once per month and person)."""

    def change(tx: Transaction) -> None:
        if not tx.first(PRINTED, month=month, user=user):
            tx.insert(PRINTED, {"month": month, "user": user, "at": clock.today().isoformat()})

    if not store.read().first(PRINTED, month=month, user=user):
        store.write(change, user=user)


COUNTS = ("enrolled", "active", "at_risk", "high_risk", "sessions_held", "exits", "completed")


@dataclass
class SiteMonth:
    """One site's month: men active, at risk and at high risk as they stood at the month's end (or today);
    men who joined, sessions, exits and completions in the month."""
    site: Site
    enrolled: int | None = None
    active: int | None = None
    at_risk: int | None = None
    high_risk: int | None = None
    sessions_held: int | None = None
    exits: int | None = None
    completed: int | None = None
    sheet_printed: str | None = None  # the first day it was printed
    problem: str | None = None  # the site's file cannot be used


@dataclass
class Total:
    """The sum of some sites' rows: a state, or the whole country."""
    label: str
    state: str | None
    sites: int = 0
    left_out: int = 0  # sites whose file cannot be used
    figures: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))


def site_month(site: Site, store: SiteStore, month: str) -> SiteMonth:
    try:
        snapshot = store.read()
    except StoreError as exc:
        return SiteMonth(site, problem=getattr(exc, "record", None) or str(exc))
    as_of = min(month_end(month), clock.today(site.time_zone).isoformat())
    if as_of < month + "-01":  # a month still to come: nothing has happened in it
        return SiteMonth(site, **dict.fromkeys(COUNTS, 0), sheet_printed=None)
    past = AsOf(snapshot, as_of)
    figures = compute([from_snapshot(site.code, site.state, site.sessions, past)], month, as_of)
    rows = roster(past)
    printed = sorted(p["at"] for p in snapshot.find(PRINTED, month=month))
    return SiteMonth(site, enrolled=figures["enrolled"], active=sum(r.status == "active" for r in rows),
                     at_risk=sum(r.at_risk for r in rows),
                     high_risk=sum(r.high_risk and r.status == "active" for r in rows),
                     sessions_held=figures["sessions_held"], exits=figures["exits"],
                     completed=(figures["exit_reason"].get("completed") or {}).get("count") or 0,
                     sheet_printed=printed[0] if printed else None)


def totals(rows: list[SiteMonth], state_names: dict[str, str], country: str) -> tuple[list[Total], Total]:
    """A row per state and one for the country, adding up the sites' rows."""
    states: dict[str, Total] = {}
    whole = Total(country, None)
    for row in rows:
        state = states.setdefault(row.site.state, Total(state_names.get(row.site.state, row.site.state),
                                                        row.site.state))
        for total in (state, whole):
            total.sites += 1
            if row.problem:
                total.left_out += 1
                continue
            for name in COUNTS:
                total.figures[name] += getattr(row, name) or 0
    return [states[code] for code in sorted(states)], whole
