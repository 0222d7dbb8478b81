"""Benchmark of portal/storage.py on a site file holding ten years of a busy site.

What it measures (all on one generated file, in a temporary folder on the same
disk as the project, removed at the end):

1. the file: 2,500 participants, 5,000 questionnaire responses, 600 sessions
   carrying 15,000 attendance marks and one ``_audit`` entry per record;
2. the bare cost of one commit: ``storage.serialise`` of the whole content plus
   ``storage.write_atomically`` (temp file, fsync, rename, fsync folder);
3. in-process submissions: one ``SiteStore``, several threads each inserting
   responses at the same time (group commit): latency per submission, p95
   against the bare cost, how many files were written;
4. multi-process submissions: several processes ('spawn'), each with its own
   ``SiteStore`` on the same file;
5. drafts: the same threads each saving the first part of the intake
   (``answering.save_part``) for their own men with no intake response yet, most men
   twice (insert, then update): latency per saved part, p95 against the bare cost;
   then a check that no submission and no draft was lost;
6. corrections: the same threads each correcting (``corrections.correct_response``,
   one audited write) the age in stored intake responses of their own: latency
   per correction beside the submission p95; then a check of the new ages and of
   one "correct" audit entry per correction;
7. reads of an unchanged file (must not parse it) against one cold read.

Run from the project folder:

    .venv/bin/python bench/storage.py [--writers 8] [--per-writer 25] [--processes 4]

Exit status: 0 when the file checks out after the writes (whatever the
timings), 1 when a submission, a draft or a correction was lost or the file
does not parse.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from common import scratch_parent  # noqa: E402  (this folder's shared helper)

from portal import answering, corrections, questionnaires, storage  # noqa: E402
from portal.storage import SiteStore  # noqa: E402

SEED = 20260401
PARTICIPANTS = 2_500
RESPONSES = 5_000
SESSIONS = 600
ATTENDANCE_MARKS = 15_000
YEARS = range(2016, 2026)
GROUPS_PER_YEAR = 6  # 60 groups of about 42 participants, 10 sessions each
BARE_REPEATS = 7
READS = 200
COLD_READS = 5
TARGET_RATIO = 3.0

QUESTIONNAIRES = ["intake", "exit", "facilitator_intake", "facilitator_exit"]
QUESTIONNAIRE_WEIGHTS = [40, 30, 15, 15]
ENTERED_BY = ["self", "facilitator", "paper"]
ENTERED_BY_WEIGHTS = [55, 30, 15]
VENUES = ["health_centre", "community", "online"]
YES_NO = ["yes", "no", "dont_know"]
FREQUENCY = ["never", "rarely", "sometimes", "often", "always"]
TOPICS = ["anger", "jealousy", "alcohol", "parenting", "money", "work", "partner", "family", "health"]
SUPPORT = ["partner", "mother", "friend", "brother", "priest", "facilitator", "nobody"]
TEXTS = [
    "Me siento más tranquilo en casa.",
    "Ya no grito tanto a mis hijos.",
    "Aprendí a respirar antes de contestar.",
    "Mi esposa dice que he cambiado.",
    "Todavía me cuesta hablar de lo que siento.",
    "Quiero seguir viniendo al grupo.",
    "El horario no me acomoda por el trabajo.",
    "Hablé con mi papá después de muchos años.",
    "Me gustó la sesión sobre los celos.",
    "No entendí bien la pregunta anterior.",
    "Tomo menos los fines de semana.",
    "Me ayudó escuchar a los compañeros.",
]


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def line(label: str, value: str) -> None:
    print(f"  {label:<38} {value}")


# --------------------------------------------------------------------------
# 1. The site file
# --------------------------------------------------------------------------

def random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def make_answers(rng: random.Random, questionnaire: str) -> dict:
    answers: dict = {}
    count = rng.randint(25, 30)
    for i in range(1, count + 1):
        key = f"q{i:02d}"
        kind = i % 6
        if kind == 0:
            answers[key] = rng.randint(0, 10)
        elif kind in (1, 3):
            answers[key] = rng.choice(YES_NO)
        elif kind == 2:
            answers[key] = rng.choice(FREQUENCY)
        elif kind == 4:
            answers[key] = rng.randint(1, 5)
        else:
            pool = TOPICS if i % 2 else SUPPORT
            answers[key] = rng.sample(pool, rng.randint(0, 3))
    if questionnaire in ("intake", "facilitator_intake"):
        answers["age"] = rng.randint(18, 70)
        answers["children"] = rng.randint(0, 6)
    if rng.random() < 0.3:
        answers["comments"] = rng.choice(TEXTS)
    return answers


def make_response(rng: random.Random, participant_code: str, submitted_on: date) -> dict:
    questionnaire = rng.choices(QUESTIONNAIRES, QUESTIONNAIRE_WEIGHTS)[0]
    if questionnaire.startswith("facilitator"):
        entered_by = "facilitator"
    else:
        entered_by = rng.choices(ENTERED_BY, ENTERED_BY_WEIGHTS)[0]
    return {
        "participant_code": participant_code,
        "questionnaire": questionnaire,
        "version": "2026.1",
        "submitted_on": submitted_on.isoformat(),
        "entered_by": entered_by,
        "user": None if entered_by == "self" else "fac1",
        "answers": make_answers(rng, questionnaire),
    }


def build_tables(rng: random.Random) -> dict[str, dict[str, dict]]:
    participants: dict[str, dict] = {}
    groups: dict[str, list[str]] = {}
    years = list(YEARS)
    per_year = PARTICIPANTS // len(years)
    n = 0
    for year in years:
        for i in range(1, per_year + 1):
            n += 1
            group = f"{year}-{'ABCDEFGH'[(i - 1) % GROUPS_PER_YEAR]}"
            code = f"SITE-{year}-{i:04d}"
            enrolled = random_day(rng, date(year, 1, 15), date(year, 11, 30))
            status = rng.choices(["active", "completed", "dropped"], [15, 65, 20])[0]
            participants[str(n)] = {
                "code": code,
                "group_code": group,
                "enrolled_on": enrolled.isoformat(),
                "status": status,
            }
            groups.setdefault(group, []).append(code)
    assert n == PARTICIPANTS
    enrolled_on = {p["code"]: date.fromisoformat(p["enrolled_on"]) for p in participants.values()}

    responses: dict[str, dict] = {}
    codes = [p["code"] for p in participants.values()]
    for i in range(1, RESPONSES + 1):
        code = rng.choice(codes)
        start = enrolled_on[code]
        responses[str(i)] = make_response(rng, code, random_day(rng, start, start + timedelta(days=200)))

    # 600 sessions, 10 per group, whose "present" lists add up to exactly 15,000 marks.
    group_codes = sorted(groups)
    per_group = SESSIONS // len(group_codes)
    wanted = [ATTENDANCE_MARKS // SESSIONS] * SESSIONS
    for _ in range(SESSIONS):  # move marks between sessions, keeping the total
        a, b, k = rng.randrange(SESSIONS), rng.randrange(SESSIONS), rng.randint(1, 6)
        if wanted[a] + k <= 38 and wanted[b] - k >= 10:
            wanted[a] += k
            wanted[b] -= k
    sessions: dict[str, dict] = {}
    s = 0
    for group in group_codes:
        members = groups[group]
        year = int(group[:4])
        day = random_day(rng, date(year, 2, 1), date(year, 3, 31))
        for number in range(1, per_group + 1):
            s += 1
            take = min(wanted[s - 1], len(members))
            sessions[str(s)] = {
                "session_id": f"S{s:04d}",
                "group_code": group,
                "number": number,
                "date": day.isoformat(),
                "venue": rng.choice(VENUES),
                "present": sorted(rng.sample(members, take)),
            }
            day += timedelta(days=7)
    assert s == SESSIONS
    marks = sum(len(x["present"]) for x in sessions.values())
    assert marks == ATTENDANCE_MARKS, marks

    audit: dict[str, dict] = {}
    at = datetime(2016, 1, 10, 9, 0, tzinfo=timezone.utc)
    step = (datetime(2026, 3, 1, tzinfo=timezone.utc) - at) / (PARTICIPANTS + RESPONSES + SESSIONS)
    for table, rows in (("participants", participants), ("responses", responses), ("sessions", sessions)):
        for record_id in rows:
            audit[str(len(audit) + 1)] = {
                "at": at.isoformat(timespec="seconds"),
                "user": "fac1",
                "action": "create",
                "table": table,
                "record_id": int(record_id),
            }
            at += step
    return {"participants": participants, "responses": responses, "sessions": sessions, "_audit": audit}


# --------------------------------------------------------------------------
# 2. Bare cost
# --------------------------------------------------------------------------

def bare_cost(path: Path) -> dict:
    tables = storage.parse(path, path.read_bytes())
    scratch = path.with_name("scratch.json")
    ser, wrt, tot = [], [], []
    for _ in range(BARE_REPEATS):
        t0 = time.perf_counter()
        content = storage.serialise(tables)
        t1 = time.perf_counter()
        storage.write_atomically(scratch, content)
        t2 = time.perf_counter()
        ser.append(t1 - t0)
        wrt.append(t2 - t1)
        tot.append(t2 - t0)
    scratch.unlink()
    raw = path.read_bytes()
    parses = []
    for _ in range(3):
        t0 = time.perf_counter()
        storage.parse(path, raw)
        parses.append(time.perf_counter() - t0)
    return {
        "total": statistics.median(tot),
        "serialise": statistics.median(ser),
        "write": statistics.median(wrt),
        "min": min(tot),
        "max": max(tot),
        "parse": statistics.median(parses),
    }


# --------------------------------------------------------------------------
# 3. In-process writers
# --------------------------------------------------------------------------

class Profile:
    """Time spent inside serialise / write_atomically during a run (wrapped)."""

    def __init__(self):
        self.serialise: list[float] = []
        self.write: list[float] = []
        self._orig = (storage.serialise, storage.write_atomically)

    def __enter__(self):
        orig_serialise, orig_write = self._orig

        def serialise(tables, *args):
            t0 = time.perf_counter()
            try:
                return orig_serialise(tables, *args)
            finally:
                self.serialise.append(time.perf_counter() - t0)

        def write_atomically(path, content):
            t0 = time.perf_counter()
            try:
                return orig_write(path, content)
            finally:
                self.write.append(time.perf_counter() - t0)

        storage.serialise, storage.write_atomically = serialise, write_atomically
        return self

    def __exit__(self, *exc):
        storage.serialise, storage.write_atomically = self._orig


def new_documents(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    today = date(2026, 3, 15)
    return [make_response(rng, f"SITE-2025-{rng.randint(1, 250):04d}", today) for _ in range(count)]


Jobs = Callable[[SiteStore, int], list[Callable[[], object]]]  # (store, thread) -> its timed calls


def submissions(per_writer: int) -> Jobs:
    def jobs(store: SiteStore, k: int) -> list[Callable[[], object]]:
        return [lambda d=doc: store.write(lambda tx: tx.insert("responses", d), user="fac1")
                for doc in new_documents(SEED + 100 + k, per_writer)]
    return jobs


def in_process(path: Path, writers: int, jobs: Jobs) -> dict:
    """One SiteStore; thread k runs the calls ``jobs(store, k)`` one after the other."""
    store = SiteStore(path)
    store.read()  # a running portal has the file parsed already
    parses0, writes0 = store.parse_count, store.write_count
    barrier = threading.Barrier(writers + 1)
    latencies: list[list[float]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []
    ends: list[float] = []

    def worker(k: int) -> None:
        todo = jobs(store, k)
        out = latencies[k]
        barrier.wait()
        try:
            for job in todo:
                t0 = time.perf_counter()
                job()
                out.append(time.perf_counter() - t0)
        except BaseException as exc:  # reported below
            errors.append(exc)
        ends.append(time.perf_counter())

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    with Profile() as prof:
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    flat = [x for per in latencies for x in per]
    result = {
        "latencies": flat,
        "wall": max(ends) - start,
        "first_done": min(ends) - start,
        "writes": store.write_count - writes0,
        "parses": store.parse_count - parses0,
        "serialise": prof.serialise,
        "write": prof.write,
    }
    store.close()
    return result


# --------------------------------------------------------------------------
# 4. Multi-process writers
# --------------------------------------------------------------------------

def process_writer(path: str, k: int, per_writer: int, barrier, results) -> None:
    try:
        store = SiteStore(path)
        store.read()
        docs = new_documents(SEED + 1000 + k, per_writer)
        parses0 = store.parse_count
        barrier.wait()
        lat = []
        for doc in docs:
            t0 = time.perf_counter()
            store.write(lambda tx, d=doc: tx.insert("responses", d), user=f"proc{k}")
            lat.append(time.perf_counter() - t0)
        results.put({"k": k, "latencies": lat, "end": time.time(), "writes": store.write_count,
                     "parses": store.parse_count - parses0})
        store.close()
    except BaseException as exc:
        results.put({"k": k, "error": f"{type(exc).__name__}: {exc}"})
        raise


def multi_process(path: Path, processes: int, per_writer: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=process_writer, args=(str(path), k, per_writer, barrier, results))
        for k in range(processes)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start = time.time()
    got = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    failed = [g["error"] for g in got if "error" in g]
    if failed:
        raise SystemExit(f"FAIL: a writer process failed: {failed[0]}")
    return {
        "latencies": [x for g in got for x in g["latencies"]],
        "wall": max(g["end"] for g in got) - start,
        "writes": sum(g["writes"] for g in got),
        "parses": sum(g["parses"] for g in got),
        "firsts": sorted(g["latencies"][0] for g in got if g["latencies"]),
    }


# --------------------------------------------------------------------------
# 5. Drafts
# --------------------------------------------------------------------------

def intake_and_tables(path: Path) -> tuple[questionnaires.Questionnaire, dict[str, dict[str, dict]]]:
    return questionnaires.load_all(PROJECT_ROOT / "forms")["intake"], storage.parse(path, path.read_bytes())


def draft_saves(path: Path, writers: int, per_writer: int) -> tuple[Jobs, set[str]]:
    """Thread k saves the intake's first part (index 0) ``per_writer`` times for its own men.

    Each thread cycles over (per_writer + 1) // 2 men: a first save inserts a draft, a second
    updates it. Returns the jobs and the codes of the men whose draft must then be in the file.
    """
    intake, tables = intake_and_tables(path)
    # Valid answers (no message to translate): first choice everywhere; works "yes" shows occupation_type.
    page = {"age": "35", **{q.name: q.choice_names[0] for q in intake.pages[0].questions if q.choices}}
    responses = tables["responses"].values()
    answered = {r["participant_code"] for r in responses if r["questionnaire"] == intake.id}
    fresh = [p["code"] for p in tables["participants"].values() if p["code"] not in answered]
    men = [fresh[k::writers][: (per_writer + 1) // 2] for k in range(writers)]
    today = date(2026, 3, 15)

    def save(store: SiteStore, code: str) -> None:
        shown = answering.save_part(store, intake, code, 0, page, False, today)
        if shown <= 0:  # kept on the first part, or sent: not the save measured here
            raise RuntimeError(f"first part of {code}: save_part returned {shown}")

    def jobs(store: SiteStore, k: int) -> list[Callable[[], object]]:
        return [lambda c=men[k][i % len(men[k])]: save(store, c) for i in range(per_writer)]
    return jobs, {c for own in men for c in own}


# --------------------------------------------------------------------------
# 6. Corrections
# --------------------------------------------------------------------------

def correction_jobs(path: Path, writers: int, per_writer: int) -> tuple[Jobs, dict[int, int], int]:
    """Thread k corrects the age in ``per_writer`` generated intake responses of its own.

    Only responses dated on or after the man's enrolment qualify (``correct_response`` refuses
    the others). Returns the jobs, the new age per response id, and how many were left out.
    """
    intake, tables = intake_and_tables(path)
    enrolled = {p["code"]: p["enrolled_on"] for p in tables["participants"].values()}
    generated = [(int(k), r) for k, r in tables["responses"].items()
                 if int(k) <= RESPONSES and r["questionnaire"] == intake.id]
    usable = [(i, r) for i, r in generated if r["submitted_on"] >= enrolled[r["participant_code"]]]
    own = [usable[k::writers][:per_writer] for k in range(writers)]
    if any(len(o) < per_writer for o in own):
        raise SystemExit(f"FAIL: only {len(usable)} usable intake responses for {writers} x {per_writer} corrections")
    ages = {i: r["answers"]["age"] + 1 if r["answers"]["age"] < 99 else 15 for o in own for i, r in o}

    def jobs(store: SiteStore, k: int) -> list[Callable[[], object]]:
        return [lambda i=i, r=r: corrections.correct_response(
                    store, intake, i, {**r["answers"], "age": ages[i]}, date.fromisoformat(r["submitted_on"]),
                    "age typed wrong on paper", "fac1")
                for i, r in own[k]]
    return jobs, ages, len(generated) - len(usable)


# --------------------------------------------------------------------------
# 7. Reads
# --------------------------------------------------------------------------

def reads(path: Path) -> dict:
    store = SiteStore(path)
    store.read()  # parses once
    before = store.parse_count
    t0 = time.perf_counter()
    for _ in range(READS):
        store.read().count("participants")
    warm = (time.perf_counter() - t0) / READS
    after = store.parse_count
    store.close()
    cold = []
    for _ in range(COLD_READS):
        fresh = SiteStore(path)
        t0 = time.perf_counter()
        fresh.read().count("participants")
        cold.append(time.perf_counter() - t0)
        fresh.close()
    return {"warm": warm, "before": before, "after": after, "cold": statistics.median(cold)}


# --------------------------------------------------------------------------

def latency_report(lat: list[float], wall: float, bare: float, what: str = "submissions") -> float:
    p95 = percentile(lat, 95)
    line(what, f"{len(lat)}")
    line("latency p50", ms(percentile(lat, 50)))
    line("latency p95", ms(p95))
    line("latency max", ms(max(lat)))
    line("throughput", f"{len(lat) / wall:8.1f} {what}/s  ({wall:.2f} s wall)")
    line("p95 / bare", f"{p95 / bare:8.2f}")
    return p95 / bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8, help="threads in one process (default 8)")
    parser.add_argument("--per-writer", type=int, default=25, help="submissions per writer (default 25)")
    parser.add_argument("--processes", type=int, default=4, help="writer processes (default 4)")
    args = parser.parse_args()

    t_start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench-storage-", dir=scratch_parent()))
    try:
        path = folder / "SITE.json"
        rng = random.Random(SEED)
        t0 = time.perf_counter()
        tables = build_tables(rng)
        storage.write_atomically(path, storage.serialise(tables))
        build = time.perf_counter() - t0
        size = path.stat().st_size
        counts = {name: len(rows) for name, rows in tables.items()}
        marks = sum(len(s["present"]) for s in tables["sessions"].values())
        del tables

        print(f"bench/storage.py - {os.cpu_count()} CPUs, site file {size / 1e6:.2f} MB "
              f"({size:,} bytes), Python {platform.python_version()}, {platform.machine()}")
        print(f"file: {folder} ({platform.system()} {platform.release()})")
        print(f"content: {counts['participants']:,} participants, {counts['responses']:,} responses, "
              f"{counts['sessions']:,} sessions with {marks:,} attendance marks, "
              f"{counts['_audit']:,} audit entries (built in {build:.1f} s)")

        print("\nbare cost of one commit (median of %d)" % BARE_REPEATS)
        bare = bare_cost(path)
        line("serialise", ms(bare["serialise"]))
        line("write_atomically (write+fsync+rename)", ms(bare["write"]))
        line("bare serialise+fsync", ms(bare["total"]) + f"   (min {bare['min'] * 1000:.1f}, "
             f"max {bare['max'] * 1000:.1f} ms)")
        line("parse (for reference, not in bare)", ms(bare["parse"]))

        print(f"\nin-process: 1 SiteStore, {args.writers} threads x {args.per_writer} submissions")
        ip = in_process(path, args.writers, submissions(args.per_writer))
        ratio = latency_report(ip["latencies"], ip["wall"], bare["total"])
        n_ip = len(ip["latencies"])
        line("file writes / submissions", f"{ip['writes']} / {n_ip}  "
             f"({n_ip / max(ip['writes'], 1):.1f} submissions per write)")
        line("threads finished after", f"{ip['first_done']:.2f} s (first) .. {ip['wall']:.2f} s (last)")
        line("max / bare", f"{max(ip['latencies']) / bare['total']:8.1f}")
        line("parses during the run", f"{ip['parses']}")
        if ip["serialise"]:
            line("in commits: serialise mean", ms(statistics.mean(ip["serialise"])))
            line("in commits: write_atomically mean", ms(statistics.mean(ip["write"])))
            busy = sum(ip["serialise"]) + sum(ip["write"])
            line("serialise+write share of wall", f"{100 * busy / ip['wall']:8.0f} %")

        print(f"\nmulti-process: {args.processes} processes ('spawn'), each its own SiteStore, "
              f"x {args.per_writer} submissions")
        mp = multi_process(path, args.processes, args.per_writer)
        mp_ratio = latency_report(mp["latencies"], mp["wall"], bare["total"])
        line("file writes / submissions", f"{mp['writes']} / {len(mp['latencies'])}")
        line("parses during the run (all processes)", f"{mp['parses']}")
        line("first submission of each process", ", ".join(f"{x:.2f}" for x in mp["firsts"]) + " s")

        print(f"\ndrafts: 1 SiteStore, {args.writers} threads x {args.per_writer} saves of the intake's "
              f"first part (answering.save_part)")
        jobs, saved = draft_saves(path, args.writers, args.per_writer)
        dr = in_process(path, args.writers, jobs)
        latency_report(dr["latencies"], dr["wall"], bare["total"], "part saves")
        line("file writes / part saves", f"{dr['writes']} / {len(dr['latencies'])}  "
             f"({len(saved)} men: first save inserts, second updates)")
        line("max / bare", f"{max(dr['latencies']) / bare['total']:8.1f}")
        line("parses during the run", f"{dr['parses']}")

        print(f"\ncorrections: 1 SiteStore, {args.writers} threads x {args.per_writer} corrections of a stored "
              f"intake (corrections.correct_response, age changed)")
        jobs, ages, skipped = correction_jobs(path, args.writers, args.per_writer)
        co = in_process(path, args.writers, jobs)
        latency_report(co["latencies"], co["wall"], bare["total"], "corrections")
        line("file writes / corrections", f"{co['writes']} / {len(co['latencies'])}")
        line("max / bare", f"{max(co['latencies']) / bare['total']:8.1f}")
        line("parses during the run", f"{co['parses']}")
        line("intakes dated before enrolment", f"{skipped} (left out)")
        compare = (f"correction p95 {percentile(co['latencies'], 95) * 1000:.1f} ms vs submission p95 "
                   f"{percentile(ip['latencies'], 95) * 1000:.1f} ms")
        line("p95 beside submissions", compare)

        expected_responses = RESPONSES + n_ip + len(mp["latencies"])
        expected_audit = PARTICIPANTS + RESPONSES + SESSIONS + n_ip + len(mp["latencies"]) + len(ages)
        try:
            data = storage.parse(path, path.read_bytes())
        except storage.CorruptStoreError as exc:
            print(f"\nFAIL: the file does not parse after the writes: {exc}")
            return 1
        got_responses, got_audit = len(data.get("responses", {})), len(data.get("_audit", {}))
        ids = sorted(int(k) for k in data.get("responses", {}))
        if (got_responses, got_audit) != (expected_responses, expected_audit) or ids != list(
            range(1, expected_responses + 1)
        ):
            print(f"\nFAIL: expected {expected_responses} responses / {expected_audit} audit entries, "
                  f"file holds {got_responses} / {got_audit} (ids 1..{ids[-1] if ids else 0})")
            return 1
        print(f"  check: file parses, {got_responses:,} responses (= {RESPONSES:,} + {n_ip} + "
              f"{len(mp['latencies'])}), {got_audit:,} audit entries: OK")
        kept = data.get("drafts", {}).values()
        if len(kept) != len(saved) or {d["participant_code"] for d in kept} != saved:
            print(f"\nFAIL: {len(saved)} men saved a part, the file holds {len(kept)} drafts "
                  f"({len(saved - {d['participant_code'] for d in kept})} of them missing)")
            return 1
        print(f"  check: {len(kept)} drafts, one per man who saved a part (none in the audit): OK")
        wrong = [i for i, age in ages.items() if data["responses"][str(i)]["answers"].get("age") != age]
        corrected = [e for e in data["_audit"].values() if e.get("action") == "correct"]
        steps = sorted(s["record_id"] for e in corrected for s in e.get("steps", []))
        if wrong or len(corrected) != len(ages) or steps != sorted(ages):
            print(f"\nFAIL: {len(ages)} corrections: {len(wrong)} responses without their new age, "
                  f"{len(corrected)} 'correct' audit entries, {len(steps)} steps")
            return 1
        print(f"  check: {len(ages)} corrected responses hold their new age, {len(corrected)} 'correct' "
              f"audit entries (one per correction): OK")
        del data
        final_size = path.stat().st_size

        print(f"\nreads of an unchanged file ({final_size / 1e6:.2f} MB now)")
        rd = reads(path)
        line(f"store.read().count() x {READS}, mean", f"{rd['warm'] * 1e6:8.1f} µs per read")
        line("parse_count before / after", f"{rd['before']} / {rd['after']}")
        line("cold read (fresh SiteStore, parses)", ms(rd["cold"]) + f"  (median of {COLD_READS})")
        line("cold / warm", f"{rd['cold'] / rd['warm']:8.0f} x")

        print()
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        print(f"target: in-process p95/bare <= {TARGET_RATIO:g}: {verdict} ({ratio:.2f}; "
              f"multi-process {mp_ratio:.2f}, not a target)")
        print(compare)
        print(f"reads of an unchanged file parse it: {rd['after'] - rd['before']} times")
        print(f"(total run {time.perf_counter() - t_start:.1f} s)")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
