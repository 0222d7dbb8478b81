"""The program's indicators, as pure functions from plain data to plain data.

No Flask here: the web pages, the PDF sheets and the frozen summary call these
same functions. A scope is a list of ``SiteData`` (one site, a state's sites,
or all); a period is a year ``YYYY`` or a month ``YYYY-MM``.

Rules (PRODUCT.md section 6): percentages and means have one decimal, rounded
half away from zero; a percentage or mean with a zero denominator is absent
(``None``), not 0. Counts are whole numbers.
"""
from __future__ import annotations

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
    return round1(Decimal(numerator) * 100 / Decimal(denominator))


def mean(values: Iterable[int | float]) -> float | None:
    values = list(values)
    if not values:
        return None
    return round1(sum(Decimal(str(v)) for v in values) / Decimal(len(values)))


def in_period(day: str | None, period: str) -> bool:
    """ISO date ``day`` falls in ``YYYY`` or ``YYYY-MM``."""
    return bool(day) and day.startswith(period)


def recognition_score(answers: dict) -> int:
    """How many of the ten behaviours he named as violence (0..10)."""
    return sum(1 for item in REC_ITEMS if answers.get(item) == "yes")


def over_75(attended: int, sessions_in_program: int) -> bool:
    """More than 75% of N: 19 or more of 24, 16 or more of 20."""
    return attended * 4 > sessions_in_program * 3


def breakdown(values: list[str | None], categories: tuple[str, ...]) -> dict[str, dict]:
    total = len(values)
    return {c: {"count": values.count(c), "pct": pct(values.count(c), total)} for c in categories}


def compute(sites: list[SiteData], period: str, data_as_of: str) -> dict:
    """Every indicator for this scope and period; attendance counts up to ``data_as_of``."""
    intakes, fac_intakes, exits, exit_forms = [], [], [], []
    intake_by_man: dict[str, dict] = {}
    sessions_in_period, attended_by_man, n_of_man = [], {}, {}
    for site in sites:
        for p in site.participants:
            n_of_man[p["code"]] = site.sessions_in_program
        for s in site.sessions:
            if s["date"] <= data_as_of:
                for code in s["present"]:
                    attended_by_man[code] = attended_by_man.get(code, 0) + 1
            if in_period(s["date"], period):
                sessions_in_period.append(s)
        for r in site.responses:
            kind, dated = r["questionnaire"], in_period(r["submitted_on"], period)
            if kind == "intake":
                intake_by_man[r["participant_code"]] = r
                if dated:
                    intakes.append(r)
            elif dated and kind == "facilitator_intake":
                fac_intakes.append(r)
            elif dated and kind == "facilitator_exit":
                exits.append(r)
            elif dated and kind == "exit":
                exit_forms.append(r)

    ages = [r["answers"]["age"] for r in intakes if isinstance(r["answers"].get("age"), (int, float))]
    attendances = sum(len(s["present"]) for s in sessions_in_period)
    outside = sum(1 for s in sessions_in_period if s["venue"] != "health_centre")
    active = {code for s in sessions_in_period for code in s["present"]}

    cohort = [r["participant_code"] for r in intakes]
    attended = [attended_by_man.get(code, 0) for code in cohort]
    over = [over_75(a, n_of_man.get(code, 24)) for code, a in zip(cohort, attended)]

    strategy = [r["answers"].get("strategy_used") for r in exit_forms if r["answers"].get("strategy_used")]
    family = [r["answers"].get("family_change") for r in exit_forms if r["answers"].get("family_change")]
    pairs = [(recognition_score(intake_by_man[r["participant_code"]]["answers"]), recognition_score(r["answers"]))
             for r in exit_forms if r["participant_code"] in intake_by_man]

    return {
        "enrolled": len(intakes),
        "mean_age": mean(ages),
        "referral_source": breakdown([r["answers"].get("referral_source") for r in intakes], REFERRAL_SOURCES),
        "main_reason": breakdown([r["answers"].get("main_reason") for r in intakes], MAIN_REASONS),
        "risk_level": breakdown([r["answers"].get("risk_level") for r in fac_intakes], RISK_LEVELS),
        "sessions_held": len(sessions_in_period),
        "attendances": attendances,
        "mean_attendance_per_session": round1(Decimal(attendances) / len(sessions_in_period))
        if sessions_in_period else None,
        "sessions_outside_health_centre_pct": pct(outside, len(sessions_in_period)),
        "active_participants": len(active),
        "attended_any_pct": pct(sum(1 for a in attended if a >= 1), len(cohort)),
        "attended_13_plus_pct": pct(sum(1 for a in attended if a >= SESSIONS_13), len(cohort)),
        "attended_over_75_pct": pct(sum(over), len(cohort)),
        "mean_sessions_attended": mean(attended),
        "exits": len(exits),
        "exit_reason": breakdown([r["answers"].get("exit_reason") for r in exits], EXIT_REASONS),
        "exit_questionnaires": len(exit_forms),
        "strategy_used_pct": pct(strategy.count("yes"), len(strategy)),
        "family_change_better_pct": pct(family.count("better"), len(family)),
        "paired": len(pairs),
        "recognition_intake_mean": mean(a for a, _ in pairs),
        "recognition_exit_mean": mean(b for _, b in pairs),
        "recognition_change_mean": mean(b - a for a, b in pairs),
    }


def adherence_funnel(result: dict) -> list[tuple[str, float | None]]:
    """Enrolled, at least 1 session, 13 or more, more than 75%: as percents of the enrolled."""
    return [("enrolled", 100.0 if result["enrolled"] else None), ("attended_any", result["attended_any_pct"]),
            ("attended_13_plus", result["attended_13_plus_pct"]), ("attended_over_75", result["attended_over_75_pct"])]


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
