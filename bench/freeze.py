"""Benchmark of the static summary site: ``flask --app portal freeze``.

The data set, written into a temporary instance folder on the same disk as the
project (removed at the end):

- 32 states x 10 sites (``S01-01`` .. ``S32-10``), 24 sessions in the program;
- five years, January 2021 to the end of October 2025 (the data's date);
- about 5,000 men a year in the country (``--scale 1``, so ~16 men per site and
  year), or ten times that (``--scale 10``). Each site-year gets groups of about
  12 men; a group meets weekly for 24 sessions (venues: mostly the health
  centre); each man comes for a while and then may drop out. Every man has an
  intake and a facilitator intake, a facilitator exit when he stops, and an
  exit questionnaire if he came to 13 sessions or more; the answers are full
  questionnaires (filled from the definitions, as the demo does), with the
  indicator fields drawn at random.

The site files are written directly in the storage format (``serialise``);
that is data preparation, not measured.

Measured, with the real command run as a person runs it (a new process each
time, start-up included, ``PORTAL_INSTANCE`` pointing at the temporary folder,
Python's compiled modules kept between runs as an installed portal keeps them):

1. full build into an empty folder: wall time, CPU time, peak memory (the
   largest resident set of the command, ``ru_maxrss`` of the child), pages,
   folder and zip size;
2. (scale 1) rebuild with no change;
3. (scale 1) rebuild after one site's new month: one site gets November 2025
   (four sessions of a new group and its six new men with their intake records),
   written through ``SiteStore.write`` as the portal does.

Also the demo's summary (full build and no change), and at scale 1 one state's own summary
(``--state 09``). Each full build prints pages, files, folder and zip size and, per level (country, state, site)
and period (year, month), the share of count cells shown and the mean and largest distance of the shown counts
from the truth (read back from ``data/indicators.json`` and the site files). ``--keep DIR`` leaves the summaries.

Targets (2-core machine, issues 14 and 21): scale 1 full build <= 30 s (issue 21: half of the 25-29 s measured
before it), zip <= 25 MB, folder <= 5,000 files;
scale 10 full build <= 600 s and <= 4 GB; the one-site rebuild at least 5 times faster than the
full build. Run: ``.venv/bin/python bench/freeze.py [--scale 1 --scale 10] [--skip-demo]``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.demo import fill, recognition  # noqa: E402
from portal.disclosure import flatten  # noqa: E402
from portal.indicators import (  # noqa: E402
    BREAKDOWNS,
    MAIN_REASONS,
    REFERRAL_SOURCES,
    combine,
    finish,
    from_snapshot,
    site_tallies,
)
from portal.registry import (  # noqa: E402
    add_site,
    check_site,
    list_sites,  # noqa: E402
)
from portal.storage import SiteStore, serialise, site_path, write_atomically  # noqa: E402

STATES, SITES_PER_STATE, N = 32, 10, 24
FIRST, LAST = date(2021, 1, 1), date(2025, 10, 31)
MEN_PER_YEAR = 5000
POOL = 12  # filled questionnaires per kind to draw from


def answer_pool(questionnaires: dict, rng: random.Random) -> dict[str, list[dict]]:
    day = date(2023, 1, 1)
    pool = {}
    for qid, fixed in (("intake", {"age": "30", "works": "yes"}), ("facilitator_intake", {"consent_given": "yes",
                                                                                          "eligible": "yes"}),
                       ("facilitator_exit", {"exit_reason": "dropped_out"}), ("exit", {"strategy_used": "yes"})):
        pool[qid] = [fill(questionnaires[qid], rng, fixed, day) for _ in range(POOL)]
    return pool


def site_records(code: str, rng: random.Random, pool: dict, scale: int) -> dict[str, dict[str, dict]]:
    tables: dict[str, dict[str, dict]] = {"groups": {}, "participants": {}, "sessions": {}, "responses": {}}

    def put(table: str, doc: dict) -> None:
        tables[table][str(len(tables[table]) + 1)] = doc

    def respond(pcode: str, qid: str, day: date, **answers) -> None:
        put("responses", {"participant_code": pcode, "questionnaire": qid, "version": "2026.1",
                          "submitted_on": day.isoformat(), "entered_by": "facilitator", "user": "bench",
                          "answers": {**rng.choice(pool[qid]), **answers}})

    for year in range(FIRST.year, LAST.year + 1):
        men = max(1, round(rng.gauss(MEN_PER_YEAR * scale / (STATES * SITES_PER_STATE), 3 * scale ** 0.5)))
        groups = max(1, round(men / 12))
        seq = 0
        for g in range(groups):
            latest = min(date(year, 12, 31), LAST - timedelta(weeks=4)) - date(year, 1, 1)
            start = date(year, 1, 1) + timedelta(days=rng.randint(0, latest.days))
            group = f"{year}-{chr(65 + g % 26)}{g // 26 or ''}"
            put("groups", {"code": group, "started_on": start.isoformat()})
            members = []
            for _ in range(men // groups + (1 if g < men % groups else 0)):
                seq += 1
                pcode = f"{code}-{year}-{seq:04d}"
                enrolled = start - timedelta(days=rng.randint(0, 10))
                put("participants", {"code": pcode, "group_code": group, "enrolled_on": enrolled.isoformat(),
                                     "status": "active"})
                stay = N if rng.random() < 0.3 else int(rng.expovariate(1 / 7))
                members.append((pcode, min(N, stay)))
                respond(pcode, "intake", enrolled, age=rng.randint(18, 70),
                        referral_source=rng.choice(REFERRAL_SOURCES), main_reason=rng.choice(MAIN_REASONS),
                        **recognition(rng, rng.randint(1, 6)))
                respond(pcode, "facilitator_intake", enrolled,
                        risk_level=rng.choices(["low", "medium", "high"], [50, 35, 15])[0])
            came: dict[str, int] = {}
            for number in range(1, N + 1):
                held = start + timedelta(weeks=number - 1)
                if held > LAST:
                    break
                present = sorted(p for p, stay in members if number <= stay and rng.random() > 0.12)
                for p in present:
                    came[p] = came.get(p, 0) + 1
                put("sessions", {"session_id": f"S{len(tables['sessions']) + 1:04d}", "group_code": group,
                                 "number": number, "date": held.isoformat(),
                                 "venue": rng.choices(["health_centre", "community", "online"], [75, 20, 5])[0],
                                 "present": present})
            for pcode, stay in members:
                left = start + timedelta(weeks=max(stay, 1))
                if left > LAST or (stay == N and start + timedelta(weeks=N) > LAST):
                    continue  # still in his group at the data's date
                reason = "completed" if stay == N else rng.choices(["dropped_out", "transferred", "other"], [90, 5, 5])[0]
                respond(pcode, "facilitator_exit", left, exit_reason=reason)
                if came.get(pcode, 0) >= 13:
                    respond(pcode, "exit", left, strategy_used=rng.choice(["yes", "no"]),
                            family_change=rng.choice(["better", "same", "worse"]),
                            **recognition(rng, rng.randint(3, 10)))
    return tables


def prepare(instance: Path, scale: int) -> tuple[int, int]:
    app = create_app({"INSTANCE_PATH": instance})
    rng = random.Random(2025 + scale)
    pool = answer_pool(app.extensions["questionnaires"], rng)
    men = attendance = 0
    with app.app_context():
        registry = get_registry()
        for s in range(1, STATES + 1):
            for i in range(1, SITES_PER_STATE + 1):
                code = f"S{s:02d}-{i:02d}"
                add_site(registry, check_site(code, f"Centro de Salud {s:02d}-{i:02d}", f"{s:02d}", N), user="bench")
                tables = site_records(code, rng, pool, scale)
                men += len(tables["participants"])
                attendance += sum(len(x["present"]) for x in tables["sessions"].values())
                site_path(instance, code).parent.mkdir(parents=True, exist_ok=True)
                write_atomically(site_path(instance, code), serialise(tables))
    return men, attendance


def new_month(instance: Path) -> None:
    """One site's November 2025: a new group's first four sessions and its six men."""
    store = SiteStore(site_path(instance, "S09-01"))

    def change(tx):
        tx.insert("groups", {"code": "2025-NOV", "started_on": "2025-11-03"})
        codes = []
        for k in range(6):
            code = f"S09-01-2025-{900 + k:04d}"
            codes.append(code)
            tx.insert("participants", {"code": code, "group_code": "2025-NOV", "enrolled_on": "2025-11-03",
                                       "status": "active"})
            for qid, answers in (("intake", {"age": 30 + k, "referral_source": "justice", "main_reason": "legal"}),
                                 ("facilitator_intake", {"risk_level": "medium"})):
                tx.insert("responses", {"participant_code": code, "questionnaire": qid, "version": "2026.1",
                                        "submitted_on": "2025-11-03", "entered_by": "facilitator", "user": "bench",
                                        "answers": answers})
        for number in range(1, 5):
            tx.insert("sessions", {"session_id": f"SNOV{number}", "group_code": "2025-NOV", "number": number,
                                   "date": (date(2025, 11, 3) + timedelta(weeks=number - 1)).isoformat(),
                                   "venue": "health_centre", "present": codes[: 6 - number // 3]})

    store.write(change, user="bench")
    store.close()


PYCACHE: list[str] = []  # the compiled modules' folder of the commands run (``main``)


def child_env(instance: Path) -> dict[str, str]:
    """The environment of a command run as an installed portal runs: on this instance, with Python's compiled
    modules kept between runs (in a folder of the bench's own, so the project is not touched) even where the
    shell says not to write them, as a deployment does; otherwise every run would compile the portal again."""
    env = {**os.environ, "PORTAL_INSTANCE": str(instance)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = PYCACHE[0]
    return env


def run_freeze(instance: Path, out: Path, *options: str) -> dict:
    env = child_env(instance)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "freeze", "--out", str(out), *options],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"freeze failed:\n{done.stdout}\n{done.stderr}")
    return {"wall": wall, "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "rss_mb": after.ru_maxrss / 1024, "said": done.stdout.strip().splitlines()[0]}


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def accuracy(instance: Path, out: Path) -> list[str]:
    """Per level (country, state, site) and period (year, month): the share of count cells shown (not blank) and
    how far the shown counts are from the truth (the sites' own records, read back here), mean and largest."""
    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        sites = [from_snapshot(s.code, s.state, s.sessions, get_site_store(s.code).read())
                 for s in list_sites(get_registry())]
    tallies = {s.code: site_tallies(s, "9999-12-31") for s in sites}
    members = {"all": sites, **{f"state:{st}": [s for s in sites if s.state == st] for st in {s.state for s in sites}},
               **{f"site:{s.code}": [s] for s in sites}}
    paths = ("enrolled", "attendances", "active_participants", "exits", "exit_questionnaires", "paired") + tuple(
        f"{name}.{c}.count" for name, categories in BREAKDOWNS.items() for c in categories)
    figures: dict[tuple[str, str], list] = {}
    for record in json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))["records"]:
        scope, period = record["scope"], record["period"]
        truth = dict(flatten(finish(combine(tallies[s.code].get(period, Counter()) for s in members[scope]))))
        shown = dict(flatten({k: v for k, v in record.items() if k not in ("scope", "period", "suppressed", "exact")}))
        level = ({"all": "country", "state": "state", "site": "site"}[scope.partition(":")[0]],
                 "year" if len(period) == 4 else "month")
        figures.setdefault(level, []).extend((shown[p], truth[p]) for p in paths)
    lines = []
    for (level, period), pairs in sorted(figures.items()):
        distances = [abs(a - b) for a, b in pairs if a is not None]
        lines.append(f"{level:>7} {period:<5}: {100 * len(distances) / len(pairs):5.1f} % of {len(pairs):,} count "
                     f"cells shown; distance from the truth: mean {sum(distances) / max(1, len(distances)):.2f}, "
                     f"largest {max(distances, default=0)}")
    return lines


def describe(label: str, run: dict, out: Path, instance: Path | None = None) -> int:
    pages = sum(1 for _ in out.rglob("*.html"))
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"  {label}: {run['wall']:7.1f} s wall, {run['cpu']:7.1f} s CPU, peak memory {run['rss_mb']:,.0f} MB; "
          f"{pages:,} pages, {files:,} files, folder {size_mb(out):,.0f} MB, zip "
          f"{size_mb(out.with_name(out.name + '.zip')):,.1f} MB")
    print(f"    {run['said']}")
    if instance is not None:
        for line in accuracy(instance, out):
            print(f"    {line}")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="1 (realistic) and/or 10; default both")
    parser.add_argument("--skip-demo", action="store_true", help="do not measure the demo's summary")
    parser.add_argument("--keep", type=Path, help="leave a copy of each built summary in this folder")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    PYCACHE[:] = [tempfile.mkdtemp(prefix="bench-pycache-")]
    # compiled once before anything is measured, as an installed portal is
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "--help"], cwd=ROOT, check=True,
                   env=child_env(Path(PYCACHE[0]) / "instance"), capture_output=True)
    try:
        measure(args)
    finally:
        shutil.rmtree(PYCACHE[0], ignore_errors=True)


def keep(args: argparse.Namespace, out: Path, name: str) -> None:
    """``--keep DIR``: a copy of the built summary (and its zip) in DIR/name, for a person to open."""
    if args.keep:
        target = args.keep / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(out, target)
        shutil.copy2(out.with_name(out.name + ".zip"), args.keep / f"{name}.zip")


def measure(args: argparse.Namespace) -> None:
    scales = args.scale or [1, 10]
    if not args.skip_demo:
        work = Path(tempfile.mkdtemp(prefix="bench-freeze-demo-", dir=ROOT / "exports"))
        try:
            instance, out = work / "instance", work / "resumen"
            subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "demo"], cwd=ROOT,
                           env=child_env(instance), check=True,
                           capture_output=True)
            print("\ndemo (make run's data):")
            describe("full build", run_freeze(instance, out), out, instance)
            keep(args, out, "demo")
            same = run_freeze(instance, out)
            print(f"  no change:    {same['wall']:7.1f} s wall   ({same['said']})")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    for scale in scales:
        work = Path(tempfile.mkdtemp(prefix=f"bench-freeze-{scale}-", dir=ROOT / "exports"))
        try:
            instance, out = work / "instance", work / "resumen"
            t0 = time.perf_counter()
            men, attendance = prepare(instance, scale)
            data_mb = size_mb(instance / "sites")
            print(f"\nscale {scale}: {STATES * SITES_PER_STATE} sites, {men:,} men in 5 years, {attendance:,} "
                  f"attendance marks, site files {data_mb:,.0f} MB (prepared in {time.perf_counter() - t0:.0f} s)")
            full = run_freeze(instance, out)
            files = describe("full build", full, out, instance)
            keep(args, out, f"scale-{scale}")
            zip_mb = size_mb(out.with_name(out.name + ".zip"))
            limit = 30 if scale == 1 else 600
            verdict = "PASS" if full["wall"] <= limit and (scale == 1 or full["rss_mb"] <= 4096) else "FAIL"
            print(f"    target: within {limit} s" + (" and 4 GB" if scale != 1 else "") + f": {verdict}")
            if scale == 1:
                print(f"    target: zip <= 25 MB and folder <= 5,000 files: "
                      f"{'PASS' if zip_mb <= 25 and files <= 5000 else 'FAIL'}")
                state_out = work / "resumen-09"
                describe("one state (--state 09)", run_freeze(instance, state_out, "--state", "09"), state_out)
                same = run_freeze(instance, out)
                print(f"  no change:    {same['wall']:7.1f} s wall   ({same['said']})")
                new_month(instance)
                one = run_freeze(instance, out)
                print(f"  one site's new month: {one['wall']:7.1f} s wall   ({one['said']})")
                ratio = full["wall"] / one["wall"]
                print(f"    full / one-site rebuild = {ratio:.1f} (target >= 5: {'PASS' if ratio >= 5 else 'FAIL'})")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
