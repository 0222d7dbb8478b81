"""Small made-up programmes (a few sites in a few states) for the attack on the summary: the structures where
bounded adjustments are most at risk. A helper module of the tests and of ``bench/disclosure.py``."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from attack import true_counts

from portal.disclosure import CellKeys
from portal.indicators import BREAKDOWNS, SiteData, combine, site_tallies
from portal.summary.model import SiteTallies, summarise

FAR_FUTURE = "9999-12-31"


def site_of(code: str, state: str, men: int, year: int, rng: random.Random) -> SiteData:
    """A site whose ``men`` join during ``year``, answer, come to some sessions of one group and some leave."""
    site = SiteData(code, state, 24)
    start = date(year, 1, 1)
    codes = [f"{code}-{year}-{n + 1:04d}" for n in range(men)]
    joined = {c: start + timedelta(days=rng.randrange(300)) for c in codes}
    for c in codes:
        day = joined[c].isoformat()
        site.participants.append({"participant_code": c, "enrolled_on": day, "group_code": "G"})
        site.responses.append({"participant_code": c, "questionnaire": "intake", "submitted_on": day, "answers": {
            "age": rng.randrange(18, 70), "referral_source": rng.choice(BREAKDOWNS["referral_source"]),
            "main_reason": rng.choice(BREAKDOWNS["main_reason"]),
            **{f"rec_{i}": rng.choice(("yes", "no")) for i in ("insults", "threats")}}})
        site.responses.append({"participant_code": c, "questionnaire": "facilitator_intake", "submitted_on": day,
                               "answers": {"risk_level": rng.choice(BREAKDOWNS["risk_level"])}})
        if rng.random() < 0.5:
            left = min(joined[c] + timedelta(days=rng.randrange(20, 120)), date(year, 12, 31)).isoformat()
            site.responses.append({"participant_code": c, "questionnaire": "facilitator_exit", "submitted_on": left,
                                   "answers": {"exit_reason": rng.choice(BREAKDOWNS["exit_reason"])}})
            site.responses.append({"participant_code": c, "questionnaire": "exit", "submitted_on": left,
                                   "answers": {"strategy_used": rng.choice(("yes", "no")),
                                               "family_change": rng.choice(("better", "same"))}})
    for n in range(rng.randrange(4, 30)):
        day = start + timedelta(days=7 * n + rng.randrange(3))
        present = [c for c in codes if joined[c] <= day and rng.random() < 0.6]
        site.sessions.append({"session_id": f"{code}-s{n}", "group_code": "G", "number": n + 1,
                              "date": day.isoformat(), "venue": rng.choice(("health_centre", "community")),
                              "present": present})
    return site


def tiny_programme(seed: int, shape: tuple[tuple[str, int], ...] = (("01", 40), ("01", 25), ("02", 18), ("03", 3)),
                   year: int = 2024) -> list[SiteData]:
    """Four sites in three states by default, one of them of 3 men."""
    rng = random.Random(seed)
    return [site_of(f"S{n}", state, men, year, rng) for n, (state, men) in enumerate(shape)]


def published(sites: list[SiteData], secret: bytes, k: int = 5) -> tuple[list[dict], dict, dict]:
    """(the records as ``indicators.json`` holds them, each scope's parent, the true counts) of ``sites``."""
    tallied = []
    for s in sites:
        tallies = site_tallies(s, FAR_FUTURE, keys=CellKeys(secret, s.code))
        days = [r["submitted_on"] for r in s.responses] + [x["date"] for x in s.sessions]
        tallied.append(SiteTallies(s.code, s.code, s.state, tallies, min(days), max(days)))
    summary = summarise(tallied, k, "2025-01-01T00:00:00+00:00")
    records = records_of(summary)
    parents = {key: scope.parent for key, scope in summary.scopes.items()}
    return records, parents, truth_of(summary, tallied)


def records_of(summary) -> list[dict]:
    """The summary's records as ``data/indicators.json`` holds them (what the attack reads)."""
    return [{"scope": scope, "period": period, **record.values, **({"exact": True} if record.exact else {})}
            for (scope, period), record in summary.records.items()]


def truth_of(summary, tallied: list[SiteTallies]) -> dict:
    """The true count behind every published one (and the counts the attack also solves for)."""
    truth = {}
    for (scope, period) in summary.records:
        members = [s for s in tallied if scope in ("all", f"state:{s.state}", f"site:{s.code}")]
        truth.update(true_counts(scope, period, combine(s.tallies.get(period, Counter()) for s in members)))
    return truth
