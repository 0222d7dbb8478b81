"""The attack on the summary's protection of small counts, as a reader who knows the method would make it.

A helper module of the tests and of ``bench/disclosure.py`` (not a test module). The reader has
``data/indicators.json`` and knows the method (``disclosure``): the table, the largest change, the exact levels.
Every published count says where its true count may lie (``disclosure.could_be``: within the change of the
table, exact at an exact level where it is k or more); the true counts add up (sites to their state, states to
the country, months to their year, a breakdown's answers to its total; active men only up: a man active in two
months counts once in the year); a published percentage gives its published numerator within rounding, and so
its true one within the table; men who came to 13 sessions came to one, and so on. For each true count from 1
to k-1 the least and the greatest value consistent with all that are found by linear programming (HiGHS); a
count whose range holds a single whole number has been worked out.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict

from scipy import optimize, sparse

from portal import forked
from portal.disclosure import COUNTS, MAX_CHANGE, could_be, outcomes
from portal.indicators import BREAKDOWNS, finish, pct

TOTALS = {"referral_source": "enrolled", "main_reason": "enrolled", "exit_reason": "exits",
          "risk_level": "risk_level.total"}
# adherence: the men behind each percentage of the men who joined (all counted among the joined)
COHORT = {"attended_any_pct": "cohort_any", "attended_13_plus_pct": "cohort_13",
          "attended_over_75_pct": "cohort_over_75"}
PUBLISHED_COUNTS = tuple(COUNTS) + tuple(f"{name}.{c}.count" for name, cs in BREAKDOWNS.items() for c in cs)
HIDDEN_COUNTS = ("risk_level.total", *COHORT.values())  # true counts the records do not show as such
ADDITIVE = tuple(p for p in PUBLISHED_COUNTS + HIDDEN_COUNTS if p != "active_participants")


def true_counts(scope: str, period: str, tally) -> dict:
    """{(scope, period, path): true count} of one table: every count the attack solves for."""
    values = finish(tally)
    found = {(scope, period, path): value_at(values, path) for path in PUBLISHED_COUNTS}
    found.update({(scope, period, key): tally[key] for key in COHORT.values()})
    found[(scope, period, "risk_level.total")] = tally["risk_level."]
    return found


def value_at(record: dict, path: str):
    parts = path.split(".")
    return record[path] if len(parts) == 1 else record[parts[0]][parts[1]][parts[2]]


def by_table(published: int, k: int, exact: bool = False) -> tuple[int, int]:
    """What a reader who has the table itself (the code), not only the declared bound, can say of a count."""
    found = [n for n in range(published + MAX_CHANGE + 1) if published in outcomes(n, k, exact)]
    return (min(found), max(found)) if found else (published, published)


READERS = {"declared": could_be, "table": by_table}


def bounds_of(record: dict, path: str, k: int, reader=could_be) -> tuple[float, float | None]:
    """What the reader knows of one true count from its own record."""
    exact = bool(record.get("exact"))
    if path in PUBLISHED_COUNTS:
        return reader(value_at(record, path) or 0, k, exact)
    if path in COHORT.values():
        share = record[next(name for name, key in COHORT.items() if key == path)]
        men = record["enrolled"] or 0
        if share is None:
            return 0, None
        numerators = [m for m in range(men + 1) if pct(m, men) == share]
        ranges = [reader(m, k, exact) for m in numerators]
        return min(lo for lo, _hi in ranges), max(hi for _lo, hi in ranges)
    return 0, None


def attack(records: list[dict], parents: dict[str, str | None], k: int, truth: dict,
           sample: int | None = None, seed: int = 21, reader: str = "declared", workers: int = 2) -> dict:
    """{(scope, period, path): (least, greatest)} for the true counts from 1 to k-1 (``truth``: what a reader
    cannot see, used only to choose the counts to attack); ``sample``: only that many, drawn at random.
    ``reader``: "declared" knows the method, k, the largest change and the exact levels (the issue's reader);
    "table" has the code too, and so the table's possible outcomes of each count. The linear programmes are solved
    on ``workers`` forked processes (the same programmes, the same answers as one after the other)."""
    read = READERS[reader]
    by_key = {(r["scope"], r["period"]): r for r in records}
    index: dict[tuple, int] = {}
    bounds: list[tuple] = []

    def var(scope, period, path):
        """A true count's variable, or 0 where the place has no record for the period (nothing happened)."""
        record = by_key.get((scope, period))
        if record is None:
            return None
        key = (scope, period, path)
        if key not in index:
            index[key] = len(index)
            bounds.append(bounds_of(record, path, k, read))
        return index[key]

    rows = []  # ([(coefficient, variable)], lower, upper)

    def relation(terms, lower, upper):
        terms = [(c, v) for c, v in terms if v is not None]
        if terms:
            rows.append((terms, lower, upper))

    children = defaultdict(list)
    for scope, parent in parents.items():
        if parent:
            children[parent].append(scope)
    months_of = defaultdict(list)
    for scope, period in by_key:
        if len(period) == 7:
            months_of[(scope, period[:4])].append(period)
    for (scope, period) in by_key:
        for path in PUBLISHED_COUNTS + HIDDEN_COUNTS:
            if children[scope]:
                relation([(1, var(scope, period, path))] + [(-1, var(c, period, path)) for c in children[scope]], 0, 0)
        if len(period) == 4:
            months = months_of[(scope, period)]
            for path in ADDITIVE:
                relation([(1, var(scope, period, path))] + [(-1, var(scope, m, path)) for m in months], 0, 0)
            year = var(scope, period, "active_participants")
            for m in months:
                relation([(1, year), (-1, var(scope, m, "active_participants"))], 0, None)
            relation([(1, year)] + [(-1, var(scope, m, "active_participants")) for m in months], None, 0)
        for name, total in TOTALS.items():
            relation([(1, var(scope, period, total))] +
                     [(-1, var(scope, period, f"{name}.{c}.count")) for c in BREAKDOWNS[name]], 0, 0)
        chain = ["enrolled", *COHORT.values()]
        for bigger, smaller in zip(chain, chain[1:]):
            relation([(1, var(scope, period, bigger)), (-1, var(scope, period, smaller))], 0, None)
    return _solve(index, bounds, rows, truth, k, sample, seed, workers)


def _solve(index, bounds, rows, truth, k, sample, seed, workers) -> dict:
    a_rows, a_cols, a_vals, b = [], [], [], []
    for terms, lower, upper in rows:
        for bound, flip in ((upper, 1), (lower, -1)):
            if bound is None:
                continue
            row = len(b)
            for coefficient, v in terms:
                a_rows.append(row)
                a_cols.append(v)
                a_vals.append(flip * coefficient)
            b.append(flip * bound + 1e-7)
    # variables that no relation links: one linear programme per group
    group = list(range(len(index)))

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    by_row = defaultdict(list)
    for row, col in zip(a_rows, a_cols):
        by_row[row].append(col)
    for cols in by_row.values():
        for col in cols[1:]:
            group[root(col)] = root(cols[0])
    members, rows_of = defaultdict(list), defaultdict(list)
    for i in range(len(index)):
        members[root(i)].append(i)
    for row, cols in by_row.items():
        rows_of[root(cols[0])].append(row)
    matrix = sparse.csr_matrix((a_vals, (a_rows, a_cols)), shape=(len(b), len(index)))
    targets = sorted((key, i) for key, i in index.items() if 0 < truth.get(key, 0) < k)
    if sample is not None and sample < len(targets):
        targets = random.Random(seed).sample(targets, sample)
    parts, programmes = {}, []
    for key, i in targets:
        g = root(i)
        if g not in parts:
            cols, rws = members[g], rows_of[g]
            parts[g] = (cols, {c: n for n, c in enumerate(cols)}, matrix[rws][:, cols] if rws else None,
                        [b[r] for r in rws] if rws else None, [bounds[c] for c in cols])
        cols, position, part, rhs, part_bounds = parts[g]
        programmes += [(key, direction, position[i], part, rhs, part_bounds) for direction in (1, -1)]
    # each programme on its own, on the portal's forked workers: the matrices come with the fork, not pickled
    ends = forked.run(_end, programmes, workers=workers)
    return {key: (ends[2 * n], ends[2 * n + 1]) for n, (key, _i) in enumerate(targets)}


def _end(programme) -> float:
    """One end of the range of a true count: its least value (direction 1) or its greatest (direction -1), by one
    linear programme over the variables the count is linked to."""
    key, direction, column, part, rhs, part_bounds = programme
    c = [0.0] * len(part_bounds)
    c[column] = direction
    result = optimize.linprog(c, A_ub=part, b_ub=rhs, bounds=part_bounds, method="highs")
    if result.status == 3:
        return math.inf
    assert result.status == 0, (key, result.message)
    return direction * result.fun


def whole_values(ends: tuple[float, float]) -> int:
    """How many whole numbers a range holds."""
    least, greatest = ends
    if greatest == math.inf:
        return 10 ** 9
    return math.floor(greatest + 1e-6) - math.ceil(least - 1e-6) + 1


def worked_out(found: dict) -> dict:
    return {key: ends for key, ends in found.items() if whole_values(ends) <= 1}


def narrowed_to_two(found: dict) -> dict:
    return {key: ends for key, ends in found.items() if whole_values(ends) == 2}
