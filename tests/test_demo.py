"""The demo year reproduces the published 2010 figures, with answers the forms accept."""
import pytest
from fixtures import copy_instance, make_app

from portal import clock
from portal.db import get_registry, get_site_store
from portal.indicators import compute, from_snapshot
from portal.registry import list_sites


@pytest.fixture(scope="module")
def demo(demo_instance, tmp_path_factory):
    instance, output = demo_instance  # what `flask --app portal demo` printed when it made the instance
    assert "facilitador" in output and "demo-facilitador-2010" in output
    app = make_app(copy_instance(instance, tmp_path_factory.mktemp("demo") / "instance"))
    with app.app_context():
        sites = [from_snapshot(s.code, s.state, s.sessions, get_site_store(s.code).read())
                 for s in list_sites(get_registry())]
    return app, sites


def test_national_2010_figures_equal_the_published_ones(demo):
    _, sites = demo
    year = compute(sites, "2010", "2010-12-31")
    assert year["enrolled"] == 1257
    assert year["mean_age"] == 35.3
    assert year["referral_source"]["friends"]["pct"] == 46.3
    assert year["referral_source"]["partner_invitation"]["pct"] == 12.6
    assert round(year["main_reason"]["improve_family"]["pct"]) == 47
    assert round(year["main_reason"]["stop_violence"]["pct"]) == 12
    assert round(year["attended_over_75_pct"]) == 5
    assert len({s.state for s in sites}) == 8 and len(sites) > 8


def test_the_year_looks_like_a_program_year(demo):
    _, sites = demo
    year = compute(sites, "2010", "2010-12-31")
    assert 0 < year["sessions_outside_health_centre_pct"] < 50  # some community venues
    assert year["attended_any_pct"] > year["attended_13_plus_pct"] > year["attended_over_75_pct"]
    assert year["recognition_exit_mean"] > year["recognition_intake_mean"]  # they learned to name violence
    months = [compute(sites, f"2010-{m:02d}", "2010-12-31") for m in range(1, 13)]
    assert sum(m["enrolled"] for m in months) == 1257
    assert all(m["sessions_held"] > 0 for m in months)
    # attendance thins out: the first sessions of a group are fuller than the last
    first = sum(len(s["present"]) for site in sites for s in site.sessions if s["number"] == 1)
    last = sum(len(s["present"]) for site in sites for s in site.sessions if s["number"] == 20)
    assert first > 3 * last


def test_every_demo_answer_passes_the_forms_rules(demo):
    app, sites = demo
    forms = app.extensions["questionnaires"]
    for site in sites:
        for r in site.responses:
            raw = {k: (" ".join(v) if isinstance(v, list) else str(v)) for k, v in r["answers"].items()}
            result = forms[r["questionnaire"]].validate(raw, strict=True)
            assert result.ok, (site.code, r["participant_code"], result.errors)
            assert result.answers == r["answers"]


def test_demo_refuses_an_instance_with_data(demo):
    app, _ = demo
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "ya tiene sitios" in result.output
    result = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "no se agregó nada" in result.output


def test_the_demo_keeps_every_consistency_rule(demo):
    """No attendance before registration or after the exit, no questionnaire before registration."""
    from portal.consistency import site_problems

    app, sites = demo
    with app.app_context():
        problems = {s.code: site_problems(get_site_store(s.code).read()) for s in list_sites(get_registry())}
    assert not {code: found[:3] for code, found in problems.items() if found}


def test_the_demo_has_a_year_in_progress_with_men_to_call_today(demo):

    from portal.participants import roster

    app, _ = demo
    with app.app_context():
        snapshot = get_site_store("CDMX-IZT").read()
    rows = [r for r in roster(snapshot) if r.group_code.startswith(str(clock.today().year)) or
            r.enrolled_on >= f"{clock.today().year - 1}"]
    assert any(r.at_risk for r in rows) and any(r.high_risk and r.status == "active" for r in rows)
    this_month = clock.today().strftime("%Y-%m")
    last_month = (clock.today().replace(day=1) - __import__("datetime").timedelta(days=1)).strftime("%Y-%m")
    dates = {s["date"][:7] for s in snapshot.all("sessions")}
    assert last_month in dates and (this_month in dates or clock.today().day < 7)


def test_todays_session_is_left_for_the_facilitator_to_record(demo):
    """Whatever the day, the year in progress holds each group's sessions up to yesterday, so the
    facilitator who opens the demo records today's without a same-day duplicate warning."""
    from datetime import timedelta

    from portal.demo import DEMO_SITES, build_current

    app, _ = demo
    sessions_in_program = {code: n for code, _name, _state, n in DEMO_SITES}
    start = clock.today()
    for offset in range(14):
        today = start + timedelta(days=offset)
        current = build_current(app.extensions["questionnaires"], today, sessions_in_program)
        for records in current.values():
            for group in records["groups"]:
                held = sorted(s["date"] for s in records["sessions"] if s["group_code"] == group["code"])
                assert held and held[-1] < today.isoformat(), (today, group)
                assert held[-1] >= (today - timedelta(days=7)).isoformat(), (today, group)  # still meeting weekly
