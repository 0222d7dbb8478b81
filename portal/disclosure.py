"""Small-cell suppression for everything that leaves a site in aggregate form (PRODUCT.md section 6).

Pure functions, like ``indicators``: a tally goes in, the indicators come out
with the values that could point at a few men replaced by ``None`` and their
dotted paths listed, each with the reason:

- ``small``: a count from 1 to k-1, a mean or percentage over fewer than k men,
  or a percentage whose numerator is from 1 to k-1. Shown as ``<k``.
- ``complement``: where a breakdown hides exactly one category, the next
  smallest category is hidden too, so the hidden one cannot be worked out from
  the total. Non-zero categories are preferred (zero is published as zero);
  only when every other category is zero is a zero hidden.

Values about sessions alone (``sessions_held``,
``sessions_outside_health_centre_pct``) are published as they are.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator

from .indicators import BREAKDOWNS, finish

DEFAULT_K = 5
SMALL, COMPLEMENT = "small", "complement"

# indicator -> the tally key that counts men (or visits of men)
COUNTS = {"enrolled": "enrolled", "attendances": "attendances", "active_participants": "active_participants",
          "exits": "exits", "exit_questionnaires": "exit_questionnaires", "paired": "paired"}
# mean -> the number of men it averages over
MEANS = {"mean_age": "age_n", "mean_sessions_attended": "cohort", "recognition_intake_mean": "paired",
         "recognition_exit_mean": "paired", "recognition_change_mean": "paired"}
# percentage -> (numerator, denominator)
PERCENTS = {"attended_any_pct": ("cohort_any", "cohort"), "attended_13_plus_pct": ("cohort_13", "cohort"),
            "attended_over_75_pct": ("cohort_over_75", "cohort"), "strategy_used_pct": ("strategy_yes", "strategy_n"),
            "family_change_better_pct": ("family_better", "family_n")}
# a mean that follows the rule through its numerator
THROUGH_NUMERATOR = {"mean_attendance_per_session": "attendances"}


def publish(tally: Counter, k: int = DEFAULT_K) -> tuple[dict, dict[str, str]]:
    """The indicators as they may be published, and {dotted path: reason} for every hidden value."""
    if k < 2:
        raise ValueError("k must be at least 2")
    values = finish(tally)
    hidden: dict[str, str] = {}

    def small(n: int) -> bool:
        return 0 < n < k

    for name, key in COUNTS.items():
        if small(tally[key]):
            hidden[name] = SMALL
    for name, key in MEANS.items():
        if small(tally[key]):
            hidden[name] = SMALL
    for name, (num, den) in PERCENTS.items():
        if small(tally[den]) or small(tally[num]):
            hidden[name] = SMALL
    for name, key in THROUGH_NUMERATOR.items():
        if small(tally[key]):
            hidden[name] = SMALL

    for name, categories in BREAKDOWNS.items():
        total = tally[f"{name}."]
        counts = {c: tally[f"{name}.{c}"] for c in categories}
        for c, n in counts.items():
            if small(n):
                hidden[f"{name}.{c}.count"] = hidden[f"{name}.{c}.pct"] = SMALL
            elif small(total):
                hidden[f"{name}.{c}.pct"] = SMALL
        hidden_cells = [c for c in categories if f"{name}.{c}.count" in hidden]
        if len(hidden_cells) == 1:
            others = [c for c in categories if c not in hidden_cells]
            # the smallest non-zero category; a zero one only when nothing else is left
            partner = min(others, key=lambda c: (counts[c] == 0, counts[c], categories.index(c)))
            hidden[f"{name}.{partner}.count"] = hidden[f"{name}.{partner}.pct"] = COMPLEMENT

    for path in hidden:
        parts = path.split(".")
        if len(parts) == 1:
            values[path] = None
        else:
            values[parts[0]][parts[1]][parts[2]] = None
    ordered = {path: hidden[path] for path, _value in flatten(values) if path in hidden}
    return values, ordered


def flatten(values: dict) -> Iterator[tuple[str, float | int | None]]:
    """(dotted path, value) for every published figure, in the indicator module's order."""
    for name, value in values.items():
        if isinstance(value, dict):
            for category, cell in value.items():
                for part in ("count", "pct"):
                    yield f"{name}.{category}.{part}", cell[part]
        else:
            yield name, value
