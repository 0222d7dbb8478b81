"""The summary pages: home, one overview per scope, one page per scope and period, methodology.

Some twenty thousand pages are rendered per build, so the words that repeat
(translations, month names, the year's enrolment chart) are worked out once
per build, and links between pages are written as relative paths here rather
than through ``url_for`` (every page but the home page sits one folder down).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import abort, current_app, render_template
from flask_babel import gettext
from markupsafe import Markup

from ..charts import grouped_bars
from ..i18n import month_name, short_date
from ..indicators import BREAKDOWNS
from ..questionnaires import localized
from . import bp
from .labels import BREAKDOWN_TITLES, COMPARE, EXIT_REASON_SHORT, SECTIONS
from .model import Record, Scope, Summary

KINDS = {key: kind for _title, rows in SECTIONS for key, kind, _label, _definition in rows}
LABELS = {key: label for _title, rows in SECTIONS for key, _kind, label, _definition in rows}


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


def period_label(period: str) -> str:
    return month(period) if len(period) == 7 else period


def number(value: float | int, kind: str) -> str:
    if kind == "count":
        return f"{value:,}"
    return f"{value:.1f} %" if kind == "pct" else f"{value:.1f}"


def cell(record: Record | None, path: str, kind: str) -> Markup:
    """A figure as shown: the number, or a marked text saying why there is none."""
    why = record.hidden.get(path) if record else None
    if why == "small":
        return once(("small",), lambda: Markup('<span class="hidden-small">&lt;%s</span>') % summary().k)
    if why == "complement":
        return once(("complement",), lambda: Markup('<span class="hidden-complement">%s</span>') % _("hidden"))
    value = record.values if record else None
    for part in path.split(".") if record else ():
        value = value[part]
    if value is None:
        return Markup('<span class="absent">—</span>')
    return Markup(number(value, kind))


def link(base: str, scope: Scope | str | None = None, period: str | None = None) -> str:
    """A relative link from a page whose folder is ``base`` ('' or '../') to another page."""
    if scope is None:
        return f"{base}index.html"
    slug = scope if isinstance(scope, str) else scope.slug
    return f"{base}{slug}/{period}.html" if period else f"{base}{slug}/index.html"


def crumbs(scope: Scope) -> list[dict]:
    """The way up: country, state, site."""
    chain, key = [], scope.key
    while key:
        s = summary().scopes[key]
        chain.append({"name": _("All sites") if key == "all" else s.name,
                      "href": link("../") if key == "all" else link("../", s)})
        key = s.parent
    return list(reversed(chain))


def compare_table(rows: list[tuple[str, str, Record | None]], note: str | None = None) -> dict:
    """Rows of (name, link, record) against the few comparison columns. A row without a record has no page
    to link to: its name comes with ``note``, which says why."""
    return {"columns": once(("compare",), lambda: [str(LABELS[key]) for key in COMPARE]),
            "rows": [{"name": name, "href": href if record else None, "note": None if record else note,
                      "cells": [cell(record, key, KINDS[key]) for key in COMPARE]}
                     for name, href, record in rows]}


def scope_title(scope: Scope) -> str:
    if scope.kind == "all":
        return _("All sites")
    if scope.kind == "state":
        return _("State: %(name)s", name=scope.name)
    return _("Site: %(name)s", name=scope.name)


def child_kind(scope: Scope) -> str | None:
    return {"all": _("States"), "state": _("Sites")}.get(scope.kind)


def overview_context(scope: Scope, base: str = "../") -> dict:
    s = summary()
    years = compare_table([(year, link(base, scope, year), s.records.get((scope.key, year)))
                           for year in reversed(scope.years)])
    children = [{"name": s.scopes[key].name, "href": link(base, s.scopes[key]),
                 "last_day": short_date(s.scopes[key].last_day) if s.scopes[key].last_day else "—"}
                for key in scope.children]
    return {"title": scope_title(scope), "crumbs": crumbs(scope) if scope.parent else [],
            "last_day": short_date(scope.last_day) if scope.last_day else None,
            "years": years, "children": children, "child_kind": child_kind(scope)}


def hidden_or(record: Record, path: str, value):
    """A bar's value, or the text that stands in for a hidden one."""
    why = record.hidden.get(path)
    if why == "small":
        return f"<{summary().k}"
    return _("hidden") if why == "complement" else value


def nice_ceiling(value: int) -> int:
    """A round top for a count axis: 4, 10, 20, 40, 100, ..."""
    top = 4
    while top < value:
        top = top * 5 // 2 if str(top)[0] == "4" else top * 2
    return top


def enrolment_chart(scope: Scope, year: str) -> str:
    """Men who joined, month by month: the same on every page of the year."""
    def make() -> str:
        months = scope.months[year]
        records = [summary().records[(scope.key, m)] for m in months]
        values = [hidden_or(record, "enrolled", record.values["enrolled"]) for record in records]
        top = nice_ceiling(max((v for v in values if isinstance(v, int)), default=0))
        return grouped_bars([month(m, with_year=False)[:3] for m in months], [(_("Men who joined"), values)],
                            _("Men who joined, month by month, %(year)s", year=year), max_value=top, unit="",
                            width=480)
    return once(("enrolment", scope.key, year), make)


def charts(scope: Scope, period: str, record: Record) -> list[str]:
    v = record.values
    funnel = [hidden_or(record, "enrolled", 100.0 if v["enrolled"] else None)]
    funnel += [hidden_or(record, key, v[key]) for key in ("attended_any_pct", "attended_13_plus_pct",
                                                           "attended_over_75_pct")]
    reasons = list(BREAKDOWNS["exit_reason"])
    exits = [hidden_or(record, f"exit_reason.{r}.count", v["exit_reason"][r]["count"]) for r in reasons]
    recognition = [hidden_or(record, key, v[key]) for key in ("recognition_intake_mean", "recognition_exit_mean")]
    return [
        enrolment_chart(scope, period[:4]),
        grouped_bars(once(("funnel",), lambda: [_("Joined"), _("1 session or more"), _("13 or more"),
                                                _("More than 75%")]),
                     [(_("Percent of the men who joined"), funnel)],
                     _("Staying in the program: men who joined in %(period)s", period=period_label(period)),
                     width=480),
        grouped_bars(once(("reasons",), lambda: [str(EXIT_REASON_SHORT[r]) for r in reasons]),
                     [(_("Men who left"), exits)], _("Men who left, by reason"),
                     max_value=nice_ceiling(max((e for e in exits if isinstance(e, int)), default=0)), unit="",
                     width=480),
        grouped_bars(once(("moments",), lambda: [_("At intake"), _("At exit")]),
                     [(_("Behaviours recognised (of 10)"), recognition)],
                     _("Recognising violence, the same men at intake and at exit"), max_value=10, unit="",
                     width=480),
    ]


def choice_label(breakdown: str, value: str) -> str:
    def make() -> str:
        question = current_app.extensions["questionnaires"][BREAKDOWN_TITLES[breakdown][0]].question(breakdown)
        return next((localized(c.label) for c in question.choices if c.name == value), value)
    return once(("choice", breakdown, value), make)


def period_context(scope: Scope, period: str) -> dict:
    s = summary()
    record = s.records[(scope.key, period)]
    sections = [{"title": title, "rows": [{"label": label, "cell": cell(record, key, kind)}
                                          for key, kind, label in rows]}
                for title, rows in once(("sections",), lambda: [
                    (str(title), [(key, kind, str(label)) for key, kind, label, _d in rows])
                    for title, rows in SECTIONS])]
    breakdowns = [{"title": once(("bt", name), lambda: str(BREAKDOWN_TITLES[name][1])), "rows": [
        {"label": choice_label(name, c), "count": cell(record, f"{name}.{c}.count", "count"),
         "pct": cell(record, f"{name}.{c}.pct", "pct")} for c in categories]}
        for name, categories in BREAKDOWNS.items()]
    # a site's pages run from its first record's year to its last record: outside them its state's page names
    # it without a link, and says its dashes are not zeros
    children = compare_table([(s.scopes[key].name, link("../", s.scopes[key], period), s.records.get((key, period)))
                              for key in scope.children], note=_("no data recorded for this period"))
    year = period[:4]
    return {"title": f"{scope_title(scope)} · {period_label(period)}", "period": period,
            "period_label": period_label(period), "crumbs": crumbs(scope),
            "last_day": short_date(scope.last_day) if scope.last_day else None,
            "years": [{"label": y, "href": f"{y}.html", "current": y == period} for y in scope.years],
            "months": [{"label": month(m, with_year=False), "href": f"{m}.html", "current": m == period}
                       for m in scope.months[year]],
            "sections": sections, "breakdowns": breakdowns, "charts": charts(scope, period, record),
            "children": children, "child_kind": child_kind(scope)}


def home_context() -> dict:
    s = summary()
    context = overview_context(s.scopes["all"], base="")
    made = datetime.fromisoformat(s.generated_at)
    context.update(generated_at=f"{short_date(made)} {made:%H:%M}",
                   data_as_of=short_date(s.data_as_of) if s.data_as_of else None)
    return context


def methodology_context() -> dict:
    s = summary()
    return {"title": _("How the figures are made"), "k": s.k, "crumbs": [],
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
    if (scope.key, values.get("period")) not in s.records:
        abort(404)
    return period_context(scope, values["period"])


TEMPLATES = {"summary.home": "summary/home.html", "summary.methodology": "summary/methodology.html",
             "summary.overview": "summary/overview.html", "summary.period": "summary/period.html"}


def _page(endpoint: str, **values) -> str:
    return render_template(TEMPLATES[endpoint], **context_for(endpoint, values))


@bp.route("/")
def home():
    """The country: years, states, downloads."""
    return _page("summary.home")


@bp.route("/metodologia.html")
def methodology():
    """Every definition and the suppression rule."""
    return _page("summary.methodology")


@bp.route("/<slug>/")
def overview(slug: str):
    """A state or a site: its years and what it holds."""
    return _page("summary.overview", slug=slug)


@bp.route("/<slug>/<period>.html")
def period(slug: str, period: str):
    """A scope's indicators for a year or a month."""
    return _page("summary.period", slug=slug, period=period)
