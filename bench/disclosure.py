"""Benchmark of the summary's protection of small counts (cell-key perturbation, ``portal/disclosure.py``).

For crafted tiny programmes (four sites in three states, one of 3 men: ``tests/scenarios.py``), the demo (19 sites,
2010) and the national scale of ``bench/freeze.py`` (``--scale 1``: 320 sites, five years; its data generator is
imported, not copied), prints:

- how many true counts from 1 to k-1 the linear-programming attack of ``tests/attack.py`` works out exactly, of how
  many it tried (a random sample: solving every one takes too long), and how many it narrows to two values;
- the time of the protection step (``summarise``: sums, cell keys, the table) on tallies already read.

Run: ``.venv/bin/python bench/disclosure.py [--sample 500] [--table-sample 100] [--skip-demo] [--skip-national]
[--tiny 10]``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from attack import attack, narrowed_to_two, true_counts, worked_out  # noqa: E402
from scenarios import published, records_of, tiny_programme  # noqa: E402

from portal import create_app  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.freeze.caches import cell_key_secret, read_site  # noqa: E402
from portal.indicators import combine, from_snapshot, site_tallies  # noqa: E402
from portal.registry import list_sites  # noqa: E402
from portal.summary.model import summarise  # noqa: E402

K = 5
READER_WORDS = {"declared": "declared method (k, largest change, exact levels)",
                "table": "table itself too (the code)"}


def instance_tables(instance: Path) -> tuple[list[dict], dict, dict, float]:
    """(records as indicators.json holds them, parents, truth, seconds of the protection step) of an instance."""
    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        registry_sites = list_sites(get_registry())
        secret = cell_key_secret(str(instance))
        tallied = [read_site(str(instance), site, secret) for site in registry_sites]
        plain = {s.code: site_tallies(from_snapshot(s.code, s.state, s.sessions, get_site_store(s.code).read()),
                                      "9999-12-31") for s in registry_sites}
    start = time.perf_counter()
    summary = summarise(tallied, K, "bench")
    records = records_of(summary)
    seconds = time.perf_counter() - start
    parents = {key: scope.parent for key, scope in summary.scopes.items()}
    members = {key: [s for s in tallied if key in ("all", f"state:{s.state}", f"site:{s.code}")] for key in parents}
    truth = {}
    for (scope, period) in summary.records:
        truth.update(true_counts(scope, period, combine(plain[s.code].get(period, Counter()) for s in members[scope])))
    return records, parents, truth, seconds


def report(name: str, records: list[dict], parents: dict, truth: dict, args: argparse.Namespace,
           seconds: float | None) -> None:
    small = sum(1 for value in truth.values() if 0 < value < K)
    took = f"; protection step {seconds:.2f} s" if seconds is not None else ""
    print(f"{name}: {len(records):,} records, {small:,} true counts from 1 to {K - 1}{took}")
    for reader in ("declared", "table"):
        start = time.perf_counter()
        found = attack(records, parents, K, truth, reader=reader,
                       sample=args.sample if reader == "declared" else args.table_sample)
        pinned, two = worked_out(found), narrowed_to_two(found)
        print(f"  reader who knows the {READER_WORDS[reader]}: attacked {len(found):,}: {len(pinned)} worked out "
              f"exactly, {len(two)} narrowed to two values (attack {time.perf_counter() - start:.0f} s)")
        for key, ends in sorted(pinned.items())[:3]:
            print(f"    worked out: {key} = {truth[key]} (range {ends[0]:.2f}..{ends[1]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=500, help="small counts attacked per data set")
    parser.add_argument("--table-sample", type=int, default=100,
                        help="small counts attacked per large data set by the reader who has the table")
    parser.add_argument("--tiny", type=int, default=10, help="how many crafted tiny programmes")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()

    print(f"tiny programmes (4 sites in 3 states, one of 3 men) x {args.tiny}:")
    for reader in ("declared", "table"):
        found = pinned = two = 0
        start = time.perf_counter()
        for seed in range(args.tiny):
            records, parents, truth = published(tiny_programme(seed), f"bench secret {seed}".encode())
            result = attack(records, parents, K, truth, sample=max(1, args.sample // args.tiny), seed=seed,
                            reader=reader)
            found += len(result)
            pinned, two = pinned + len(worked_out(result)), two + len(narrowed_to_two(result))
        print(f"  reader who knows the {READER_WORDS[reader]}: attacked {found:,} small counts: {pinned} worked "
              f"out exactly, {two} narrowed to two values ({time.perf_counter() - start:.0f} s)")

    if not args.skip_demo:
        work = Path(tempfile.mkdtemp(prefix="bench-disclosure-"))
        try:
            app = create_app({"INSTANCE_PATH": work / "instance"})
            assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
            records, parents, truth, _seconds = instance_tables(work / "instance")
            report("demo", records, parents, truth, args, None)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not args.skip_national:
        import freeze as national  # bench/freeze.py's generator

        work = Path(tempfile.mkdtemp(prefix="bench-disclosure-national-"))
        try:
            national.prepare(work / "instance", 1)
            records, parents, truth, seconds = instance_tables(work / "instance")
            report("national (scale 1)", records, parents, truth, args, seconds)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
