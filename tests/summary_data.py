"""The summary's crafted data set and the calls that freeze a summary and read an instance back, for the tests of
the summary, the freeze and the attack on it (a helper module of the tests, not a test module). ``conftest.py``
makes the crafted instance and its summary once per run (``crafted``)."""
import random
from datetime import date, timedelta
from pathlib import Path

from fixtures import add_group, make_app

from portal.attendance import save_session
from portal.db import get_registry, get_site_store
from portal.demo import fill
from portal.freeze import build
from portal.indicators import from_snapshot
from portal.participants import register
from portal.registry import add_site, check_site, list_sites
from portal.responses import Submission, save_response

YEAR = 2025


def new_instance(path):
    """An instance with SITE-A (Ciudad de México, 24 sessions) and SITE-B (Jalisco, 20) and no users (``crafted``
    adds SITE-C, in Jalisco, with no records yet)."""
    app = make_app(path)
    with app.app_context():
        registry = get_registry()
        add_site(registry, check_site("SITE-A", "Centro de Salud A", "09", 24))
        add_site(registry, check_site("SITE-B", "Centro de Salud B", "14", 20))
    return app


def free_text(field, site, n):
    """A distinctive answer of the kind men and facilitators write (with a name in it)."""
    return f"Mi vecino Anselmo Quiroga {field} XQZ-{site}-{n:02d}"


def fill_sites(app):
    """Records entered through the portal's own functions, answers checked by the questionnaires:

    SITE-A: 12 men join in September 2025 (7 by friends, 3 sent by the health centre, 1 by the media, 1
    'other'; 6 to
    improve the family, 5 to stop violence, 1 'other'), nine weekly sessions to 28 October, five men
    stop coming after four sessions and leave on 7 October (4 drop out, 1 transferred), two answer the
    exit questionnaire on 28 October. SITE-B: 6 men join in October, a seventh on 3 November (high
    risk), six sessions to 11 November. Every free-text question that can be reached is answered.

    Returns (participant codes, free texts planted).
    """
    forms = app.extensions["questionnaires"]
    rng = random.Random(YEAR)
    codes, texts = [], []

    def answer(store, qid, code, day, fixed, user):
        answers = fill(forms[qid], rng, fixed, day)
        for name, value in fixed.items():
            if isinstance(value, str) and "XQZ" in value and name in answers:
                texts.append(value)
        save_response(store, Submission(forms[qid], code, answers, "facilitator", user, day))
        return answers

    def recognition(yes):
        items = ["rec_insults", "rec_jealousy_control", "rec_threats", "rec_isolation", "rec_push_hit",
                 "rec_throw_objects", "rec_forced_sex", "rec_withhold_money", "rec_take_belongings",
                 "rec_children_leverage"]
        return {item: "yes" if i < yes else "no" for i, item in enumerate(items)}

    with app.app_context():
        # SITE-A
        store = get_site_store("SITE-A")
        add_group("SITE-A", "2025-A", started_on=date(YEAR, 9, 2).isoformat())
        men = [register(store, "SITE-A", "2025-A", date(YEAR, 9, 1), "fac_a") for _ in range(12)]
        codes += men
        for i, man in enumerate(men):
            day = date(YEAR, 9, 2)
            referral = ("friends",) * 7 + ("health_staff",) * 3 + ("media", "other")
            referral = referral[i]
            reason = "improve_family" if i < 6 else "stop_violence" if i < 11 else "other"
            answer(store, "intake", man, day, {
                "age": str(20 + 3 * i), "referral_source": referral, "main_reason": reason,
                "referral_source_other": free_text("llegó por", "A", i),
                "main_reason_other": free_text("razón", "A", i),
                "expectations": free_text("espera", "A", i), **recognition(i % 4)}, "fac_a")
            answer(store, "facilitator_intake", man, day, {
                "interview_date": day.isoformat(), "consent_given": "yes", "eligible": "yes",
                "risk_level": "low" if i < 6 else "medium", "notes": free_text("nota inicial", "A", i)}, "fac_a")
        for j in range(9):
            held = date(YEAR, 9, 2) + timedelta(weeks=j)
            save_session(store, group_code="2025-A", number=j + 1, held_on=held,
                         venue="community" if j % 3 == 2 else "health_centre",
                         present=men if j < 4 else men[:7], sessions_in_program=24, user="fac_a")
        for i in range(7, 12):
            reason = "dropped_out" if i < 11 else "transferred"
            answer(store, "facilitator_exit", men[i], date(YEAR, 10, 7), {
                "exit_date": f"{YEAR}-10-07", "exit_reason": reason,
                "transfer_site_note": free_text("se fue a", "A", i), "notes": free_text("nota de egreso", "A", i)},
                "fac_a")
        for i in (0, 1):
            answer(store, "exit", men[i], date(YEAR, 10, 28), {
                "strategy_used": "yes", "strategies": ["time_out", "other"],
                "strategies_other": free_text("estrategia", "A", i), "family_change": "better",
                "comments": free_text("comentario", "A", i), **recognition(6 + i)}, "fac_a")

        # SITE-B
        store = get_site_store("SITE-B")
        add_group("SITE-B", "2025-B", started_on=date(YEAR, 10, 6).isoformat())
        men = [register(store, "SITE-B", "2025-B", date(YEAR, 10, 6), "fac_b") for _ in range(6)]
        men.append(register(store, "SITE-B", "2025-B", date(YEAR, 11, 3), "fac_b"))
        codes += men
        for i, man in enumerate(men):
            day = date(YEAR, 10, 6) if i < 6 else date(YEAR, 11, 3)
            answer(store, "intake", man, day, {
                "age": str(30 + i), "referral_source": "friends", "main_reason": "stop_violence",
                "expectations": free_text("espera", "B", i), **recognition(2)}, "fac_b")
            answer(store, "facilitator_intake", man, day, {
                "interview_date": day.isoformat(), "consent_given": "yes", "eligible": "yes",
                "risk_level": "low" if i < 6 else "high", "notes": free_text("nota inicial", "B", i)}, "fac_b")
        for j in range(6):
            held = date(YEAR, 10, 7) + timedelta(weeks=j)
            save_session(store, group_code="2025-B", number=j + 1, held_on=held, venue="health_centre",
                         present=men[:6] if j < 4 else men, sessions_in_program=20, user="fac_b")
    assert len(texts) == 12 * 2 + 2 + 5 + 1 + 2 * 2 + 7 * 2  # every planted answer was kept by the forms
    return codes, texts


def freeze(app, out, k=5, generated_at=None):
    with app.app_context():
        return build(app.instance_path, list_sites(get_registry()), app.extensions["questionnaires"], Path(out), k,
                     generated_at=generated_at)


def site_data(app):
    """Every site's records, read from its store as the freeze reads them."""
    with app.app_context():
        return [from_snapshot(s.code, s.state, s.sessions, get_site_store(s.code).read())
                for s in list_sites(get_registry())]


def record_of(data, scope, period):
    """The one record of ``scope`` and ``period`` in ``data/indicators.json``."""
    found = [r for r in data["records"] if r["scope"] == scope and r["period"] == period]
    assert len(found) == 1, (scope, period, len(found))
    return found[0]
