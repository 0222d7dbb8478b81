"""Benchmark of the monthly monitoring sheets (PDF, WeasyPrint): one sheet, then every site of a country.

What it measures, on a temporary instance folder on the same disk as the
project (removed at the end). The data set is the demo year 2010 of
``portal/demo.py`` (``build_year``: 19 sites of about 66 men each, four groups
of weekly sessions starting in January, March, May and July), copied to
STATES x SITES_PER_STATE new sites ``S01-01`` .. ``S32-10`` in states 01..32:
site number i holds the records of demo site i mod 19, with every participant
code rewritten to start with the new site code (participants, the ``present``
list of each session, responses). Each site is added with ``add_site`` and its
records are written with one ``SiteStore.write``, as ``flask --app portal demo``
does. Every site therefore has a whole year of history and activity in the
month measured (by default 2010-05, the busiest month of the demo year: three
groups hold sessions).

1. One site-month. The busiest of the first 19 sites in the month (the most
   men in the attendance grid) is picked. In a fresh process (spawn) that
   opens only that site, as ``sheets --site CODE`` does (the process that built
   the data set keeps all 320 sites parsed in memory, and Python's full
   garbage collections over them, about 0.35 s each, would land at random in
   the timings), after one warm-up, RUNS times, in alternating order:
   a. the sheet: ``sheet_pdf(site, store.read(), month)`` with the store's
      parsed cache dropped first (``SiteStore.close``), so it includes reading
      the site file, as the ``sheets`` command does for each site: reading,
      indicators, template, WeasyPrint;
   b. WeasyPrint alone on the same final HTML: ``html_to_pdf(html)`` with
      ``html = render_sheet_html(...)`` made outside the timed part.
   Medians (min..max); target: a/b at most 1.3. A breakdown of the sheet's
   time follows (medians of RUNS more runs): cold read, ``sheet_context``,
   template, and WeasyPrint split into HTML parsing, ``render()`` (styles and
   layout) and ``write_pdf()`` (drawing and PDF), with the ratio those same
   runs give (less noisy than a/b). Page count with ``pdfinfo``. CPU taken by
   other processes meanwhile is printed: on a shared machine the figures are
   noisy.
2. The national run. The real command, as a person runs it, timed end to end
   (process start-up included):
       python -m flask --app portal sheets --month M --out DIR
   with ``PORTAL_INSTANCE`` set to the temporary instance, from the project
   folder. It uses 2 forked workers (portal/forked.py). Reported: wall time,
   CPU seconds of the command and its workers (``getrusage`` of the children)
   and so the average number of busy cores, the machine-wide busy share and
   the CPU other processes took (``/proc/stat``), when the first PDF appeared,
   the time per sheet in each quarter of the run, and the most memory (RSS)
   and open file descriptors seen in one worker (sampled every 0.25 s).
   Every PDF is checked (non-empty, starts with ``%PDF``) and ``pdfinfo`` pages
   are summed. Target: every sheet within 90 s.
3. PASS/FAIL for both targets.

Run from the project folder (about 1.5 minutes on 2 idle cores):

    .venv/bin/python bench/sheets.py [--states 32] [--sites-per-state 10] [--month 2010-05] [--runs 5]

Exit status: 0 when both targets are met, 1 when one is not, 2 when the
command failed or a PDF is missing or invalid.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from common import scratch_parent  # noqa: E402  (this folder's shared helper)
from flask import render_template  # noqa: E402
from flask_babel import force_locale  # noqa: E402

from portal import create_app, documents  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.demo import DEMO_SITES, build_year, insert_all  # noqa: E402
from portal.registry import add_site, check_site, get_site  # noqa: E402
from portal.sheets import render_sheet_html, sheet_context, sheet_filename, sheet_pdf  # noqa: E402
from portal.states import STATES  # noqa: E402

RATIO_TARGET = 1.3
NATIONAL_TARGET_SECONDS = 90.0
DEMO_YEAR = "2010"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def line(label: str, value: str) -> None:
    print(f"  {label:<52} {value}")


def spread(values: list[float]) -> str:
    return f"{ms(statistics.median(values))}   ({min(values) * 1000:.0f}..{max(values) * 1000:.0f} ms)"


def pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def proc_stat() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def machine_busy_seconds() -> float:
    """CPU seconds spent (not idle) by the whole machine since boot, all CPUs together."""
    return proc_stat()[0] / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def rss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------
# the data set
# --------------------------------------------------------------------------

def national_sites(states: int, per_state: int) -> list[tuple[str, str, str, int, str]]:
    """(code, name, state, sessions, demo site it copies) for every site."""
    out = []
    for s in range(1, states + 1):
        state = f"{s:02d}"
        for k in range(1, per_state + 1):
            source, _name, _state, n = DEMO_SITES[len(out) % len(DEMO_SITES)]
            out.append((f"S{state}-{k:02d}", f"Centro de Salud {k:02d}, {STATES[state]}", state, n, source))
    return out


def relabel(records: dict, source: str, code: str) -> dict:
    """A deep copy of a demo site's records whose participant codes start with ``code``.

    Participant codes are ``<SITE>-2010-NNNN`` and appear as whole JSON strings
    (participants, sessions' ``present``, responses' ``participant_code``).
    """
    text = json.dumps(records, ensure_ascii=False)
    return json.loads(text.replace(f'"{source}-{DEMO_YEAR}-', f'"{code}-{DEMO_YEAR}-'))


def build_instance(app, sites) -> dict:
    year = build_year(app.extensions["questionnaires"])
    men = 0
    with app.app_context():
        registry = get_registry()
        for code, name, state, n, source in sites:
            records = relabel(year[source], source, code)
            men += len(records["participants"])
            add_site(registry, check_site(code, name, state, n), user="bench")
            get_site_store(code).write(lambda tx, r=records: insert_all(tx, r), user="bench")
    return {"men": men}


# --------------------------------------------------------------------------
# 1. one site-month
# --------------------------------------------------------------------------

def pick_site(app, sites, month: str) -> tuple[str, dict]:
    """The busiest of the first 19 sites (one per demo site): most men in the month's grid."""
    best = None
    with app.app_context():
        for code, *_rest in sites[:len(DEMO_SITES)]:
            site = get_site(get_registry(), code)
            ctx = sheet_context(site, get_site_store(code).read(), month)
            shape = {"groups": len(ctx["grid"]), "sessions": sum(len(b["sessions"]) for b in ctx["grid"]),
                     "rows": sum(len(b["rows"]) for b in ctx["grid"]),
                     "cells": sum(len(b["rows"]) * len(b["sessions"]) for b in ctx["grid"]),
                     "men": get_site_store(code).read().count("participants"), "enrolled": ctx["ind"]["enrolled"],
                     "per_group": ", ".join(f"{b['group']}: {len(b['sessions'])} sessions x {len(b['rows'])} men"
                                            for b in ctx["grid"])}
            key = (shape["rows"], shape["cells"], shape["groups"])
            if best is None or key > best[0]:
                best = (key, code, shape)
    return best[1], best[2]


def one_site(instance: str, code: str, month: str, runs: int, folder: str) -> dict:
    """Runs in a fresh process (spawn) that opens only this site, like ``sheets --site CODE``.

    Measuring in the process that built the data set would be wrong: it keeps
    every site's parsed content cached, and Python's full garbage collections
    over those objects (about 0.35 s at 320 sites) land at random in the runs.
    """
    from weasyprint import HTML

    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        store = get_site_store(code)
        site = get_site(get_registry(), code)

        def sheet() -> tuple[float, bytes]:
            store.close()  # drop the parsed cache: the command reads each site's file once
            t0 = time.perf_counter()
            pdf = sheet_pdf(site, store.read(), month)
            return time.perf_counter() - t0, pdf

        def weasy_only() -> tuple[float, bytes, str]:
            html = render_sheet_html(site, store.read(), month)
            t0 = time.perf_counter()
            pdf = documents.html_to_pdf(html)
            return time.perf_counter() - t0, pdf, html

        t0 = time.perf_counter()
        sheet()
        weasy_only()
        warm_up = time.perf_counter() - t0
        busy0, own0, wall0 = machine_busy_seconds(), time.process_time(), time.perf_counter()
        sheet_times, weasy_times = [], []
        for i in range(runs):
            if i % 2 == 0:
                a, pdf = sheet()
                b, pdf_w, html = weasy_only()
            else:
                b, pdf_w, html = weasy_only()
                a, pdf = sheet()
            sheet_times.append(a)
            weasy_times.append(b)
        wall = time.perf_counter() - wall0
        others = max(0.0, machine_busy_seconds() - busy0 - (time.process_time() - own0))

        # where the sheet's time goes (separate runs, same steps as sheet_pdf)
        parts: dict[str, list[float]] = {k: [] for k in ("read", "context", "template", "parse", "layout", "pdf")}
        for _ in range(runs):
            store.close()
            t0 = time.perf_counter()
            snapshot = store.read()
            t1 = time.perf_counter()
            ctx = sheet_context(site, snapshot, month)
            t2 = time.perf_counter()
            with force_locale("es"):
                page = render_template("sheets/monthly.html", **ctx)
            t3 = time.perf_counter()
            document = HTML(string=page, base_url=str(documents.STATIC) + "/")
            t4 = time.perf_counter()
            rendered = document.render()
            t5 = time.perf_counter()
            rendered.write_pdf()
            t6 = time.perf_counter()
            for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                parts[key].append(value)

    path = Path(folder) / sheet_filename(code, month)
    path.write_bytes(pdf)
    path_w = path.with_name("weasyprint-only-" + path.name)
    path_w.write_bytes(pdf_w)
    return {"sheet": sheet_times, "weasy": weasy_times, "warm_up": warm_up, "parts": parts,
            "others": others, "others_wall": wall,
            "pages": pdf_pages(path), "pages_w": pdf_pages(path_w), "bytes": len(pdf), "html_bytes": len(html.encode())}


# --------------------------------------------------------------------------
# 2. the national run
# --------------------------------------------------------------------------

def national_run(instance: Path, month: str, out: Path, expected: int) -> dict:
    env = dict(os.environ, PORTAL_INSTANCE=str(instance))
    cmd = [sys.executable, "-m", "flask", "--app", "portal", "sheets", "--month", month, "--out", str(out)]
    cpu0, (busy0, total0) = children_cpu(), proc_stat()
    busy_s0, own0 = machine_busy_seconds(), time.process_time()
    timeline = []  # (seconds since start, PDFs present)
    fds, rss = 0, 0.0  # most file descriptors and memory seen in one worker
    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        while proc.poll() is None:
            time.sleep(0.25)
            for pid in child_pids(proc.pid):
                fds, rss = max(fds, open_fds(pid)), max(rss, rss_mb(pid))
            if out.is_dir():
                timeline.append((time.perf_counter() - t0, sum(1 for p in os.scandir(out)
                                                               if p.name.endswith(".pdf"))))
        wall = time.perf_counter() - t0
        log.seek(0)
        output = log.read()
    cpu = children_cpu() - cpu0
    busy1, total1 = proc_stat()
    others = max(0.0, machine_busy_seconds() - busy_s0 - cpu - (time.process_time() - own0))
    first = next((t for t, n in timeline if n > 0), None)
    half = next((t for t, n in timeline if n >= expected // 2), None)
    quarters = [next((t for t, n in timeline if n >= expected * q // 4), wall) for q in (1, 2, 3)] + [wall]
    return {"wall": wall, "cpu": cpu, "returncode": proc.returncode, "output": output.strip(),
            "machine_busy": (busy1 - busy0) / max(1, total1 - total0), "first": first, "half": half,
            "quarters": quarters, "others": others, "cmd": cmd, "fds": fds, "rss": rss}


def check_pdfs(out: Path, codes: list[str], month: str) -> dict:
    missing, bad, paths = [], [], []
    for code in codes:
        path = out / sheet_filename(code, month)
        if not path.is_file():
            missing.append(code)
            continue
        with path.open("rb") as fh:
            head = fh.read(5)
        if path.stat().st_size == 0 or not head.startswith(b"%PDF"):
            bad.append(code)
        else:
            paths.append(path)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pages = list(pool.map(pdf_pages, paths))
    return {"written": len(list(out.glob("*.pdf"))), "ok": len(paths), "missing": missing, "bad": bad,
            "pages": pages, "pdfinfo_s": time.perf_counter() - t0,
            "bytes": sum(p.stat().st_size for p in paths)}


# --------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=32, help="states, 1 to 32 (default 32)")
    parser.add_argument("--sites-per-state", type=int, default=10, help="sites in each state, 1 to 99 (default 10)")
    parser.add_argument("--month", default=f"{DEMO_YEAR}-05",
                        help="a month of the demo year, YYYY-MM (default 2010-05)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs for the one-site figures (default 5)")
    args = parser.parse_args()
    if not 1 <= args.states <= 32 or not 1 <= args.sites_per_state <= 99 or args.runs < 1:
        parser.error("--states must be 1..32, --sites-per-state 1..99, --runs at least 1")
    if not re.fullmatch(rf"{DEMO_YEAR}-(0[1-9]|1[0-2])", args.month):
        parser.error(f"--month must be a month of the demo year {DEMO_YEAR} (YYYY-MM)")

    import weasyprint

    t_start = time.perf_counter()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"bench/sheets.py - {os.cpu_count()} CPUs ({affinity} usable), {cpu_model()}")
    print(f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
          f"{platform.system()} {platform.release()}, load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    folder = Path(tempfile.mkdtemp(prefix="bench-sheets-", dir=scratch_parent()))
    try:
        instance, out, single = folder / "instance", folder / "sheets", folder / "one"
        single.mkdir()
        sites = national_sites(args.states, args.sites_per_state)
        t0 = time.perf_counter()
        app = create_app({"INSTANCE_PATH": str(instance)})
        built = build_instance(app, sites)
        build = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (instance / "sites").glob("*.json"))
        print(f"instance: {instance}")
        print(f"data set: {len(sites)} sites ({args.states} states x {args.sites_per_state}), "
              f"{built['men']:,} men, demo year {DEMO_YEAR} copied from {len(DEMO_SITES)} demo sites; "
              f"{size / 1e6:.1f} MB of site files; built in {build:.1f} s (not timed below)")

        # 1 ---------------------------------------------------------------
        code, shape = pick_site(app, sites, args.month)
        print(f"\n1. one site-month: {code} (copy of {next(s[4] for s in sites if s[0] == code)}), {args.month}; "
              f"median of {args.runs} runs after one warm-up, "
              f"in a fresh process")
        line("site", f"{shape['men']} men on file, {shape['enrolled']} enrolled in the month")
        line("attendance grid", f"{shape['groups']} groups, {shape['sessions']} sessions, {shape['rows']} rows, "
             f"{shape['cells']} cells")
        line("", shape["per_group"])
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            one = pool.apply(one_site, (str(instance), code, args.month, args.runs, str(single)))
        sheet_med, weasy_med = statistics.median(one["sheet"]), statistics.median(one["weasy"])
        ratio = sheet_med / weasy_med
        line("a. sheet_pdf (cold read + context + template + PDF)", spread(one["sheet"]))
        line("b. html_to_pdf alone on the same HTML", spread(one["weasy"]))
        line("ratio a/b (medians)", f"{ratio:8.2f}    (target <= {RATIO_TARGET})")
        line("per run a", ", ".join(f"{x * 1000:.0f}" for x in one["sheet"]) + " ms")
        line("per run b", ", ".join(f"{x * 1000:.0f}" for x in one["weasy"]) + " ms")
        line("warm-up (first a + b in this process)", ms(one["warm_up"]))
        line("other processes' CPU during the timed runs", f"{one['others']:8.1f} s in {one['others_wall']:.1f} s "
             f"= {one['others'] / one['others_wall']:.2f} cores"
             + ("   (machine shared: figures are noisy)" if one["others"] / one["others_wall"] > 0.1 else ""))
        line("PDF", f"{one['pages']} pages (pdfinfo), {one['bytes'] / 1000:.0f} KB; "
             f"HTML {one['html_bytes'] / 1000:.0f} KB"
             + ("" if one["pages"] == one["pages_w"] else f"; WeasyPrint-only PDF has {one['pages_w']} pages!"))
        parts = {k: statistics.median(v) for k, v in one["parts"].items()}
        total = sum(parts.values())
        print(f"  where the sheet's time goes (medians of {args.runs} more runs, sum {total * 1000:.0f} ms):")
        for key, label in (("read", "read the site file (parse JSON)"),
                           ("context", "sheet_context (indicators, grid, chart)"),
                           ("template", "render the Jinja template"), ("parse", "WeasyPrint: HTML() (parse HTML)"),
                           ("layout", "WeasyPrint: render() (CSS + layout)"),
                           ("pdf", "WeasyPrint: write_pdf() (draw + PDF)")):
            line("  " + label, f"{ms(parts[key])}  {100 * parts[key] / total:5.1f} %")
        portal_share = parts["read"] + parts["context"] + parts["template"]
        line("  portal's own code (read + context + template)", f"{ms(portal_share)}  "
             f"{100 * portal_share / total:5.1f} %")
        weasy_share = parts["parse"] + parts["layout"] + parts["pdf"]
        line("  ratio from these runs: sum / WeasyPrint parts", f"{total / weasy_share:8.3f}    (less noisy than a/b: "
             "same runs)")

        # 2 ---------------------------------------------------------------
        codes = [s[0] for s in sites]
        print(f"\n2. national run: every site's sheet for {args.month}, the real command, timed end to end")
        print("  $ PORTAL_INSTANCE=<instance> " + " ".join(
            ["python" if a == sys.executable else a for a in
             [sys.executable, "-m", "flask", "--app", "portal", "sheets", "--month", args.month, "--out", "<dir>"]]))
        run = national_run(instance, args.month, out, len(codes))
        if run["returncode"] != 0:
            print(f"  FAIL: the command exited with {run['returncode']}:\n{run['output']}")
            return 2
        checked = check_pdfs(out, codes, args.month)
        last_line = run["output"].splitlines()[-1] if run["output"] else ""
        line("command said", last_line)
        line("wall time", f"{run['wall']:8.1f} s    (target <= {NATIONAL_TARGET_SECONDS:g} s)")
        line("per sheet (wall / sheets)", ms(run["wall"] / len(codes)))
        line("CPU of the command and its workers", f"{run['cpu']:8.1f} s  = {run['cpu'] / run['wall']:.2f} cores busy "
             f"on average (of {affinity})")
        line("CPU per sheet", ms(run["cpu"] / len(codes)))
        line("machine-wide busy during the run", f"{100 * run['machine_busy']:8.0f} %  (all processes, "
             f"{os.cpu_count()} CPUs)")
        line("other processes' CPU during the run", f"{run['others']:8.1f} s = {run['others'] / run['wall']:.2f} "
             f"cores taken from the command" + ("   (machine shared: the wall time is pessimistic)"
                                              if run["others"] / run["wall"] > 0.1 else ""))
        q = run["quarters"]
        line("sheets done at 25 / 50 / 75 / 100 %", " / ".join(f"{t:.1f}" for t in q) + " s")
        quarter = len(codes) / 4
        line("wall per sheet in each quarter", " / ".join(
            f"{1000 * (t - (q[i - 1] if i else 0)) / quarter:.0f}" for i, t in enumerate(q)) + " ms  "
             "(the first includes start-up)")
        if run["first"] is not None:
            line("first PDF on disk after", f"{run['first']:8.1f} s  (start-up, app, pool, first sheet)")
            if run["half"] is not None:
                rate = (len(codes) // 2) / max(1e-9, run["half"] - run["first"])
                line("steady rate (first PDF .. half of them)", f"{rate:8.2f} sheets/s = "
                     f"{1000 / rate:.0f} ms per sheet")
        line("one worker at most: memory (RSS) / open fds", f"{run['rss']:8.0f} MB / {run['fds']}  "
             f"(sampled every 0.25 s)")
        line("PDFs written / expected", f"{checked['written']} / {len(codes)}")
        line("non-empty, starting with %PDF", f"{checked['ok']}")
        if checked["missing"] or checked["bad"]:
            print(f"  FAIL: missing {checked['missing'][:10]} bad {checked['bad'][:10]}")
            return 2
        pages = checked["pages"]
        line("pages (pdfinfo, every PDF)", f"{sum(pages):,} in all, {min(pages)}..{max(pages)} per sheet, "
             f"median {statistics.median(pages):g}  (pdfinfo took {checked['pdfinfo_s']:.1f} s)")
        line("size", f"{checked['bytes'] / 1e6:.1f} MB in all")
        line("load average after", " ".join(f"{x:.2f}" for x in os.getloadavg()))

        # 3 ---------------------------------------------------------------
        ok_ratio = ratio <= RATIO_TARGET
        ok_national = run["wall"] <= NATIONAL_TARGET_SECONDS
        print()
        print(f"{'PASS' if ok_ratio else 'FAIL'}: one sheet / WeasyPrint alone = {ratio:.2f} "
              f"(target <= {RATIO_TARGET}; {sheet_med * 1000:.0f} ms / {weasy_med * 1000:.0f} ms)")
        print(f"{'PASS' if ok_national else 'FAIL'}: {len(codes)} sheets in {run['wall']:.1f} s "
              f"(target <= {NATIONAL_TARGET_SECONDS:g} s; {run['cpu'] / run['wall']:.2f} cores busy)")
        print(f"(total run {time.perf_counter() - t_start:.0f} s)")
        return 0 if ok_ratio and ok_national else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
