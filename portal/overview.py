"""Every site at a glance for one month: what a state coordinator looks at first."""
from __future__ import annotations

from dataclasses import dataclass

from . import clock
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


@dataclass
class SiteMonth:
    site: Site
    enrolled: int | None = None
    active: int | None = None
    at_risk: int | None = None
    high_risk: int | None = None
    sessions_held: int | None = None
    sheet_printed: str | None = None  # the first day it was printed
    problem: str | None = None  # the site's file cannot be used


def site_month(site: Site, store: SiteStore, month: str) -> SiteMonth:
    try:
        snapshot = store.read()
    except StoreError as exc:
        return SiteMonth(site, problem=getattr(exc, "record", None) or str(exc))
    figures = compute([from_snapshot(site.code, site.state, site.sessions, snapshot)], month,
                      clock.today().isoformat())
    rows = roster(snapshot)
    printed = sorted(p["at"] for p in snapshot.find(PRINTED, month=month))
    return SiteMonth(site, enrolled=figures["enrolled"], active=sum(r.status == "active" for r in rows),
                     at_risk=sum(r.at_risk for r in rows), high_risk=sum(r.high_risk and r.status == "active"
                                                                          for r in rows),
                     sessions_held=figures["sessions_held"], sheet_printed=printed[0] if printed else None)
