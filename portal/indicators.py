"""The program's indicators, as pure functions from plain data to plain data.

No Flask here: the web pages, the PDF sheets and the frozen summary call these
same functions. A scope is a list of ``SiteData`` (one site, a state's sites,
or all); a period is a year ``YYYY`` or a month ``YYYY-MM``.

Rules (PRODUCT.md section 6): percentages and means have one decimal, rounded
half away from zero; a percentage or mean with a zero denominator is absent
(``None``), not 0. Counts are whole numbers.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

REFERRAL_SOURCES = ("friends", "partner_invitation", "health_staff", "justice", "media", "self", "other")
MAIN_REASONS = ("improve_family", "stop_violence", "partner_request", "legal", "other")
RISK_LEVELS = ("low", "medium", "high")
EXIT_REASONS = ("completed", "dropped_out", "transferred", "other")
REC_ITEMS = ("rec_insults", "rec_jealousy_control", "rec_threats", "rec_isolation", "rec_push_hit",
             "rec_throw_objects", "rec_forced_sex", "rec_withhold_money", "rec_take_belongings",
             "rec_children_leverage")
BREAKDOWNS = {"referral_source": REFERRAL_SOURCES, "main_reason": MAIN_REASONS, "risk_level": RISK_LEVELS,
              "exit_reason": EXIT_REASONS}
SESSIONS_13 = 13  # the national evaluation's threshold, whatever a site's N
# A choice renamed in a later version of a questionnaire (``renamed_from``, form_versions.py) is counted as one
# with its earlier name: questionnaire -> question -> stored name -> the name counted. Set once at start-up from
# the definitions, as the constants above are fixed by PRODUCT.md.
COUNTED_AS: dict[str, dict[str, dict[str, str]]] = {}


def count_renamed_as_one(counted_as: dict[str, dict[str, dict[str, str]]]) -> None:
    COUNTED_AS.clear()
    COUNTED_AS.update(counted_as)


def counted(qid: str, answers: dict) -> dict:
    """The answers with each renamed choice under the name the indicators count (as stored when none is)."""
    renamed = COUNTED_AS.get(qid)
    if not renamed:
        return answers
    out = dict(answers)
    for question, names in renamed.items():
        value = out.get(question)
        if isinstance(value, str):
            out[question] = names.get(value, value)
        elif isinstance(value, list):
            out[question] = [names.get(v, v) for v in value]
    return out


@dataclass
class SiteData:
    """One site's records as stored: participants, sessions (with ``present``), responses."""

    code: str
    state: str
    sessions_in_program: int
    participants: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)


def round1(value: Decimal | float | int | None) -> float | None:
    """One decimal, half away from zero (12.25 -> 12.3, -12.25 -> -12.3)."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    if type(numerator) is int and type(denominator) is int and numerator >= 0 and denominator > 0:
        # whole numbers: tenths of a percent rounded half up in integers (the summary computes ~700,000 of them)
        return ((numerator * 2000 + denominator) // (2 * denominator)) / 10
    return round1(Decimal(numerator) * 100 / Decimal(denominator))


def mean(values: Iterable[int | float]) -> float | None:
    values = list(values)
    if not values:
        return None
    return round1(sum(Decimal(str(v)) for v in values) / Decimal(len(values)))


def recognition_score(answers: dict) -> int:
    """How many of the ten behaviours he named as violence (0..10)."""
    return sum(1 for item in REC_ITEMS if answers.get(item) == "yes")


def over_75(attended: int, sessions_in_program: int) -> bool:
    """More than 75% of N: 19 or more of 24, 16 or more of 20."""
    return attended * 4 > sessions_in_program * 3


def breakdown(values: list[str | None], categories: tuple[str, ...]) -> dict[str, dict]:
    total = len(values)
    return {c: {"count": values.count(c), "pct": pct(values.count(c), total)} for c in categories}


def periods_of(day: str | None, only: str | None = None) -> tuple[str, ...]:
    """The year and the month an ISO date belongs to (just ``only`` when it is given)."""
    if not day:
        return ()
    found = (day[:4], day[:7])
    return tuple(p for p in found if p == only) if only else found


def site_tallies(site: SiteData, data_as_of: str, only: str | None = None, keys=None) -> dict[str, Counter]:
    """One pass over a site's records: the counts and sums behind every indicator, per period.

    A tally adds up across sites (a man belongs to one site), so a state's or the
    country's figures are the sum of its sites' tallies; ``finish`` turns a tally
    into the indicators. ``only`` restricts the work to one period. With ``keys``
    (``disclosure.CellKeys``), each count of men also carries the sum of their keys
    under ``#name`` (and attendances the sum of their marks' keys), which the
    summary's protection of small counts needs.
    """
    tallies: dict[str, Counter] = {}

    def add(day: str | None, key: str, amount: int = 1) -> None:
        for period in periods_of(day, only):
            tallies.setdefault(period, Counter())[key] += amount

    def count(day: str | None, key: str, code: str, yes: bool = True) -> None:
        """One man in a count (when ``yes``), with his key."""
        if yes:
            add(day, key)
            if keys is not None:
                add(day, f"#{key}", keys.man(code))
        else:
            add(day, key, 0)

    attended: dict[str, int] = {}
    for s in site.sessions:
        if s["date"] <= data_as_of:
            for code in s["present"]:
                attended[code] = attended.get(code, 0) + 1
        add(s["date"], "sessions_held")
        add(s["date"], "attendances", len(s["present"]))
        if keys is not None:
            add(s["date"], "#attendances", sum(keys.mark(s.get("session_id") or s["date"], code) for code in s["present"]))
        if s["venue"] != "health_centre":
            add(s["date"], "sessions_outside")
    seen: dict[str, set] = {}
    for s in site.sessions:
        for period in periods_of(s["date"], only):
            seen.setdefault(period, set()).update(s["present"])
    for period, men in seen.items():
        tallies[period]["active_participants"] += len(men)
        if keys is not None:
            tallies[period]["#active_participants"] += sum(keys.man(code) for code in men)

    intake_by_man = {r["participant_code"]: r for r in site.responses if r["questionnaire"] == "intake"}
    for r in site.responses:
        kind, day, code = r["questionnaire"], r["submitted_on"], r["participant_code"]
        answers = counted(kind, r["answers"])
        if kind == "intake":
            count(day, "enrolled", code)
            if isinstance(answers.get("age"), (int, float)):
                count(day, "age_n", code)
                add(day, "age_sum", answers["age"])
            for name in ("referral_source", "main_reason"):
                count(day, f"{name}.", code)
                count(day, f"{name}.{answers.get(name)}", code)
            man = attended.get(code, 0)
            count(day, "cohort", code)
            add(day, "cohort_sessions", man)
            count(day, "cohort_any", code, man >= 1)
            count(day, "cohort_13", code, man >= SESSIONS_13)
            count(day, "cohort_over_75", code, over_75(man, site.sessions_in_program))
        elif kind == "facilitator_intake":
            count(day, "risk_level.", code)
            count(day, f"risk_level.{answers.get('risk_level')}", code)
        elif kind == "facilitator_exit":
            count(day, "exits", code)
            count(day, "exit_reason.", code)
            count(day, f"exit_reason.{answers.get('exit_reason')}", code)
        elif kind == "exit":
            count(day, "exit_questionnaires", code)
            if answers.get("strategy_used"):
                count(day, "strategy_n", code)
                count(day, "strategy_yes", code, answers["strategy_used"] == "yes")
            if answers.get("family_change"):
                count(day, "family_n", code)
                count(day, "family_better", code, answers["family_change"] == "better")
            intake = intake_by_man.get(code)
            if intake is not None:
                before, after = recognition_score(counted("intake", intake["answers"])), recognition_score(answers)
                count(day, "paired", code)
                add(day, "recognition_intake_sum", before)
                add(day, "recognition_exit_sum", after)
    return tallies


def ratio(total: int | float, n: int) -> float | None:
    """A mean from a sum and a count: one decimal, absent when there is nothing to average."""
    return round1(Decimal(str(total)) / Decimal(n)) if n else None


def finish(t: Counter) -> dict:
    """The indicators of PRODUCT.md section 6 from a (possibly summed) tally."""
    def parts(name: str, categories: tuple[str, ...]) -> dict[str, dict]:
        return {c: {"count": t[f"{name}.{c}"], "pct": pct(t[f"{name}.{c}"], t[f"{name}."])} for c in categories}

    return {
        "enrolled": t["enrolled"],
        "mean_age": ratio(t["age_sum"], t["age_n"]),
        "referral_source": parts("referral_source", REFERRAL_SOURCES),
        "main_reason": parts("main_reason", MAIN_REASONS),
        "risk_level": parts("risk_level", RISK_LEVELS),
        "sessions_held": t["sessions_held"],
        "attendances": t["attendances"],
        "mean_attendance_per_session": ratio(t["attendances"], t["sessions_held"]),
        "sessions_outside_health_centre_pct": pct(t["sessions_outside"], t["sessions_held"]),
        "active_participants": t["active_participants"],
        "attended_any_pct": pct(t["cohort_any"], t["cohort"]),
        "attended_13_plus_pct": pct(t["cohort_13"], t["cohort"]),
        "attended_over_75_pct": pct(t["cohort_over_75"], t["cohort"]),
        "mean_sessions_attended": ratio(t["cohort_sessions"], t["cohort"]),
        "exits": t["exits"],
        "exit_reason": parts("exit_reason", EXIT_REASONS),
        "exit_questionnaires": t["exit_questionnaires"],
        "strategy_used_pct": pct(t["strategy_yes"], t["strategy_n"]),
        "family_change_better_pct": pct(t["family_better"], t["family_n"]),
        "paired": t["paired"],
        "recognition_intake_mean": ratio(t["recognition_intake_sum"], t["paired"]),
        "recognition_exit_mean": ratio(t["recognition_exit_sum"], t["paired"]),
        "recognition_change_mean": ratio(t["recognition_exit_sum"] - t["recognition_intake_sum"], t["paired"]),
    }


def combine(tallies: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for t in tallies:
        total.update(t)
    return total


def compute(sites: list[SiteData], period: str, data_as_of: str) -> dict:
    """Every indicator for this scope and period; attendance counts up to ``data_as_of``."""
    return finish(combine(site_tallies(site, data_as_of, only=period).get(period, Counter()) for site in sites))


def select_scope(sites: list[SiteData], scope: str) -> list[SiteData]:
    """``all``, ``state:NN`` or ``site:CODE``."""
    if scope == "all":
        return list(sites)
    kind, _, value = scope.partition(":")
    if kind == "state":
        return [s for s in sites if s.state == value]
    if kind == "site":
        return [s for s in sites if s.code == value]
    raise ValueError(scope)


def from_snapshot(code: str, state: str, sessions_in_program: int, snapshot) -> SiteData:
    """A site's records from a storage snapshot (anything with ``all(table)``)."""
    return SiteData(code, state, sessions_in_program, snapshot.all("participants"), snapshot.all("sessions"),
                    snapshot.all("responses"))
