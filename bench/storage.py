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
   ``SiteStore`` on the same file; then a check that no submission was lost;
5. reads of an unchanged file (must not parse it) against one cold read.

Run from the project folder:

    .venv/bin/python bench/storage.py [--writers 8] [--per-writer 25] [--processes 4]

Exit status: 0 when the file checks out after the writes (whatever the
timings), 1 when a submission was lost or the file does not parse.
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

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from scratch import scratch_parent  # noqa: E402  (this folder's shared helper)

from portal import storage  # noqa: E402
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


def in_process(path: Path, writers: int, per_writer: int) -> dict:
    store = SiteStore(path)
    store.read()  # a running portal has the file parsed already
    parses0, writes0 = store.parse_count, store.write_count
    barrier = threading.Barrier(writers + 1)
    latencies: list[list[float]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []
    ends: list[float] = []

    def worker(k: int) -> None:
        docs = new_documents(SEED + 100 + k, per_writer)
        out = latencies[k]
        barrier.wait()
        try:
            for doc in docs:
                t0 = time.perf_counter()
                store.write(lambda tx, d=doc: tx.insert("responses", d), user="fac1")
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
# 5. Reads
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

def latency_report(lat: list[float], wall: float, bare: float) -> float:
    p95 = percentile(lat, 95)
    line("submissions", f"{len(lat)}")
    line("latency p50", ms(percentile(lat, 50)))
    line("latency p95", ms(p95))
    line("latency max", ms(max(lat)))
    line("throughput", f"{len(lat) / wall:8.1f} submissions/s  ({wall:.2f} s wall)")
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
        ip = in_process(path, args.writers, args.per_writer)
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

        expected_responses = RESPONSES + n_ip + len(mp["latencies"])
        expected_audit = PARTICIPANTS + RESPONSES + SESSIONS + n_ip + len(mp["latencies"])
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
        print(f"reads of an unchanged file parse it: {rd['after'] - rd['before']} times")
        print(f"(total run {time.perf_counter() - t_start:.1f} s)")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
