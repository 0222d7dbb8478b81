"""``flask --app portal demo``: a synthetic program year 2010, and a year in progress that ends today.

Eight states, several sites each, groups of weekly sessions, attendance that thins
out as men drop out, exits, and questionnaires whose answers go through the same
validation as the web forms. The national 2010 figures equal the published ones at
their published precision: 1,257 men, mean age 35.3, 46.3% referred by friends,
12.6% by an invitation to the partner, 47% joining to improve family relationships,
12% to leave violence, 5% attending more than 75% of the sessions. A few sites also have
groups meeting now (``build_current``), so the follow-up list and this month's figures
show what a facilitator sees on a working day.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from . import clock
from .db import get_registry, get_site_store
from .indicators import REC_ITEMS, over_75
from .questionnaires import Questionnaire
from .registry import add_site, add_user, check_site, list_sites
from .storage import Transaction

SEED = 2010
MEN = 1257
AGE_SUM = 44372  # mean 35.30
REFERRALS = {"friends": 582, "partner_invitation": 158, "health_staff": 198, "justice": 121, "media": 64,
             "self": 88, "other": 46}
REASONS = {"improve_family": 591, "stop_violence": 151, "partner_request": 287, "legal": 173, "other": 55}
OVER_75 = 63  # of 1,257: 5.0%

# code, name, state, sessions in the program
DEMO_SITES = (
    ("CDMX-IZT", "Centro de Salud Iztapalapa", "09", 24),
    ("CDMX-GAM", "Centro de Salud Gustavo A. Madero", "09", 24),
    ("CDMX-TLA", "Centro Comunitario Tlalpan", "09", 24),
    ("JAL-GDL", "Centro de Salud Guadalajara Centro", "14", 24),
    ("JAL-ZAP", "Centro de Salud Zapopan", "14", 20),
    ("MEX-ECA", "Centro de Salud Ecatepec", "15", 24),
    ("MEX-NEZ", "Centro de Salud Nezahualcóyotl", "15", 24),
    ("MEX-TOL", "Centro de Salud Toluca", "15", 24),
    ("NL-MTY", "Centro de Salud Monterrey", "19", 24),
    ("NL-GPE", "Centro de Salud Guadalupe", "19", 20),
    ("OAX-CEN", "Centro de Salud Oaxaca Centro", "20", 24),
    ("OAX-JUC", "Centro de Salud Juchitán", "20", 24),
    ("PUE-CEN", "Centro de Salud Puebla", "21", 24),
    ("PUE-TEH", "Centro de Salud Tehuacán", "21", 24),
    ("VER-XAL", "Centro de Salud Xalapa", "30", 24),
    ("VER-VER", "Centro de Salud Veracruz Puerto", "30", 24),
    ("VER-COA", "Centro Comunitario Coatzacoalcos", "30", 24),
    ("YUC-MER", "Centro de Salud Mérida", "31", 24),
    ("YUC-VAL", "Centro de Salud Valladolid", "31", 24),
)
GROUP_STARTS = ("2010-01-12", "2010-03-09", "2010-05-04", "2010-07-06")

# Demo logins are printed on purpose: they exist only in a demonstration instance.
DEMO_USERS = (
    ("admin", "admin", None, "demo-admin-2010"),
    ("coordinacion", "coordinator", None, "demo-coordinacion-2010"),
    ("facilitador", "facilitator", "CDMX-IZT", "demo-facilitador-2010"),
    ("facilitador2", "facilitator", "JAL-GDL", "demo-facilitador2-2010"),
)


def exact_values(rng: random.Random, counts: dict[str, int]) -> list[str]:
    values = [value for value, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


def ages(rng: random.Random) -> list[int]:
    """Believable ages (18..70) whose sum, and so mean, is exactly the published one."""
    values = [min(70, max(18, round(rng.gauss(35.3, 9.5)))) for _ in range(MEN)]
    while sum(values) != AGE_SUM:
        i = rng.randrange(MEN)
        step = 1 if sum(values) < AGE_SUM else -1
        if 18 <= values[i] + step <= 70:
            values[i] += step
    return values


def fill(questionnaire: Questionnaire, rng: random.Random, fixed: dict, day: date) -> dict:
    """Answers for every question shown, valid for the definition; ``fixed`` wins."""
    raw: dict = {}
    for _attempt in range(50):
        for q in questionnaire.questions:
            if q.name in fixed:
                raw[q.name] = fixed[q.name]
            elif q.name in raw:
                continue
            elif q.type == "select_one":
                raw[q.name] = rng.choice([c for c in q.choice_names if c != "other"] or q.choice_names)
            elif q.type == "select_multiple":
                raw[q.name] = [rng.choice([c for c in q.choice_names if c not in ("other", "none")]
                                          or q.choice_names)]
            elif q.type in ("integer", "decimal"):
                raw[q.name] = str(rng.randint(1, 12))
            elif q.type == "date":
                raw[q.name] = day.isoformat()
        result = questionnaire.validate(raw)
        if result.ok:
            return result.answers
        for name in result.errors:  # draw those again
            raw.pop(name, None)
    raise RuntimeError(f"demo answers for {questionnaire.id} do not validate: {result.errors}")


def recognition(rng: random.Random, yes_count: int) -> dict:
    items = list(REC_ITEMS)
    rng.shuffle(items)
    return {item: ("yes" if i < yes_count else rng.choice(["no", "dont_know"])) for i, item in enumerate(items)}


def build_year(questionnaires: dict[str, Questionnaire]) -> dict[str, dict]:
    """Every site's records for 2010: {site code: {"participants", "groups", "sessions", "responses"}}."""
    rng = random.Random(SEED)
    referrals, reasons, age_list = exact_values(rng, REFERRALS), exact_values(rng, REASONS), ages(rng)
    completers = set(rng.sample(range(MEN), OVER_75))
    per_site = [MEN // len(DEMO_SITES) + (1 if i < MEN % len(DEMO_SITES) else 0) for i in range(len(DEMO_SITES))]
    out, man = {}, 0
    for (code, _name, _state, n), count in zip(DEMO_SITES, per_site):
        records = {"participants": [], "groups": [], "sessions": [], "responses": []}
        groups = {f"2010-{chr(65 + g)}": date.fromisoformat(start) for g, start in enumerate(GROUP_STARTS)}
        records["groups"] = [{"code": g, "started_on": start.isoformat()} for g, start in groups.items()]
        attendance: dict[str, set[int]] = {}
        members: dict[str, list[str]] = {g: [] for g in groups}
        for k in range(count):
            group = list(groups)[k % len(groups)]
            start = groups[group]
            pcode = f"{code}-2010-{k + 1:04d}"
            enrolled = start - timedelta(days=rng.randint(1, 10))
            members[group].append(pcode)
            records["participants"].append({"code": pcode, "group_code": group, "enrolled_on": enrolled.isoformat(),
                                            "status": "active"})
            # attendance: completers come to more than 75%; the others drift away
            threshold = next(a for a in range(n + 1) if over_75(a, n))
            if man in completers:
                came = set(rng.sample(range(1, n + 1), rng.randint(threshold, n)))
            else:
                stop = 0 if rng.random() < 0.08 else min(threshold - 1, int(rng.expovariate(1 / 6)) + 1)
                came = {s for s in range(1, stop + 1) if rng.random() > 0.12}
            attendance[pcode] = came
            intake_rec = rng.randint(1, 6)
            records["responses"].append(response(
                pcode, questionnaires["intake"], enrolled, "self",
                fill(questionnaires["intake"], rng, {"age": str(age_list[man]), "referral_source": referrals[man],
                                                     "main_reason": reasons[man], **recognition(rng, intake_rec)},
                     enrolled)))
            risk = rng.choices(["low", "medium", "high"], [50, 35, 15])[0]
            records["responses"].append(response(
                pcode, questionnaires["facilitator_intake"], enrolled, "facilitator",
                fill(questionnaires["facilitator_intake"], rng,
                     {"interview_date": enrolled.isoformat(), "consent_given": "yes", "eligible": "yes",
                      "risk_level": risk}, enrolled)))
            last = max(came, default=0)
            end = start + timedelta(weeks=n - 1)
            if man in completers or last >= n - 1:
                reason, left = "completed", end
            elif rng.random() < 0.06:
                reason, left = rng.choice(["transferred", "other"]), start + timedelta(weeks=last + 1)
            else:
                reason, left = "dropped_out", start + timedelta(weeks=last + 2)
            records["responses"].append(response(
                pcode, questionnaires["facilitator_exit"], left, "facilitator",
                fill(questionnaires["facilitator_exit"], rng,
                     {"exit_date": left.isoformat(), "exit_reason": reason}, left)))
            records["participants"][-1]["status"] = {"completed": "completed", "dropped_out": "dropped_out",
                                                     "transferred": "transferred"}.get(reason, "exited")
            if reason == "completed" or len(came) >= 13:
                gain = rng.randint(1, 5) if reason == "completed" else rng.randint(0, 3)
                records["responses"].append(response(
                    pcode, questionnaires["exit"], left, rng.choice(["self", "paper"]),
                    fill(questionnaires["exit"], rng, {"strategy_used": rng.choices(["yes", "no"], [72, 28])[0],
                                                       "family_change": rng.choices(["better", "same", "worse"],
                                                                                    [62, 33, 5])[0],
                                                       **recognition(rng, min(10, intake_rec + gain))}, left)))
            man += 1
        for group, start in groups.items():
            for number in range(1, n + 1):
                held = start + timedelta(weeks=number - 1)
                venue = "community" if (code.endswith("TLA") or code.endswith("COA") or number % 5 == 0) else \
                    "health_centre"
                records["sessions"].append({
                    "session_id": f"S{len(records['sessions']) + 1:04d}", "group_code": group, "number": number,
                    "date": held.isoformat(), "venue": venue,
                    "present": sorted(p for p in members[group] if number in attendance[p])})
        for record in records["groups"]:  # the 2010 groups met for the last time long ago: closed then
            record["closed_on"] = (groups[record["code"]] + timedelta(weeks=n - 1)).isoformat()
        out[code] = records
    return out


CURRENT_SITES = ("CDMX-IZT", "JAL-GDL", "OAX-CEN")  # the facilitators' demo sites have a year in progress
# (group, weeks since it started, men) and how each man comes: steady, drifting (at risk now), left
CURRENT_GROUPS = (("A", 15, 11), ("B", 5, 8))
PROFILES = ("steady", "steady", "steady", "drifting", "steady", "left", "steady", "drifting", "steady", "steady",
            "left")


def build_current(questionnaires: dict[str, Questionnaire], today: date,
                  sessions_in_program: dict[str, int]) -> dict[str, dict]:
    """A program year in progress that ends today, at a few sites: groups meeting weekly, men who
    come, men drifting away (on today's follow-up list), men who left, a high-risk man."""
    rng = random.Random(SEED + today.toordinal())
    out = {}
    for code in CURRENT_SITES:
        records = {"participants": [], "groups": [], "sessions": [], "responses": []}
        numbers: dict[int, int] = {}
        for letter, weeks, count in CURRENT_GROUPS:
            start = today - timedelta(weeks=weeks, days=rng.randint(0, 3))
            group = f"{start.year}-{letter}"
            records["groups"].append({"code": group, "started_on": start.isoformat()})
            held = [start + timedelta(weeks=w) for w in range(min(weeks + 1, sessions_in_program[code]))
                    if start + timedelta(weeks=w) < today]  # today's session is the facilitator's to record
            marks: dict[int, list[str]] = {i: [] for i in range(len(held))}
            for k in range(count):
                enrolled = start - timedelta(days=rng.randint(1, 6))
                numbers[enrolled.year] = numbers.get(enrolled.year, 0) + 1
                pcode = f"{code}-{enrolled.year}-{numbers[enrolled.year]:04d}"
                profile = PROFILES[k % len(PROFILES)]
                last = {"steady": len(held), "drifting": len(held) - 2,
                        "left": max(1, len(held) // 3)}[profile]
                came = [i for i in range(last) if profile != "steady" or rng.random() > 0.1 or i == last - 1]
                for i in came:
                    marks[i].append(pcode)
                status = "dropped_out" if profile == "left" else "active"
                records["participants"].append({"code": pcode, "group_code": group,
                                                "enrolled_on": enrolled.isoformat(), "status": status})
                risk = "high" if k == 3 else rng.choices(["low", "medium"], [60, 40])[0]
                records["responses"] += [
                    response(pcode, questionnaires["intake"], enrolled, "self",
                             fill(questionnaires["intake"], rng, {"age": str(rng.randint(19, 60)),
                                                                  **recognition(rng, rng.randint(1, 6))}, enrolled)),
                    response(pcode, questionnaires["facilitator_intake"], enrolled, "facilitator",
                             fill(questionnaires["facilitator_intake"], rng,
                                  {"interview_date": enrolled.isoformat(), "consent_given": "yes", "eligible": "yes",
                                   "risk_level": risk}, enrolled))]
                if profile == "left":
                    left = min(today, held[max(came, default=0)] + timedelta(weeks=2))
                    records["responses"].append(response(
                        pcode, questionnaires["facilitator_exit"], left, "facilitator",
                        fill(questionnaires["facilitator_exit"], rng,
                             {"exit_date": left.isoformat(), "exit_reason": "dropped_out"}, left)))
            for i, day in enumerate(held):
                records["sessions"].append({"group_code": group, "number": i + 1, "date": day.isoformat(),
                                            "venue": "community" if i % 4 == 3 else "health_centre",
                                            "present": sorted(marks[i])})
        out[code] = records
    return out


def merge(year: dict[str, dict], current: dict[str, dict]) -> None:
    """The current year after 2010, with session ids that go on from 2010's."""
    for code, records in current.items():
        target = year[code]
        for session in records["sessions"]:
            session["session_id"] = f"S{len(target['sessions']) + 1:04d}"
            target["sessions"].append(session)
        for table in ("participants", "groups", "responses"):
            target[table] += records[table]


def response(pcode: str, questionnaire: Questionnaire, day: date, entered_by: str, answers: dict) -> dict:
    return {"participant_code": pcode, "questionnaire": questionnaire.id, "version": questionnaire.version,
            "submitted_on": day.isoformat(), "entered_by": entered_by,
            "user": None if entered_by == "self" else "demo", "answers": answers}


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the logins) if the instance has data.")
def demo_command(if_empty: bool) -> None:
    """Fill an empty instance with the demonstration year 2010."""
    registry = get_registry()
    with force_locale("es"):
        if list_sites(registry):
            if not if_empty:
                raise click.ClickException(_("The instance already has sites: the demo only fills an empty one."))
            click.echo(_("The instance already has data; nothing was added."))
        else:
            year = build_year(current_app.extensions["questionnaires"])
            merge(year, build_current(current_app.extensions["questionnaires"], clock.today(),
                                      {code: n for code, _name, _state, n in DEMO_SITES}))
            with click.progressbar(DEMO_SITES, label=_("Creating the demo sites"),
                                   item_show_func=lambda s: s[0] if s else "") as sites:
                for code, name, state, n in sites:
                    add_site(registry, check_site(code, name, state, n), user="demo")
                    get_site_store(code).write(lambda tx, r=year[code]: insert_all(tx, r), user="demo")
            for username, role, site, password in DEMO_USERS:
                add_user(registry, username, role, password, site, user="demo")
            click.echo(_("Demo instance ready in %(path)s.", path=current_app.instance_path))
        click.echo(_("Demo logins (user / password):"))
        for username, role, site, password in DEMO_USERS:
            click.echo(f"  {username:<14} {password:<26} {role}{' ' + site if site else ''}")


def insert_all(tx: Transaction, records: dict) -> None:
    """Insert a site's records as ``build_year`` makes them (groups, men, sessions, responses), inside a write.

    The demo, the tests and the benchmarks fill a site this way.
    """
    for table in ("groups", "participants", "sessions", "responses"):
        for doc in records[table]:
            tx.insert(table, doc)
