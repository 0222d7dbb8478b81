"""The summary pages: home, one overview per scope, one page per scope and year, methodology.

A year's page carries its months as columns: every figure of the scope by month
and for the whole year, its charts and its breakdowns; the home page and each
state's and site's overview show their latest year the same way, with links to
the other years. Some two thousand pages are rendered per national build, so the
words that repeat (translations, month names, charts) are worked out once per
build, and links between pages are written as relative paths here rather than
through ``url_for`` (every page but the home page sits one folder down).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import abort, current_app, render_template
from flask_babel import gettext
from markupsafe import Markup

from ..charts import bar_chart
from ..disclosure import EXACT_LEVELS, MAX_CHANGE
from ..i18n import month_name, short_date
from ..indicators import BREAKDOWNS
from ..labels import BREAKDOWN_TITLES, CHOICE_LABELS, EXIT_REASON_SHORT, RECOGNITION_BARS, SECTIONS, STAYING_BARS
from ..numbers import number
from .blueprint import bp
from .model import Record, Scope, Summary

KINDS = {key: kind for _title, rows in SECTIONS for key, kind, _label, _definition in rows}
LABELS = {key: label for _title, rows in SECTIONS for key, _kind, label, _definition in rows}
# the few columns of the tables that compare years, states or sites
COMPARE = ("enrolled", "attended_any_pct", "attended_13_plus_pct", "attended_over_75_pct", "sessions_held", "exits")


def summary() -> Summary:
    return current_app.extensions["summary"]


def once(key, make: Callable):
    """A value worked out once per summary app (the app speaks one language)."""
    memo = current_app.extensions.setdefault("summary_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _(text: str, **variables) -> str:
    translated = once(("t", text), lambda: gettext(text))
    return translated % variables if variables else translated


def month(period: str, with_year: bool = True) -> str:
    return once(("m", period, with_year), lambda: month_name(period, with_year=with_year))


def short_month(period: str) -> str:
    """'Sep' for a month's column or bar."""
    return month(period, with_year=False)[:3]


def cell(record: Record | None, path: str, kind: str) -> Markup:
    """A figure as shown: the number (a few men marked as such where it carries the adjustment), or a dash."""
    value = record.values if record else None
    for part in path.split(".") if record else ():
        value = value[part]
    if value is None:
        return Markup('<span class="absent">—</span>')
    if kind == "count" and 0 < value <= (summary().k if record.exact else few()) and path != "sessions_held":
        return Markup('<span class="few">%s</span>') % number(value, kind)
    return Markup(number(value, kind))


def few() -> int:
    """The largest published count that may stand for fewer than k men (k - 1 moved up by the adjustment)."""
    return summary().k - 1 + MAX_CHANGE


def answer_cell(record: Record, breakdown: str, choice: str) -> Markup:
    """A breakdown's answer: the men, and under it their percent (left out when there is none to compute)."""
    count = cell(record, f"{breakdown}.{choice}.count", "count")
    if record.values[breakdown][choice]["pct"] is None:
        return count
    return Markup(f'{count}<span class="pct">{cell(record, f"{breakdown}.{choice}.pct", "pct")}</span>')


def month_cells(cells: list[Markup]) -> Markup:
    """A row's cells for the whole year and each month (some 50,000 a national build: joined here, not in a
    template loop)."""
    return Markup(f'<td class="year">{cells[0]}</td>' + "".join(f"<td>{c}</td>" for c in cells[1:]))


def link(base: str, scope: Scope | str | None = None, year: str | None = None) -> str:
    """A relative link from a page whose folder is ``base`` ('' or '../') to another page."""
    if scope is None:
        return f"{base}index.html"
    slug = scope if isinstance(scope, str) else scope.slug
    return f"{base}{slug}/{year}.html" if year else f"{base}{slug}/index.html"


@bp.app_template_global()
def country_label() -> str:
    """The country's name in the summary, in every summary ("Todo el país")."""
    return _("The whole country")


@bp.app_template_global()
def own_state() -> Scope | None:
    """The state of a state's own summary (a link to it on every page), or None."""
    s = summary()
    return s.scopes[f"state:{s.state}"] if s.state else None


def crumbs(scope: Scope, year: str | None = None) -> list[dict]:
    """The way up: country, state, site (and the year, on a year's page); the last one is the page itself."""
    chain, key = [], scope.key
    while key:
        s = summary().scopes[key]
        chain.append({"name": country_label() if key == "all" else s.name,
                      "href": link("../") if key == "all" else link("../", s)})
        key = s.parent
    return list(reversed(chain)) + ([{"name": year, "href": None}] if year else [])


def compare_table(rows: list[tuple[str, str, Record | None]], note: str | None = None) -> dict:
    """Rows of (name, link, record) against the few comparison columns. A row without a record has no page
    to link to: its name comes with ``note``, which says why."""
    return {"columns": once(("compare",), lambda: [str(LABELS[key]) for key in COMPARE]),
            "rows": [{"name": name, "href": href if record else None, "note": None if record else note,
                      "cells": [cell(record, key, KINDS[key]) for key in COMPARE]}
                     for name, href, record in rows]}


def scope_title(scope: Scope) -> str:
    if scope.kind == "all":
        return country_label()
    if scope.kind == "state":
        return _("State: %(name)s", name=scope.name)
    return _("Site: %(name)s", name=scope.name)


def child_kind(scope: Scope) -> str | None:
    return {"all": _("States"), "state": _("Sites")}.get(scope.kind)


def enrolment_chart(scope: Scope, year: str) -> dict:
    """Men who joined, month by month."""
    months = scope.months[year]
    records = [summary().records[(scope.key, m)] for m in months]
    return {"title": _("Men who joined, month by month, %(year)s", year=year),
            "svg": bar_chart([(short_month(m), r.values["enrolled"])
                              for m, r in zip(months, records)], _("Men who joined, month by month, %(year)s",
                                                                  year=year))}


def year_charts(scope: Scope, year: str, record: Record) -> list[dict]:
    """The year's charts, each with the title the page shows above it."""
    v = record.values
    funnel = [100.0 if v["enrolled"] else None] + [v[key] for key, _label in STAYING_BARS[1:]]
    funnel_labels = once(("funnel",), lambda: [str(label) for _key, label in STAYING_BARS])
    reasons = list(BREAKDOWNS["exit_reason"])
    exits = [v["exit_reason"][r]["count"] for r in reasons]
    recognition = [v[key] for key, _label in RECOGNITION_BARS]
    moments = once(("moments",), lambda: [str(label) for _key, label in RECOGNITION_BARS])
    titles = [_("Staying in the program: percent of the men who joined in %(period)s", period=year),
              _("Men who left in %(year)s, by reason", year=year),
              _("Behaviours recognised as violence (mean, of 10): the same men at intake and at exit")]
    return [
        enrolment_chart(scope, year),
        {"title": titles[0], "svg": bar_chart(list(zip(funnel_labels, funnel)), titles[0], kind="pct")},
        {"title": titles[1], "svg": bar_chart(list(zip(once(("reasons",), lambda: [str(EXIT_REASON_SHORT[r])
                                                                                 for r in reasons]), exits)),
                                              titles[1])},
        {"title": titles[2], "svg": bar_chart(list(zip(moments, recognition)), titles[2], kind="mean", max_value=10)},
    ]


def sections() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(title, [(key, kind, label)]) of the indicator table, translated once."""
    return once(("sections",), lambda: [(str(title), [(key, kind, str(label)) for key, kind, label, _d in rows])
                                        for title, rows in SECTIONS])


def breakdown_sections() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(breakdown, title, [(answer, public label)]), translated once."""
    return once(("breakdowns",), lambda: [(name, str(BREAKDOWN_TITLES[name][1]),
                                           [(c, str(CHOICE_LABELS[name][c])) for c in categories])
                                          for name, categories in BREAKDOWNS.items()])


def year_context(scope: Scope, year: str, base: str) -> dict:
    """A year of a scope with its months as columns: what its year page shows, and its overview for the
    latest year. ``base`` is the page's way back to the folder of the summary."""
    s = summary()
    months = scope.months[year]
    records = [s.records[(scope.key, p)] for p in (year, *months)]
    columns = [{"label": _("Year %(year)s", year=year), "title": None}] + \
        [{"label": short_month(m), "title": month(m)} for m in months]
    indicators = [{"title": title, "rows": [{"label": label,
                                             "cells": month_cells([cell(r, key, kind) for r in records])}
                                            for key, kind, label in rows]}
                  for title, rows in sections()]
    breakdowns = [{"title": title, "rows": [{"label": label,
                                             "cells": month_cells([answer_cell(r, name, c) for r in records])}
                                            for c, label in answers]}
                  for name, title, answers in breakdown_sections()]
    # a site's pages run from its first record's year to its last record: outside them its state's page names
    # it without a link, and says its dashes are not zeros
    children = compare_table([(s.scopes[key].name, link(base, s.scopes[key], year), s.records.get((key, year)))
                              for key in scope.children], note=_("no data recorded for this period"))
    return {"year": year, "columns": columns, "indicators": indicators, "breakdowns": breakdowns,
            "charts": year_charts(scope, year, records[0]), "children": children, "child_kind": child_kind(scope),
            "children_caption": children_caption(scope, year)}


def children_caption(scope: Scope, year: str) -> str:
    s = summary()
    if scope.kind != "all":
        return _("The main figures of each site in %(year)s", year=year)
    if s.state:  # the country's table of states holds one row: say why
        return _("The main figures of %(state)s in %(year)s (this summary is for its coordinator: it holds no "
                 "other state)", state=s.scopes[f"state:{s.state}"].name, year=year)
    return _("The main figures of each state in %(year)s", year=year)


def year_links(scope: Scope, base: str, current: str | None = None) -> list[dict]:
    return [{"label": y, "href": link(base, scope, y), "current": y == current} for y in scope.years]


def overview_context(scope: Scope, base: str = "../") -> dict:
    """A scope's front page: its latest year's figures right away, every year in a row with a link."""
    s = summary()
    years = compare_table([(year, link(base, scope, year), s.records.get((scope.key, year)))
                           for year in reversed(scope.years)])
    children = [{"name": s.scopes[key].name, "href": link(base, s.scopes[key]),
                 "last_day": short_date(s.scopes[key].last_day) if s.scopes[key].last_day else "—"}
                for key in scope.children]
    return {"title": scope_title(scope), "crumbs": crumbs(scope) if scope.parent else [],
            "last_day": short_date(scope.last_day) if scope.last_day else None,
            "year_links": year_links(scope, base), "years": years,
            "latest": year_context(scope, scope.years[-1], base) if scope.years else None,
            "children": children, "child_kind": child_kind(scope)}


def year_page_context(scope: Scope, year: str) -> dict:
    return {"title": f"{scope_title(scope)} · {year}", "heading": scope_title(scope), "crumbs": crumbs(scope, year),
            "last_day": short_date(scope.last_day) if scope.last_day else None,
            "year_links": year_links(scope, "../", year), "y": year_context(scope, year, "../")}


def home_context() -> dict:
    s = summary()
    context = overview_context(s.scopes["all"], base="")
    made = datetime.fromisoformat(s.generated_at)
    context.update(generated_at=f"{short_date(made)} {made:%H:%M}",
                   data_as_of=short_date(s.data_as_of) if s.data_as_of else None,
                   state_name=s.scopes[f"state:{s.state}"].name if s.state else None,
                   state_href=link("", s.scopes[f"state:{s.state}"]) if s.state else None)
    return context


def methodology_context() -> dict:
    s = summary()
    return {"title": _("How the figures are made"), "k": s.k, "crumbs": [], "d": MAX_CHANGE, "few": few(),
            "country_years_exact": "all-year" in EXACT_LEVELS,
            "sections": [{"title": str(title), "rows": [{"label": str(label), "definition": str(definition)}
                                                        for _key, _kind, label, definition in rows]}
                         for title, rows in SECTIONS],
            "breakdowns": [{"title": str(title), "definition": str(definition)}
                           for _qid, title, definition in BREAKDOWN_TITLES.values()],
            "data_as_of": short_date(s.data_as_of) if s.data_as_of else None}


def context_for(endpoint: str, values: dict) -> dict:
    """The whole content of a page, as plain data."""
    s = summary()
    if endpoint == "summary.home":
        return home_context()
    if endpoint == "summary.methodology":
        return methodology_context()
    scope = s.by_slug(values.get("slug", ""))
    if scope is None or scope.kind == "all" and endpoint == "summary.overview":
        abort(404)
    if endpoint == "summary.overview":
        return overview_context(scope)
    if values.get("year") not in scope.months:
        abort(404)
    return year_page_context(scope, values["year"])


TEMPLATES = {"summary.home": "summary/home.html", "summary.methodology": "summary/methodology.html",
             "summary.overview": "summary/overview.html", "summary.year": "summary/year.html"}


def _page(endpoint: str, **values) -> str:
    return render_template(TEMPLATES[endpoint], **context_for(endpoint, values))


@bp.route("/")
def home():
    """The country: its latest year, its years, its states, downloads."""
    return _page("summary.home")


@bp.route("/metodologia.html")
def methodology():
    """Every definition and how small numbers are protected."""
    return _page("summary.methodology")


@bp.route("/<slug>/")
def overview(slug: str):
    """A state or a site: its latest year, its years and what it holds."""
    return _page("summary.overview", slug=slug)


@bp.route("/<slug>/<year>.html")
def year(slug: str, year: str):
    """A scope's year, its months as columns."""
    return _page("summary.year", slug=slug, year=year)


@bp.app_template_global()
def max_change() -> int:
    """The largest adjustment of a published count (``disclosure.MAX_CHANGE``)."""
    return MAX_CHANGE
