"""Benchmark of the CSV export and import of a year of a busy site.

The data set (synthetic, deterministic): one site ``BUSY-01`` whose program has 30
sessions; 8 groups of 25 men (200 men) starting a month apart from January 2025,
each group meeting weekly for its 30 sessions (240 sessions); every man comes to
24 of his group's 30 sessions (4,800 attendance marks); every man has the four
questionnaires (800 responses) with answers drawn by ``portal.demo.fill`` and so
valid for the definitions, plus free text with accents, line breaks and text that
a spreadsheet would run as a formula. It is written with one ``SiteStore.write``
into a temporary instance folder on the same disk as the project (removed at the end).

Measured:

1. export: ``export_site`` + ``write_export`` in this process (reading the site
   from the parsed store; what ``flask --app portal export`` does after start-up),
   median of RUNS;
2. import into an empty instance, in this process: ``files_in`` + ``read_batch`` +
   ``import_batch`` into a fresh instance each time, then the same files again into
   it (nothing new), medians of RUNS;
3. the real commands as a person runs them, process start-up included:
       python -m flask --app portal import --site BUSY-01 DIR     (empty instance)
       python -m flask --app portal import --site BUSY-01 DIR     (again: nothing new)
       python -m flask --app portal export --site BUSY-01 --out DIR2
   with ``PORTAL_INSTANCE`` set to the temporary instance, from the project folder;
4. checks: the second import wrote nothing (the site file's bytes are unchanged)
   and the export of the imported site is byte-identical to the first export.

Goal (issue 6): the import of this year "finishes in seconds". Taken here as: the
import command, start-up included, under 10 s. Prints PASS or FAIL.

Run from the project folder (about half a minute on 2 cores):

    .venv/bin/python bench/import_site.py [--runs 3]

Exit status: 0 when the goal is met and the checks pass, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402

from portal import create_app  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.demo import fill  # noqa: E402
from portal.registry import add_site, check_site, get_site  # noqa: E402
from portal import transfer  # noqa: E402

SITE = "BUSY-01"
SESSIONS = 30
GROUPS = 8
MEN_PER_GROUP = 25
ATTENDED = 24  # of the 30 sessions, for every man: 200 x 24 = 4,800 marks
GOAL_SECONDS = 10.0
TEXTS = ["Que mi familia esté bien", "=SUMA(A1:A9)", "-menos gritos", "Aprender a platicar\ncon mi pareja",
         "@todos", "Sí, «mucho»", "'entre comillas'", "Nada más"]


def build_year(questionnaires) -> dict[str, list[dict]]:
    rng = random.Random(2025)
    records = {"groups": [], "participants": [], "sessions": [], "responses": []}
    for g in range(GROUPS):
        group = f"2025-{chr(65 + g)}"
        start = date(2025, 1 + g, 7)
        records["groups"].append({"code": group, "started_on": start.isoformat()})
        men = []
        for k in range(MEN_PER_GROUP):
            code = f"{SITE}-2025-{g * MEN_PER_GROUP + k + 1:04d}"
            enrolled = start - timedelta(days=rng.randint(1, 6))
            men.append((code, set(rng.sample(range(1, SESSIONS + 1), ATTENDED))))
            end = start + timedelta(weeks=SESSIONS - 1)
            reason = rng.choices(["completed", "dropped_out", "transferred", "other"], [60, 30, 5, 5])[0]
            records["participants"].append({"code": code, "group_code": group, "enrolled_on": enrolled.isoformat(),
                                            "status": {"completed": "completed", "dropped_out": "dropped_out",
                                                       "transferred": "transferred"}.get(reason, "exited")})
            for qid, day, fixed in [
                ("intake", enrolled, {"age": str(rng.randint(18, 65)), "expectations": rng.choice(TEXTS)}),
                ("facilitator_intake", enrolled, {"interview_date": enrolled.isoformat(), "notes": rng.choice(TEXTS)}),
                ("exit", end, {"comments": rng.choice(TEXTS)}),
                ("facilitator_exit", end, {"exit_date": end.isoformat(), "exit_reason": reason}),
            ]:
                answers = fill(questionnaires[qid], rng, fixed, day)
                records["responses"].append({
                    "participant_code": code, "questionnaire": qid, "version": questionnaires[qid].version,
                    "submitted_on": day.isoformat(), "entered_by": "paper", "user": "bench", "answers": answers})
        for number in range(1, SESSIONS + 1):
            records["sessions"].append({
                "session_id": f"S{len(records['sessions']) + 1:04d}", "group_code": group, "number": number,
                "date": (start + timedelta(weeks=number - 1)).isoformat(),
                "venue": "community" if number % 4 == 0 else "health_centre",
                "present": sorted(code for code, came in men if number in came)})
    return records


def new_instance(folder: Path):
    app = create_app({"INSTANCE_PATH": folder})
    with app.app_context():
        add_site(get_registry(), check_site(SITE, "Centro de Salud de mucho movimiento", "09", SESSIONS))
    return app


def run(args: list[str], instance: Path) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, PORTAL_INSTANCE=str(instance))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    return time.perf_counter() - started, done


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=ROOT))
    try:
        return measure(work, options.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, runs: int) -> int:
    source = new_instance(work / "source")
    with source.app_context(), force_locale("es"):
        questionnaires = source.extensions["questionnaires"]
        records = build_year(questionnaires)

        def insert_all(tx):
            for table in ("groups", "participants", "sessions", "responses"):
                for doc in records[table]:
                    tx.insert(table, doc)

        store = get_site_store(SITE)
        store.write(insert_all, user="bench")
        marks = sum(len(s["present"]) for s in records["sessions"])
        print(f"Data set: {len(records['participants'])} men, {len(records['sessions'])} sessions, {marks} "
              f"attendance marks, {len(records['responses'])} questionnaires; site file "
              f"{store.path.stat().st_size / 1e6:.2f} MB.")

        export_times = []
        for i in range(runs):
            started = time.perf_counter()
            export = transfer.export_site(SITE, store.read(), questionnaires)
            transfer.write_export(work / "export", export)
            export_times.append(time.perf_counter() - started)
        size = sum((work / "export" / name).stat().st_size for name in transfer.FILE_NAMES)
        print(f"CSV files: {sum(export.rows.values())} rows, {size / 1e6:.2f} MB.")

    import_times, again_times = [], []
    for i in range(runs):
        target = new_instance(work / f"inprocess-{i}")
        with target.app_context(), force_locale("es"):
            site = get_site(get_registry(), SITE)
            for times in (import_times, again_times):  # into the empty site, then the same files again
                started = time.perf_counter()
                batch = transfer.read_batch(transfer.files_in(work / "export"), questionnaires)
                transfer.import_batch(get_site_store(SITE), site, questionnaires, batch, user="bench")
                times.append(time.perf_counter() - started)

    new_instance(work / "cli")
    site_file = work / "cli" / "sites" / f"{SITE}.json"
    first, done = run(["import", "--site", SITE, str(work / "export")], work / "cli")
    ok = done.returncode == 0
    print(done.stdout.strip().splitlines()[-1] if ok else done.stdout + done.stderr)
    before = site_file.read_bytes() if site_file.exists() else b""
    again, done_again = run(["import", "--site", SITE, str(work / "export")], work / "cli")
    unchanged = done_again.returncode == 0 and site_file.read_bytes() == before
    exported, done_export = run(["export", "--site", SITE, "--out", str(work / "export2")], work / "cli")
    identical = done_export.returncode == 0 and all(
        (work / "export" / name).read_bytes() == (work / "export2" / name).read_bytes()
        for name in transfer.FILE_NAMES)

    print()
    print(f"export, in process (median of {runs}):               {median(export_times)}")
    print(f"import into an empty instance, in process ({runs}):   {median(import_times)}")
    print(f"import of the same files again, in process ({runs}):  {median(again_times)}")
    print(f"`flask --app portal import` into an empty instance: {first:.3f} s  (process start-up included)")
    print(f"`flask --app portal import` of the same data again: {again:.3f} s  (nothing new; file untouched: "
          f"{'yes' if unchanged else 'NO'})")
    print(f"`flask --app portal export` of the imported site:   {exported:.3f} s  (files identical to the first "
          f"export: {'yes' if identical else 'NO'})")
    met = ok and first <= GOAL_SECONDS
    print(f"Goal: the import of a year of a busy site in seconds (here: under {GOAL_SECONDS:.0f} s, start-up "
          f"included): {first:.1f} s -> {'PASS' if met else 'FAIL'}")
    return 0 if met and unchanged and identical else 1


if __name__ == "__main__":
    sys.exit(main())
