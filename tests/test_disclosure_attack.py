"""The summary attacks its own output, as a reader who knows the method would (``tests/attack.py``).

Every published count lies within the declared change of its true count (exact above k at an exact level); the
true counts add up across places, months and breakdowns; percentages give their counts within rounding. No true
count from 1 to k-1 may be left with a single possible value: on crafted tiny programmes (four sites in three
states, one of 3 men: where bounded changes are most at risk), on the crafted instance and on the demo.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest
from attack import PUBLISHED_COUNTS, attack, true_counts, value_at, worked_out
from scenarios import published, tiny_programme
from summary_data import site_data

from portal.disclosure import MAX_CHANGE, adjust, could_be, publish
from portal.indicators import combine, select_scope, site_tallies


def truth_and_parents(data: dict, sites) -> tuple[dict, dict]:
    parents = {"all": None}
    for site in sites:
        parents[f"state:{site.state}"] = "all"
        parents[f"site:{site.code}"] = f"state:{site.state}"
    tallies = {site.code: site_tallies(site, "9999-12-31") for site in sites}
    truth = {}
    for record in data["records"]:
        scope, period = record["scope"], record["period"]
        truth.update(true_counts(scope, period, combine(tallies[s.code].get(period, Counter())
                                                        for s in select_scope(sites, scope))))
    return truth, parents


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.slow
def test_no_small_count_of_a_tiny_programme_can_be_worked_out(seed):
    sites = tiny_programme(seed)
    records, parents, truth = published(sites, f"a portal's secret {seed}".encode())
    found = attack(records, parents, 5, truth, sample=80, seed=seed)
    assert len(found) >= 40  # there were small counts to attack
    assert not worked_out(found), sorted(worked_out(found).items())[:5]
    # and every published count is within the declared change of the truth, the country's years exact
    for record in records:
        for path in PUBLISHED_COUNTS:
            shown, true = value_at(record, path), truth[(record["scope"], record["period"], path)]
            assert abs(shown - true) <= MAX_CHANGE
            if record["scope"] == "all" and len(record["period"]) == 4 and true >= 5:
                assert shown == true


@pytest.mark.parametrize("dataset", ["crafted", "demo"])
@pytest.mark.slow
def test_no_small_count_can_be_worked_out_from_the_published_summary(dataset, request):
    if dataset == "crafted":
        app, out = request.getfixturevalue("crafted")["app"], request.getfixturevalue("crafted")["out"]
    else:
        app, out, _report = request.getfixturevalue("demo_summary")
    data = json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))
    truth, parents = truth_and_parents(data, site_data(app))
    # the demo's small counts take long to attack: a fixed sample (bench/disclosure.py attacks more)
    found = attack(data["records"], parents, data["disclosure"]["k"], truth, sample=40 if dataset == "demo" else 120)
    assert found
    assert not worked_out(found), sorted(worked_out(found).items())[:5]


def keyed(count: int, key: int, name: str = "exits") -> Counter:
    return Counter({name: count, f"#{name}": key})


@pytest.mark.parametrize("count", range(0, 40))
def test_every_count_moves_by_at_most_the_declared_change_and_one_and_two_never_appear(count):
    """Keys spread over their whole range: every outcome of the table for that count is seen."""
    shown = {adjust(count, key) for key in range(0, 1 << 32, (1 << 32) // 997)}
    assert all(abs(value - count) <= MAX_CHANGE for value in shown)
    assert not shown & {1, 2}
    assert (0 in shown) == (count <= 1)  # only 0 and 1 may be shown as 0
    if 0 < count < 5:  # never at the edge of what a reader can say of it
        assert all(could_be(value)[0] < count < could_be(value)[1] for value in shown)


def test_the_same_men_give_the_same_figure_and_other_men_may_not():
    assert adjust(12, 7_000_000_123) == adjust(12, 7_000_000_123)
    assert len({adjust(12, key) for key in range(0, 1 << 32, (1 << 32) // 101)}) == 5


def test_an_exact_level_publishes_counts_of_k_or_more_as_they_are_and_small_ones_through_the_table():
    assert {adjust(12, key, exact=True) for key in range(0, 1 << 32, 1 << 26)} == {12}
    assert {adjust(5, key, exact=True) for key in range(0, 1 << 32, 1 << 26)} == {5}
    assert {adjust(3, key, exact=True) for key in range(0, 1 << 32, 1 << 26)} == {3, 4}
    assert could_be(7, exact=True) == (7, 7) and could_be(5, exact=True) == (3, 7)


def test_percentages_come_from_the_published_counts_and_blank_below_k_men():
    tally = Counter({"enrolled": 3, "#enrolled": 10, "cohort": 3, "#cohort": 10, "cohort_any": 3, "#cohort_any": 10,
                     "age_n": 3, "#age_n": 10, "age_sum": 105, "sessions_held": 2, "attendances": 4,
                     "#attendances": 99})
    values, blank = publish(tally)
    assert values["enrolled"] in (3, 4)
    assert values["attended_any_pct"] is None and values["mean_age"] is None
    assert "attended_any_pct" in blank and "mean_age" in blank
    assert values["sessions_held"] == 2  # sessions are not people: as they are
    assert values["mean_attendance_per_session"] == values["attendances"] / 2
    many = Counter({"enrolled": 40, "#enrolled": 5, "cohort": 40, "#cohort": 5, "cohort_any": 30,
                    "#cohort_any": 77, "age_n": 40, "#age_n": 5, "age_sum": 1400})
    values, blank = publish(many)
    shown_any = adjust(30, 77)
    assert values["attended_any_pct"] == round(shown_any * 100 / values["enrolled"], 1)
    assert values["mean_age"] == 35.0 and not blank


def test_a_new_man_changes_only_the_figures_that_count_him():
    """Same men, same figures: re-publishing after one man joins a site changes nothing of another site or state,
    nor any period he is not in, and a rebuild of unchanged data gives the same figures."""
    sites = tiny_programme(3)
    secret = b"the portal's secret"
    before, _parents, _truth = published(sites, secret)
    again, _parents, _truth = published(tiny_programme(3), secret)
    assert again == before
    man = {"participant_code": "S1-2024-9999", "questionnaire": "intake", "submitted_on": "2024-06-15",
           "answers": {"age": 40, "referral_source": "media", "main_reason": "legal"}}
    sites[1].responses.append(man)
    after, _parents, _truth = published(sites, secret)
    changed = {(a["scope"], a["period"]) for a, b in zip(after, before) if a != b}
    state = f"state:{sites[1].state}"
    assert changed and changed <= {(scope, period) for scope in ("site:S1", state, "all")
                                   for period in ("2024", "2024-06")}
    assert [(a["scope"], a["period"]) for a in after] == [(b["scope"], b["period"]) for b in before]
