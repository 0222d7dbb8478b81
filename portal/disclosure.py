"""Protecting small counts in everything that leaves a site in aggregate form (PRODUCT.md section 6).

Pure functions, like ``indicators``. The method is cell-key perturbation, as the Australian Bureau of
Statistics' TableBuilder and the UK's 2021 Census use it:

- every man carries a fixed random key (``CellKeys``: derived from a secret the portal keeps, never published);
  every attendance mark carries one too. A tally carries, beside each count of men, the sum of their keys
  (``#count``), so a state's and the country's key sums are their sites' added up, like the counts;
- a cell's key is the fractional part of its key sum, and a fixed table (``adjust``) turns (true count, cell key)
  into the published count, at most ``MAX_CHANGE`` (2) away: 0 stays 0, 1 and 2 are never published, and a small
  count is never published at the edge of the range a reader can give it (``could_be``). The same men give the
  same cell key: the same cell shows the same number everywhere and in every rebuild;
- the exact levels (``EXACT_LEVELS``: the country's years) publish every count of ``k`` or more as it is; a
  smaller count there goes through the same table, so that a reader never knows a small count exactly;
- percentages are computed from the published counts and means over the men they average are shown only when
  the published number of men is at least ``k``: a figure about fewer men means nothing and stays blank (its path
  is listed as withheld). Figures about sessions alone are published as they are.
"""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Iterator

from .indicators import BREAKDOWNS, finish, pct, ratio

DEFAULT_K = 5
MAX_CHANGE = 2
METHOD = "cell-key perturbation"
KEY_SPACE = 1 << 32
EXACT_LEVELS = ("all-year",)

# published count -> the tally key whose men it counts (and whose key sum makes its cell key)
COUNTS = {"enrolled": "enrolled", "attendances": "attendances", "active_participants": "active_participants",
          "exits": "exits", "exit_questionnaires": "exit_questionnaires", "paired": "paired"}
# percentage -> (numerator, denominator), both counts of men
PERCENTS = {"attended_any_pct": ("cohort_any", "cohort"), "attended_13_plus_pct": ("cohort_13", "cohort"),
            "attended_over_75_pct": ("cohort_over_75", "cohort"), "strategy_used_pct": ("strategy_yes", "strategy_n"),
            "family_change_better_pct": ("family_better", "family_n")}
# mean -> (the sum it divides, the men it averages over)
MEANS = {"mean_age": ("age_sum", "age_n"), "mean_sessions_attended": ("cohort_sessions", "cohort"),
         "recognition_intake_mean": ("recognition_intake_sum", "paired"),
         "recognition_exit_mean": ("recognition_exit_sum", "paired")}
# every tally key that counts men or marks, and so carries a key sum
KEYED = tuple(dict.fromkeys([*COUNTS.values(), *(k for pair in PERCENTS.values() for k in pair), "age_n",
                             *(f"{name}.{c}" for name, cs in BREAKDOWNS.items() for c in (*cs, ""))]))


class CellKeys:
    """The fixed random keys of one site's men and attendance marks, made from the portal's secret: the same man
    has the same key in every build, after corrections and syncs, and nobody without the secret can make them."""

    def __init__(self, secret: bytes, site: str):
        self.secret, self.site, self._men, self._sessions = secret, site, {}, {}

    def _draw(self, text: str) -> int:
        digest = hmac.new(self.secret, f"{self.site}\x1f{text}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")

    def man(self, code: str) -> int:
        key = self._men.get(code)
        if key is None:
            key = self._men[code] = self._draw(code)
        return key

    def mark(self, session: str, code: str) -> int:
        """An attendance mark's key: the man's key mixed with the session's (cheap, as there are many marks)."""
        session_key = self._sessions.get(session)
        if session_key is None:
            session_key = self._sessions[session] = self._draw(f"session\x1f{session}")
        mixed = (self.man(code) * 0x9E3779B1 + session_key) & 0xFFFFFFFF
        mixed ^= mixed >> 16
        return (mixed * 0x85EBCA6B) & 0xFFFFFFFF


def secret_for(secret_key: str | bytes) -> bytes:
    """The secret of the cell keys, derived from the portal's own secret key (kept in the instance and its
    backups, never published): another purpose, another key."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(raw, b"summary cell keys", hashlib.sha256).digest()


# The table for counts below 5: (cumulative probability bounds, published values). A small count is never
# published at the edge of what a reader who knows the largest change can say of it (a 1 shown as 0 may be 0 to 2;
# a 2 shown as 3 may be 1 to 5; a 3 as 3 or 4; a 4 as 3, 4 or 5): however the published figures are added and
# subtracted, the sums cannot squeeze it to one value unless other figures sit at their own edges on both sides
# at once. 1 and 2 never appear. Counts of 5 or more move by -2..+2 with probabilities .1/.2/.4/.2/.1.
_SMALL_TABLE = {1: ((1.0,), (0,)), 2: ((1.0,), (3,)), 3: ((0.5, 1.0), (3, 4)), 4: ((1 / 3, 2 / 3, 1.0), (3, 4, 5))}
_LARGE = ((0.1, 0.3, 0.7, 0.9, 1.0), (-2, -1, 0, 1, 2))


def adjust(count: int, key_sum: int, k: int = DEFAULT_K, exact: bool = False) -> int:
    """The published count of a cell: ``count`` men whose keys add up to ``key_sum``.

    At an exact level a count of ``k`` or more is published as it is; every other count goes through the table.
    """
    bounds, values = _row(count, k, exact)
    u = (key_sum % KEY_SPACE) / KEY_SPACE
    return next((value for bound, value in zip(bounds, values) if u < bound), values[-1])


def _row(count: int, k: int, exact: bool) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """(cumulative probability bounds, published values) of the table for ``count`` men."""
    if count <= 0:
        return (1.0,), (0,)
    if exact and count >= k:
        return (1.0,), (count,)
    if count in _SMALL_TABLE:
        return _SMALL_TABLE[count]
    bounds, changes = _LARGE
    return bounds, tuple(count + change for change in changes)


def could_be(published: int, k: int = DEFAULT_K, exact: bool = False) -> tuple[int, int]:
    """The least and the greatest true count behind a published one, as a reader who knows what is declared
    (``declaration``) can say: within ``MAX_CHANGE`` of it, or itself at an exact level when it is above ``k``
    (a count below ``k`` moved up by the table reaches ``k`` at most)."""
    if exact and published > k:
        return published, published
    return max(0, published - MAX_CHANGE), published + MAX_CHANGE


def outcomes(count: int, k: int = DEFAULT_K, exact: bool = False) -> tuple[int, ...]:
    """Every count the table may publish for ``count`` men (what a reader who has the code knows)."""
    return _row(count, k, exact)[1]


def published_counts(tally: Counter, k: int = DEFAULT_K, exact: bool = False) -> Counter:
    """Every count of men (and marks) of a tally as it is published."""
    get = tally.get
    return Counter({name: adjust(get(name, 0), get(f"#{name}", 0), k, exact) for name in KEYED if get(name)})


def publish(tally: Counter, k: int = DEFAULT_K, exact: bool = False) -> tuple[dict, list[str]]:
    """The indicators of one table as they are published, and the paths of the figures left blank because the
    published number of men they are about is below ``k``."""
    if k < 2:
        raise ValueError("k must be at least 2")
    shown = published_counts(tally, k, exact)
    merged = defaultdict(int, tally)  # missing keys are 0 (faster than a Counter's, some 25,000 tables a build)
    merged.update(shown)
    values = finish(merged)
    blank: list[str] = []
    for name, (num, den) in PERCENTS.items():
        values[name] = _share(shown[num], shown[den], k, name, blank)
    for name, (total, den) in MEANS.items():
        values[name] = ratio(tally[total], tally[den]) if shown[den] >= k else _blank(name, shown[den], blank)
    values["recognition_change_mean"] = (ratio(tally["recognition_exit_sum"] - tally["recognition_intake_sum"],
                                               tally["paired"]) if shown["paired"] >= k
                                         else _blank("recognition_change_mean", shown["paired"], blank))
    values["mean_attendance_per_session"] = ratio(shown["attendances"], tally["sessions_held"])
    for name, categories in BREAKDOWNS.items():
        for c in categories:
            values[name][c]["pct"] = _share(shown[f"{name}.{c}"], shown[f"{name}."], k, f"{name}.{c}.pct", blank)
    return values, [path for path in _ORDER if path in blank]


def _share(numerator: int, denominator: int, k: int, path: str, blank: list[str]) -> float | None:
    """A percentage of published counts: blank below ``k`` men, never above 100."""
    if denominator < k:
        return _blank(path, denominator, blank)
    return pct(min(numerator, denominator), denominator)


def _blank(path: str, men: int, blank: list[str]) -> None:
    """Withheld when the published number of men is from 1 to k-1; absent when it is 0 (whatever the truth: the
    list of withheld figures must not tell a published 0 from a true one)."""
    if men:
        blank.append(path)
    return None


def flatten(values: dict) -> Iterator[tuple[str, float | int | None]]:
    """(dotted path, value) for every published figure, in the indicator module's order."""
    for name, value in values.items():
        if isinstance(value, dict):
            for category, cell in value.items():
                for part in ("count", "pct"):
                    yield f"{name}.{category}.{part}", cell[part]
        else:
            yield name, value


_ORDER = {path: i for i, (path, _value) in enumerate(flatten(finish(Counter())))}


def exact_level(scope: str, period: str) -> bool:
    """Whether a table's counts of ``k`` or more are published as they are (``EXACT_LEVELS``)."""
    level = f"{scope.partition(':')[0]}-{'year' if len(period) == 4 else 'month'}"
    return level in EXACT_LEVELS


def declaration(k: int) -> dict:
    """What ``indicators.json`` says of the method (PRODUCT.md section 8)."""
    return {"method": METHOD, "k": k, "max_change": MAX_CHANGE, "exact": list(EXACT_LEVELS)}


__all__ = ["DEFAULT_K", "MAX_CHANGE", "CellKeys", "adjust", "could_be", "outcomes", "publish", "flatten", "secret_for",
           "declaration", "exact_level"]
