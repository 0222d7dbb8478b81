"""Indicators on small data sets whose answers are worked out by hand here."""
from datetime import date, timedelta

import pytest

from portal.indicators import REC_ITEMS, SiteData, compute, mean, over_75, pct, round1


def rec(yes_count):
    return {item: ("yes" if i < yes_count else "no") for i, item in enumerate(REC_ITEMS)}


def response(code, kind, day, **answers):
    return {"participant_code": code, "questionnaire": kind, "submitted_on": day, "answers": answers}


def weekly(start, count, group, venue, attendance):
    """``count`` weekly sessions; attendance maps a man to the session numbers he came to."""
    first = date.fromisoformat(start)
    return [{"session_id": f"{group}{n}", "group_code": group, "number": n,
             "date": (first + timedelta(weeks=n - 1)).isoformat(), "venue": venue,
             "present": [m for m, came in attendance.items() if n in came]} for n in range(1, count + 1)]


@pytest.fixture
def sites():
    # Site A has N = 24. A1 comes to sessions 1-19, A2 to 1-18, A3 to 3-14 (12), A4 never had an intake.
    a = SiteData("A", "09", 24)
    a.participants = [{"code": c} for c in ("A1", "A2", "A3", "A4")]
    a.sessions = weekly("2010-01-12", 23, "G", "health_centre",
                        {"A1": range(1, 20), "A2": range(1, 19), "A3": range(3, 15)})
    # one more session after the data's date, which A3 attended
    a.sessions.append({"session_id": "G24", "group_code": "G", "number": 24, "date": "2011-02-01",
                       "venue": "health_centre", "present": ["A3"]})
    a.responses = [
        response("A1", "intake", "2010-01-10", age=30, referral_source="friends", main_reason="improve_family", **rec(2)),
        response("A2", "intake", "2010-01-20", age=41, referral_source="friends", main_reason="stop_violence", **rec(0)),
        response("A3", "intake", "2010-02-05", age=25, referral_source="partner_invitation",
                 main_reason="improve_family", **rec(1)),
        response("A1", "facilitator_intake", "2010-01-10", risk_level="low"),
        response("A2", "facilitator_intake", "2010-01-20", risk_level="high"),
        response("A3", "facilitator_intake", "2010-02-05", risk_level="high"),
        response("A2", "facilitator_exit", "2010-06-01", exit_reason="dropped_out"),
        response("A1", "facilitator_exit", "2010-06-30", exit_reason="completed"),
        response("A1", "exit", "2010-06-30", strategy_used="yes", family_change="better", **rec(7)),
        response("A4", "exit", "2010-07-01", strategy_used="yes", family_change="better", **rec(3)),  # no intake
    ]
    # Site B has N = 20 and meets in a community venue. B1 comes to sessions 1-16.
    b = SiteData("B", "14", 20)
    b.participants = [{"code": "B1"}, {"code": "B2"}]
    b.sessions = weekly("2010-01-20", 20, "H", "community", {"B1": range(1, 17)})
    b.responses = [
        response("B1", "intake", "2010-01-15", age=36, referral_source="media", main_reason="legal", **rec(4)),
        response("B2", "intake", "2011-01-03", age=50, referral_source="self", main_reason="other", **rec(4)),
        response("B1", "facilitator_exit", "2010-05-10", exit_reason="completed"),
        response("B1", "exit", "2010-05-10", strategy_used="no", family_change="same", **rec(5)),
    ]
    return [a, b]


def test_rounding_is_half_away_from_zero():
    assert round1(12.25) == 12.3 and round1(-12.25) == -12.3 and round1(12.24) == 12.2
    assert pct(1, 8) == 12.5 and pct(1, 3) == 33.3 and pct(2, 3) == 66.7 and pct(0, 5) == 0.0
    assert pct(3, 0) is None and mean([]) is None and mean([16.25]) == 16.3


def test_more_than_75_percent_depends_on_n():
    assert over_75(19, 24) and not over_75(18, 24)
    assert over_75(16, 20) and not over_75(15, 20)
    assert over_75(10, 12) and not over_75(9, 12)


def test_year_with_two_sites_of_different_n(sites):
    year = compute(sites, "2010", "2010-12-31")
    # enrolled: intakes of A1, A2, A3, B1 (B2's is 2011)
    assert year["enrolled"] == 4
    assert year["mean_age"] == 33.0  # (30 + 41 + 25 + 36) / 4
    assert year["referral_source"]["friends"] == {"count": 2, "pct": 50.0}
    assert year["referral_source"]["partner_invitation"] == {"count": 1, "pct": 25.0}
    assert year["referral_source"]["justice"] == {"count": 0, "pct": 0.0}
    assert year["main_reason"]["improve_family"] == {"count": 2, "pct": 50.0}
    assert year["risk_level"] == {"low": {"count": 1, "pct": 33.3}, "medium": {"count": 0, "pct": 0.0},
                                  "high": {"count": 2, "pct": 66.7}}
    # attendance up to the data's date: A1 19, A2 18, A3 12, B1 16
    assert year["attended_any_pct"] == 100.0
    assert year["attended_13_plus_pct"] == 75.0  # A1, A2, B1
    assert year["attended_over_75_pct"] == 50.0  # A1 (19 of 24) and B1 (16 of 20); not A2 (18 of 24)
    assert year["mean_sessions_attended"] == 16.3  # 65 / 4 = 16.25, rounded away from zero
    # sessions dated in 2010: A has 23, B has 20; B's are all outside a health centre
    assert year["sessions_held"] == 43
    assert year["attendances"] == 19 + 18 + 12 + 16
    assert year["mean_attendance_per_session"] == 1.5  # 65 / 43 = 1.51
    assert year["sessions_outside_health_centre_pct"] == 46.5  # 20 / 43
    assert year["active_participants"] == 4
    # exits and exit questionnaires
    assert year["exits"] == 3
    assert year["exit_reason"]["completed"] == {"count": 2, "pct": 66.7}
    assert year["exit_reason"]["dropped_out"] == {"count": 1, "pct": 33.3}
    assert year["exit_questionnaires"] == 3
    assert year["strategy_used_pct"] == 66.7 and year["family_change_better_pct"] == 66.7
    # pairs: A1 2 -> 7, B1 4 -> 5; A4 has no intake and is not paired
    assert year["paired"] == 2
    assert (year["recognition_intake_mean"], year["recognition_exit_mean"], year["recognition_change_mean"]) == \
        (3.0, 6.0, 3.0)


def test_month_against_year(sites):
    january = compute(sites, "2010-01", "2010-12-31")
    assert january["enrolled"] == 3  # A1, A2, B1
    assert january["mean_age"] == 35.7  # 107 / 3 = 35.67
    assert january["attended_13_plus_pct"] == 100.0
    assert january["attended_over_75_pct"] == 66.7  # A1 and B1 of three
    # January sessions: A on 12, 19, 26; B on 20, 27
    assert january["sessions_held"] == 5
    assert january["attendances"] == 3 + 3 + 1 + 2  # A1 and A2 at three, A3 at the 26th, B1 at two
    assert january["mean_attendance_per_session"] == 1.8
    assert january["sessions_outside_health_centre_pct"] == 40.0
    assert january["active_participants"] == 4
    june = compute(sites, "2010-06", "2010-12-31")
    assert june["enrolled"] == 0 and june["exits"] == 2 and june["paired"] == 1
    assert june["recognition_change_mean"] == 5.0


def test_zero_denominators_are_absent_not_zero(sites):
    empty = compute(sites, "2009", "2010-12-31")
    assert empty["enrolled"] == 0 and empty["sessions_held"] == 0 and empty["exits"] == 0
    for key in ("mean_age", "attended_any_pct", "attended_13_plus_pct", "attended_over_75_pct",
                "mean_sessions_attended", "mean_attendance_per_session", "sessions_outside_health_centre_pct",
                "strategy_used_pct", "family_change_better_pct", "recognition_intake_mean",
                "recognition_exit_mean", "recognition_change_mean"):
        assert empty[key] is None, key
    assert empty["referral_source"]["friends"] == {"count": 0, "pct": None}


def test_attendance_counts_up_to_the_data_date(sites):
    # A3 came to the 2011 session too: with data to the end of 2011 he reaches 13.
    later = compute(sites, "2010", "2011-12-31")
    assert later["attended_13_plus_pct"] == 100.0
    assert compute(sites, "2010", "2010-12-31")["attended_13_plus_pct"] == 75.0


def test_one_site_scope(sites):
    only_b = compute(sites[1:], "2010", "2010-12-31")
    assert only_b["enrolled"] == 1 and only_b["attended_over_75_pct"] == 100.0
    assert only_b["sessions_outside_health_centre_pct"] == 100.0


def test_men_with_no_exit_yet_count_in_adherence_but_not_in_pairs(sites):
    year = compute(sites, "2010", "2010-12-31")
    # A3 has no exit of any kind: he is in the adherence figures (4 men) and not in the pairs (2)
    assert year["enrolled"] == 4 and year["paired"] == 2


def test_scopes(sites):
    from portal.indicators import select_scope

    assert [s.code for s in select_scope(sites, "all")] == ["A", "B"]
    assert [s.code for s in select_scope(sites, "state:14")] == ["B"]
    assert [s.code for s in select_scope(sites, "site:A")] == ["A"]


def test_the_module_does_not_import_flask():
    import ast
    from pathlib import Path

    import portal.indicators as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"flask", "flask_babel", "portal"}
