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

import hashlib
import multiprocessing
from collections import Counter
from collections.abc import Iterator, Mapping

from .indicators import BREAKDOWNS, finish

DEFAULT_K = 5
SMALL, COMPLEMENT, WITHHELD = "small", "complement", "withheld"

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
    """The indicators of one table as they may be published, and {dotted path: reason} for every hidden value.

    ``publish_linked`` then hides more so that no table can be worked out from the others.
    """
    return _blank(finish(tally), primary(tally, k))


def primary(tally: Counter, k: int = DEFAULT_K) -> dict[str, str]:
    """{dotted path: reason} for every value of one table that ``publish`` hides, in the published order."""
    if k < 2:
        raise ValueError("k must be at least 2")
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

    return _ordered(hidden)


def _ordered(hidden: dict[str, str]) -> dict[str, str]:
    """In the published order, each path the one string object of ``_PATHS`` (kept between builds, tens of
    thousands of tables name the same few paths: a pickle then writes each once)."""
    return {_PATHS[path]: reason for path, reason in sorted(hidden.items(), key=lambda item: _ORDER[item[0]])}


def _blank(values: dict, hidden: dict[str, str]) -> tuple[dict, dict[str, str]]:
    for path in hidden:
        parts = path.split(".")
        if len(parts) == 1:
            values[path] = None
        else:
            values[parts[0]][parts[1]][parts[2]] = None
    return values, hidden


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
_PATHS = {path: path for path in _ORDER}


class Published(Mapping):
    """{(scope, period): (values, {path: reason})} of every table: the reasons at once (``hidden``), the values of a
    table only when it is looked up (most of a rebuild's tables are taken from the last one as they were)."""

    def __init__(self, tallies: dict[tuple[str, str], Counter], hidden: dict[tuple[str, str], dict[str, str]]):
        self.tallies, self.hidden = tallies, hidden

    def __getitem__(self, key: tuple[str, str]) -> tuple[dict, dict[str, str]]:
        return _blank(finish(self.tallies[key]), self.hidden[key])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.hidden)

    def __len__(self) -> int:
        return len(self.hidden)


# --- secondary suppression across linked tables ---------------------------------------------------------------
#
# A reader can add up what is published: sites to their state, states to the country, the months of a year to the
# year, the answers of a breakdown to its total, and a percentage over a published number of men gives back its
# count. Each count is a cell of one of these families: (the total's tally key, its breakdowns, whether its months
# add up to its year). Men active in a month are also active in the year, so active men do not add up over months.
FAMILIES = {
    "enrolled": ("enrolled", ("referral_source", "main_reason"), True),
    "exits": ("exits", ("exit_reason",), True),
    "risk_level": ("risk_level.", ("risk_level",), True),
    "attendances": ("attendances", (), True),
    "exit_questionnaires": ("exit_questionnaires", (), True),
    "paired": ("paired", (), True),
    "active_participants": ("active_participants", (), False),
    "cohort_any": ("cohort_any", (), True),
    "cohort_13": ("cohort_13", (), True),
    "cohort_over_75": ("cohort_over_75", (), True),
}
# the published figures that give a family's total away (the percentages of its breakdowns come on top)
TOTAL_PATHS = {"enrolled": ("enrolled",), "exits": ("exits",), "risk_level": (),
               "attendances": ("attendances", "mean_attendance_per_session"),
               "exit_questionnaires": ("exit_questionnaires",), "paired": ("paired",),
               "active_participants": ("active_participants",), "cohort_any": ("attended_any_pct",),
               "cohort_13": ("attended_13_plus_pct",), "cohort_over_75": ("attended_over_75_pct",)}
TOTAL = ""  # the category of a family's total
INF = float("inf")
_OPTIONS = 3  # the cheapest ways per dimension tried together
_TRIES = 3  # boxes tried once one would do


def cell_paths(family: str, category: str) -> tuple[str, ...]:
    """The published figures that a cell's count can be read from."""
    if category != TOTAL:
        return f"{category}.count", f"{category}.pct"
    return TOTAL_PATHS[family] + tuple(f"{part}.{c}.pct" for part in FAMILIES[family][1] for c in BREAKDOWNS[part])


def _count_path(family: str, category: str) -> str | None:
    """The published figure that is (or pins) a cell's count."""
    if category != TOTAL:
        return f"{category}.count"
    return next(iter(TOTAL_PATHS[family]), None)


def publish_linked(tallies: dict[tuple[str, str], Counter], parents: dict[str, str | None], k: int = DEFAULT_K,
                   memo: dict | None = None, workers: int = 2,
                   digests: dict[tuple[str, str], str] | None = None) -> Published:
    """Every table of the summary, suppressed together: {(scope, period): (values, {path: reason})}.

    ``tallies`` holds every scope's tally for each of its periods (a year ``YYYY`` and its months ``YYYY-MM``);
    ``parents`` maps each scope to the scope it adds up to (None for the country). First each table gets the
    rule of ``publish`` (its complement keeps a breakdown's zeros from telling the answer of its few men);
    then, for every count from 1 to k-1, a few more cells are
    hidden so that it lies at a corner of a box of hidden cells: two sibling places (or a place and the places
    above it) by two sibling months (or a month and its year) by two answers of its breakdown (or an answer and
    the total). Moving the corners of such a box up and down by one in turn keeps every published sum the same, so
    no combination of published figures pins the count: it stays anywhere in a range of at least two values. Of
    the boxes that could protect a count the one that hides the least (in men) is chosen; counts already hidden
    cost nothing, and a box protects every small count at its corners.

    Where every cell around a count is at the edge of what a reader knows of it, no box can move (four states
    shown as ``<5`` whose country shows ``<5`` too are 1 each: their sum is at least 4 and at most 4), and no
    amount of hiding helps while the count says it is below k. Such a count is marked ``withheld``: the pages
    show it (and its percentages) as hidden, like a complement, so a reader knows only that it is 0 or more;
    with that looser edge it gets a box of its own where one exists (``_Linked.unprotected`` keeps any without).

    The search runs in parts that no box crosses (a family of counts in one year), in ``workers`` processes.
    ``memo``, a dict the caller may keep between runs, holds each year's result under a digest of its tables: a
    year whose tables are all as they were is taken as it was (a change at one site in one year redoes that
    year only). ``digests``, if the caller has them, holds a digest of each table's tally that changes whenever
    the tally does (``summary.model.tally_digest``): the year's digest is then made of them instead of the
    tallies, and a table whose digest is as it was keeps its rule's cells from the memo.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    memo = {} if memo is None else memo
    by_year: dict[str, list[tuple[str, str]]] = {}
    for key in tallies:
        by_year.setdefault(key[1][:4], []).append(key)
    # what a year's result depends on: the places, k, and every count of every table of that year
    shape = repr((k, sorted(parents.items(), key=str)))
    if digests is None:
        contents = {key: dict.__repr__(tally) for key, tally in tallies.items()}
    else:
        contents = {key: f"{k} {digests[key]}" for key in tallies}  # a table's rule depends on k as well
    years = {year: hashlib.sha1(repr((shape, [(key, contents[key]) for key in keys])).encode()).hexdigest()
             for year, keys in by_year.items()}
    hidden: dict[tuple[str, str], dict[str, str]] = {}
    todo, redone = [], set()
    kept: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}  # table -> (its digest, the rule's cells)
    for year, keys in by_year.items():
        earlier = memo.get(year)
        if earlier and earlier[0] == years[year] and set(earlier[1]) == set(keys):
            hidden.update(earlier[1])
        else:
            todo.extend(keys)
            redone.add(year)
        if earlier and digests is not None:
            kept.update(earlier[2])
    first = {}
    for key in todo:
        rule = kept.get(key)
        first[key] = dict(rule[1]) if rule and rule[0] == contents[key] else primary(tallies[key], k)
    # the rule's cells of the tables looked at now, before the boxes add to them
    rules = {key: (contents[key], dict(table)) for key, table in first.items()} if digests is not None else {}
    parts = _parts({key: tallies[key] for key in todo}, parents, k, first)
    added: dict[tuple[str, str], set[str]] = {}
    withheld: dict[tuple[str, str], set[str]] = {}
    for found in _protect_parts(list(parts.values()), workers):
        for cells, paths in zip(found, (added, withheld)):
            for family, category, scope, period in cells:
                paths.setdefault((scope, period), set()).update(cell_paths(family, category))
    for key, table in first.items():
        more, less_said = added.get(key), withheld.get(key)
        if more or less_said:
            table.update((path, COMPLEMENT) for path in more or () if path not in table)
            table.update((path, WITHHELD) for path in less_said or () if path in table)
            table = _ordered(table)
        hidden[key] = table
    before = dict(memo)
    memo.clear()
    for year, keys in by_year.items():
        if digests is None:
            year_rules = {}
        elif year in redone:
            year_rules = {key: rules[key] for key in keys}
        else:
            year_rules = before[year][2]
        memo[year] = (years[year], {key: hidden[key] for key in keys}, year_rules)
    return Published(tallies, hidden)


def _parts(tallies: dict, parents: dict, k: int, hidden_paths: dict) -> dict[tuple[str, str], _Linked]:
    """The cells of every table, in parts that no box crosses: one per family and year (a box stays within one
    family, and its periods are a year and its months)."""
    months: dict[str, set[str]] = {}  # year -> its months in any scope
    for _scope, period in tallies:
        if len(period) == 7:
            months.setdefault(period[:4], set()).add(period)
    parts: dict[tuple[str, str], _Linked] = {}
    for year in sorted({period[:4] for _scope, period in tallies}):
        for family in FAMILIES:
            parts[(family, year)] = _Linked(parents, k, {year: sorted(months.get(year, ()))})
    categories = {family: [(TOTAL, total)] + [(f"{part}.{c}",) * 2 for part in parts_ for c in BREAKDOWNS[part]]
                  for family, (total, parts_, _additive) in FAMILIES.items()}
    count_paths = {family: [_count_path(family, category) for category, _key in family_categories]
                   for family, family_categories in categories.items()}
    for (scope, period), tally in tallies.items():
        paths, year = hidden_paths[(scope, period)], period[:4]
        for family, family_categories in categories.items():
            part = parts[(family, year)]
            value = part.value
            for (category, key), count_path in zip(family_categories, count_paths[family]):
                n = tally[key]
                cell = (family, category, scope, period)
                value[cell] = n
                if 0 < n < k:
                    part.small.add(cell)
                    part.hidden.add(cell)
                elif n and count_path in paths:
                    part.hidden.add(cell)
    return parts


_FORKED: list = []  # the parts a forked worker protects (they come with the fork)
_FORK_FROM = 5000  # small counts that make a fork worth it


def _protect_forked(index: int) -> tuple[set, set]:
    return _FORKED[index].protect()


def _protect_parts(parts: list[_Linked], workers: int) -> list[tuple[set, set]]:
    """Each part's (cells hidden to protect others, counts withheld); parts in ``workers`` forked processes when
    there are enough small counts to make it worth a fork."""
    if workers < 2 or sum(len(part.small) for part in parts) < _FORK_FROM or \
            "fork" not in multiprocessing.get_all_start_methods():
        return [part.protect() for part in parts]
    _FORKED[:] = parts
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # the largest parts first, so that the two workers end together
            order = sorted(range(len(parts)), key=lambda i: -len(parts[i].small))
            done = dict(zip(order, pool.map(_protect_forked, order, chunksize=1)))
    finally:
        _FORKED.clear()
    return [done[i] for i in range(len(parts))]


class _Linked:
    """The cells of one part: {(family, category, scope, period): count}, which of them are hidden and which are
    small, and the search for the boxes that protect its small counts."""

    def __init__(self, parents: dict, k: int, months: dict[str, list[str]]) -> None:
        self.k, self.parents, self.months = k, parents, months
        self.children: dict[str, list[str]] = {scope: [] for scope in parents}
        for scope, parent in parents.items():
            if parent is not None:
                self.children[parent].append(scope)
        self.value: dict[tuple, int] = {}
        self.hidden: set[tuple] = set()
        self.small: set[tuple] = set()

    # -- the ways a cell can move while every sum stays: lists of (index, +1 or -1) along one dimension ----------

    def _weight(self, cell: tuple) -> int:
        """What hiding a cell costs: the men in it, three times over for a total (its percentages go with it)."""
        weight = 1 + self.value[cell]
        return weight * 3 if cell[1] == TOTAL and FAMILIES[cell[0]][1] else weight

    def _down(self, scope: str, at, change: int) -> list[str]:
        """The cheapest path from a place down to a single site whose cells can move by ``change`` (the cheapest
        path at all where none can)."""
        path, cost, value, small, k = [], self.cost, self.value, self.small, self.k

        def rank(child):
            cell = at(child)
            moved = value.get(cell, 0) + change
            return (not (0 < moved < k) if cell in small else moved < 0), cost.get(cell, INF)

        while self.children[scope]:
            scope = min(self.children[scope], key=rank)
            path.append(scope)
        return path

    def _places(self, cell: tuple, direction: int) -> list[list[tuple[str, int]]]:
        family, category, scope, period = cell
        cost = self.cost

        def at(place):
            return family, category, place, period

        # the cell and a way down to a site, then up through its parents: at each step up, the place reached may
        # move against a sibling (and a way down from it), which keeps their parent's sum; or the whole chain
        # moves up to the country
        chain = [(scope, 1), *((place, 1) for place in self._down(scope, at, direction))]
        up, options = scope, []
        while self.parents[up] is not None:
            siblings = sorted((s for s in self.children[self.parents[up]] if s != up),
                              key=lambda s: cost.get(at(s), INF))
            # (a site's siblings are many and cheap; above it, the cheapest few are enough)
            for sibling in siblings[:2 * _OPTIONS if up == scope else _OPTIONS]:
                options.append([*chain, (sibling, -1), *((p, -1) for p in self._down(sibling, at, -direction))])
            up = self.parents[up]
            chain.append((up, 1))
        options.append(chain)
        return options

    def _periods(self, cell: tuple) -> list[list[tuple[str, int]]]:
        family, _category, _scope, period = cell
        if not FAMILIES[family][2]:
            return [[(period, 1)]]
        if len(period) == 4:
            return [[(period, 1), (month, 1)] for month in self.months.get(period, [])]
        return [[(period, 1), (month, -1)] for month in self.months[period[:4]] if month != period] + \
            [[(period, 1), (period[:4], 1)]]

    def _categories(self, cell: tuple) -> list[list[tuple[str, int]]]:
        family, category, scope, period = cell
        parts = FAMILIES[family][1]
        if not parts:
            return [[(TOTAL, 1)]]

        def cheapest(part):
            return min((f"{part}.{c}" for c in BREAKDOWNS[part]),
                       key=lambda c: self.cost.get((family, c, scope, period), INF))

        if category == TOTAL:
            first, rest = parts[0], [(cheapest(part), 1) for part in parts[1:]]
            return [[(TOTAL, 1), (f"{first}.{c}", 1), *rest] for c in BREAKDOWNS[first]]
        part = category.split(".")[0]
        options = [[(category, 1), (f"{part}.{c}", -1)] for c in BREAKDOWNS[part] if f"{part}.{c}" != category]
        options.append([(category, 1), (TOTAL, 1), *((cheapest(other), 1) for other in parts if other != part)])
        return options

    # -- choosing the boxes ---------------------------------------------------------------------------------------

    def _moves(self, cell: tuple, change: int) -> bool:
        """Whether a hidden cell can move by ``change`` and stay within what a reader knows of it."""
        moved = self.value[cell] + change
        return 0 < moved < self.k if cell in self.small else moved >= 0

    def _box(self, family, places, periods, categories, direction, limit):
        """(cost, corners) of a box whose corners can all move in ``direction`` (the cell's own way) or None."""
        corners, total, cost, value, small, k = [], 0, self.cost, self.value, self.small, self.k
        for place, s1 in places:
            for period, s2 in periods:
                for category, s3 in categories:
                    corner = (family, category, place, period)
                    total += cost.get(corner, INF)
                    if total >= limit:
                        return None
                    moved = value[corner] + direction * s1 * s2 * s3
                    if (not 0 < moved < k) if corner in small else moved < 0:
                        return None
                    corners.append(corner)
        return total, corners

    def _ranked(self, options, make, direction, most) -> list[tuple[float, list]]:
        """The cheapest ``most`` ways whose cells can all move along with the cell."""
        cost, scored, found = self.cost, [], []
        value, small, k = self.value, self.small, self.k
        for option in options:
            total, movable = 0, True
            for index, sign in option:
                cell = make(index)
                weight = cost.get(cell)
                if weight is None:  # no such cell (a place without that period): no such way
                    break
                total += weight
                if movable:
                    moved = value[cell] + direction * sign
                    movable = (0 < moved < k) if cell in small else moved >= 0
            else:
                scored.append((total, movable, option))
        scored.sort(key=lambda item: item[0])
        for total, movable, option in scored:
            if movable:
                found.append((total, option))
                if len(found) == most:
                    break
        return found

    def protect(self) -> tuple[set[tuple], set[tuple]]:
        """(the cells hidden to protect others, the small counts withheld)."""
        self.cost = {cell: 0 if cell in self.hidden else self._weight(cell) for cell in self.value}
        protected: set[tuple] = set()
        level = {scope: 0 for scope in self.parents}
        for scope in self.parents:  # the country first, then its states, then the sites
            up = self.parents[scope]
            while up is not None:
                level[scope] += 1
                up = self.parents[up]
        added: set[tuple] = set()
        order = sorted(self.small, key=lambda c: (-level[c[2]], -len(c[3]), c))  # sites first, months first
        # a first pass that looks at the few cheapest ways; a second, wider one for what it left; then the counts
        # still without a box are withheld (a reader knows them only as 0 or more) and looked at once more.
        # (Withholding them one at a time, each looked at again after the last, withheld 40 % fewer of the demo's
        # counts but hid 1.1 % more cells and left 14 without a box.)
        withheld: set[tuple] = set()
        for options, tries in ((_OPTIONS, _TRIES), (4 * _OPTIONS, 16 * _TRIES), (None, None)):
            if options is None:
                withheld = {cell for cell in order if cell not in protected}
                self.small -= withheld
                order, options, tries = [cell for cell in order if cell in withheld], 4 * _OPTIONS, 16 * _TRIES
            for cell in order:
                if cell in protected:
                    continue
                best = self._best_box(cell, options, tries)
                if best is None:
                    continue
                for corner in best[1]:
                    if corner not in self.hidden:
                        self.hidden.add(corner)
                        self.cost[corner] = 0
                        added.add(corner)
                    if corner in self.small or corner in withheld:
                        protected.add(corner)
        self.withheld = withheld
        self.unprotected = withheld - protected
        return added, withheld

    def _best_box(self, cell: tuple, options: int, tries: int):
        family, category, scope, period = cell
        all_periods, all_categories = self._periods(cell), self._categories(cell)
        best = None
        for direction in (1, -1):
            if not self._moves(cell, direction) or best is not None and best[0] == 0:
                continue
            places = self._ranked(self._places(cell, direction), lambda p: (family, category, p, period), direction,
                                  options)
            periods = self._ranked(all_periods, lambda t: (family, category, scope, t), direction, options)
            categories = self._ranked(all_categories, lambda c: (family, c, scope, period), direction, options)
            # A box holds the three lines through the cell, which share only the cell (hidden, so free): the sum
            # of their costs is the least a box can cost; try boxes in that order, stop when none is cheaper.
            combos = sorted(((a + b + c, g, t, x) for a, g in places for b, t in periods for c, x in categories),
                            key=lambda combo: combo[0])
            tried = 0
            for bound, g, t, x in combos:
                if tried >= tries * 3 or best is not None and (bound >= best[0] or tried >= tries):
                    break
                box = self._box(family, g, t, x, direction, INF if best is None else best[0])
                tried += 1
                if box:
                    best = box
        return best
