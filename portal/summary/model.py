"""What the summary site publishes: scopes, periods and records with their small counts protected.

Plain data, no Flask: built from each site's tallies (``indicators.site_tallies``,
with the men's cell keys), summed up to states and the whole country, then passed
through ``disclosure.publish``. Nothing else of a site's records gets here, so nothing
private can reach a page, ``indicators.json`` or ``indicators.csv``.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property

from ..disclosure import exact_level, publish
from ..indicators import combine
from ..states import STATES


@dataclass
class SiteTallies:
    """One site's contribution: its identity, its tallies per period, its first and last dated record."""

    code: str
    name: str
    state: str
    tallies: dict[str, Counter]
    first_day: str | None
    last_day: str | None
    digest: str = ""  # changes whenever the site's records do (the freeze's cache key)


@dataclass
class Scope:
    key: str  # all | state:NN | site:CODE
    slug: str  # the folder of its pages
    name: str
    parent: str | None
    children: list[str] = field(default_factory=list)
    months: dict[str, list[str]] = field(default_factory=dict)  # year -> its months, up to the scope's data
    last_day: str | None = None
    digest: str = ""  # of its sites' digests and k: equal digests, equal records

    @property
    def years(self) -> list[str]:
        return list(self.months)

    @property
    def periods(self) -> list[str]:
        """The scope's years, each followed by its months."""
        return [p for year, months in self.months.items() for p in (year, *months)]

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0]


class Record:
    """One table as published: its figures are worked out from its tally only when a page or a data file asks
    for them (a rebuild copies the unchanged places' data from the last build and renders none of their pages)."""

    def __init__(self, tally: Counter, k: int, exact: bool = False):
        self.tally, self.k, self.exact = tally, k, exact  # exact: its counts of k or more are the true ones

    @cached_property
    def _published(self) -> tuple[dict, list[str]]:
        return publish(self.tally, self.k, self.exact)

    @property
    def values(self) -> dict:
        return self._published[0]

    @property
    def withheld(self) -> list[str]:
        """Dotted paths left blank: a percentage or mean about fewer than k men."""
        return self._published[1]


@dataclass
class Summary:
    generated_at: str
    data_as_of: str | None
    k: int
    scopes: dict[str, Scope]
    records: dict[tuple[str, str], Record]
    state: str | None = None  # a state's own summary (``only_state``): its INEGI code

    def __post_init__(self) -> None:
        self._slugs = {scope.slug: scope for scope in self.scopes.values()}

    def by_slug(self, slug: str) -> Scope | None:
        return self._slugs.get(slug)


def slug_of(key: str) -> str:
    kind, _, value = key.partition(":")
    return {"all": "nacional", "state": f"estado-{value}", "site": f"sitio-{value}"}[kind]


def months_between(first_day: str, last_day: str) -> dict[str, list[str]]:
    """Every year from the first record's to the last record's, with its months up to the last record."""
    last_year, last_month = int(last_day[:4]), int(last_day[5:7])
    return {str(year): [f"{year}-{m:02d}" for m in range(1, 13 if year < last_year else last_month + 1)]
            for year in range(int(first_day[:4]), last_year + 1)}


def summarise(sites: list[SiteTallies], k: int, generated_at: str) -> Summary:
    """Every scope's records, with its small counts protected (``disclosure.publish``).

    A scope has a page for each year and month from its first record to its
    latest one: a site whose data stop in March has no April yet (its latest
    date is shown instead of zeros that would look like no activity). Each
    table is published on its own: a cell's published count depends only on
    its men (their number and their keys), so a change at one site changes
    only the cells of that site, its state and the country.
    """
    data_as_of = max((s.last_day for s in sites if s.last_day), default=None)
    scopes: dict[str, Scope] = {"all": Scope("all", slug_of("all"), "Nacional", None)}
    members: dict[str, list[SiteTallies]] = {"all": list(sites)}
    for state in sorted({s.state for s in sites}):
        key = f"state:{state}"
        scopes["all"].children.append(key)
        scopes[key] = Scope(key, slug_of(key), STATES.get(state, state), "all")
        members[key] = [s for s in sites if s.state == state]
    for site in sorted(sites, key=lambda s: (s.state, s.code)):
        key = f"site:{site.code}"
        scopes[f"state:{site.state}"].children.append(key)
        scopes[key] = Scope(key, slug_of(key), site.name, f"state:{site.state}")
        members[key] = [site]

    tallies: dict[tuple[str, str], Counter] = {}
    records: dict[tuple[str, str], Record] = {}
    for key in reversed(list(scopes)):  # sites, then states, then the country: each adds up its children
        scope = scopes[key]
        firsts = [s.first_day for s in members[key] if s.first_day]
        scope.last_day = max((s.last_day for s in members[key] if s.last_day), default=None)
        scope.digest = hashlib.sha1(repr((k, [s.digest for s in members[key]])).encode()).hexdigest()
        if not firsts:
            continue
        # No page for a year without data: a site that resumed after years shows those two years only.
        with_data = {p for s in members[key] for p, tally in s.tallies.items() if len(p) == 4 and tally}
        scope.months = {year: months for year, months in months_between(min(firsts), scope.last_day).items()
                        if year in with_data or year == scope.last_day[:4]}
        for period in scope.periods:
            if scope.kind == "site":
                tally = members[key][0].tallies.get(period, Counter())
            else:
                tally = combine(tallies.get((child, period), Counter()) for child in scope.children)
            tallies[(key, period)] = tally
            records[(key, period)] = Record(tally, k, exact_level(key, period))
    return Summary(generated_at, data_as_of, k, scopes, records)


def only_state(summary: Summary, state: str) -> Summary:
    """One state's summary for its coordinator: the state and its sites, with the country's figures beside them
    for comparison (as the whole summary publishes them, so nothing hidden there shows here); no other state and
    none of its sites appear, not even in the country's table of states."""
    key = f"state:{state}"
    keep = {"all", key, *summary.scopes[key].children}
    scopes = {name: replace(scope, children=[key]) if name == "all" else scope
              for name, scope in summary.scopes.items() if name in keep}
    records = {(name, period): record for (name, period), record in summary.records.items() if name in keep}
    return Summary(summary.generated_at, summary.data_as_of, summary.k, scopes, records, state)
