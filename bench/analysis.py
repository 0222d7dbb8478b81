"""Benchmark of the exports for analysts: ``flask --app portal export --format ...`` (issue 25).

Two data sets, written into a temporary instance folder on the same disk as the project (removed at the end):

- the ten-year site of ``bench/storage.py`` (2,500 men, 5,000 questionnaires, 600 sessions, 15,000 attendance
  marks), its answers replaced by full questionnaires filled from the definitions (``demo.fill``), so that every
  column of every format is written;
- the national data of ``bench/freeze.py --scale 1`` (320 sites, about 25,000 men in five years).

Measured, with the real command run as a person runs it (a new process each time, start-up included): wall time
and peak memory (the command's largest resident set) for each format of the site (csv, xlsx, sav, dta, codebook,
then all of them with --deidentified), and for the national de-identified export (all formats, and each).
Target (issue 25): the national export within 30 s and 500 MB.

Run from the project folder: ``.venv/bin/python bench/analysis.py [--skip-national]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from portal import create_app  # noqa: E402
from portal.db import get_registry  # noqa: E402
from portal.demo import fill  # noqa: E402
from portal.registry import add_site, check_site  # noqa: E402
from portal.storage import serialise, site_path, write_atomically  # noqa: E402

SITE = "SITE"  # bench/storage.py's codes are SITE-<year>-<nnnn>
RUN = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
       "use = resource.getrusage(resource.RUSAGE_CHILDREN); print(use.ru_utime + use.ru_stime, use.ru_maxrss); "
       "sys.stderr.write(done.stderr); sys.exit(done.returncode)")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ten_year_site(instance: Path) -> tuple[int, int]:
    """bench/storage.py's site, with real answers: (men, questionnaires)."""
    storage_bench = _module("storage")
    app = create_app({"INSTANCE_PATH": instance})
    forms = app.extensions["questionnaires"]
    rng = random.Random(storage_bench.SEED)
    tables = storage_bench.build_tables(rng)
    pool = {qid: [fill(form, rng, {"age": "30", "works": "yes", "consent_given": "yes", "eligible": "yes",
                                   "strategy_used": "yes"}, date(2020, 1, 1)) for _ in range(12)]
            for qid, form in forms.items()}
    for response in tables["responses"].values():
        raw = rng.choice(pool[response["questionnaire"]])
        response["answers"] = forms[response["questionnaire"]].validate(raw).answers
    with app.app_context():
        add_site(get_registry(), check_site(SITE, "Sitio de diez años", "09", 24), user="bench")
    site_path(instance, SITE).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(site_path(instance, SITE), serialise(tables))
    return len(tables["participants"]), len(tables["responses"])


def export(instance: Path, out: Path, *options: str) -> tuple[float, float, float]:
    """One export command in a process of its own: (wall seconds, CPU seconds, peak resident MB)."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PORTAL_INSTANCE": str(instance)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN, sys.executable, "-m", "flask", "--app", "portal", "export",
                           "--out", str(out), *options], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"export {' '.join(options)} failed:\n{done.stderr}")
    cpu, rss = done.stdout.split()[-2:]
    return wall, float(cpu), int(rss) / 1024


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def report(label: str, instance: Path, out: Path, *options: str) -> tuple[float, float]:
    wall, cpu, rss = export(instance, out, *options)
    print(f"  {label:<38} {wall:6.1f} s wall  {cpu:6.1f} s CPU  {rss:6.0f} MB peak  {size_mb(out):6.1f} MB written")
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} "
          "(other work on the machine lengthens the wall times; the CPU times move less)")
    work = Path(tempfile.mkdtemp(prefix="bench-analysis-", dir=ROOT / "exports"))
    try:
        instance = work / "site-instance"
        men, responses = ten_year_site(instance)
        print(f"\nten-year site: {men:,} men, {responses:,} questionnaires "
              f"({site_path(instance, SITE).stat().st_size / 1e6:.1f} MB file)")
        for fmt in ("csv", "xlsx", "sav", "dta", "codebook"):
            report(f"--format {fmt}", instance, work / "out", "--site", SITE, "--format", fmt)
        report("--format all", instance, work / "out", "--site", SITE, "--format", "all")
        report("--format all --deidentified", instance, work / "out", "--site", SITE, "--format", "all",
               "--deidentified")
        if args.skip_national:
            return
        freeze_bench = _module("freeze")
        national = work / "national-instance"
        t0 = time.perf_counter()
        men, attendance = freeze_bench.prepare(national, 1)
        print(f"\nnational, bench/freeze.py --scale 1: 320 sites, {men:,} men, {attendance:,} attendance marks "
              f"(prepared in {time.perf_counter() - t0:.0f} s)")
        wall, rss = report("--national (xlsx, sav, dta, codebook)", national, work / "out", "--national")
        print(f"    target: within 30 s and 500 MB: {'PASS' if wall <= 30 and rss <= 500 else 'FAIL'}")
        for fmt in ("xlsx", "sav", "dta", "codebook"):
            report(f"--national --format {fmt}", national, work / "out", "--national", "--format", fmt)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
