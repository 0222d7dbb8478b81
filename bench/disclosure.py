"""Benchmark of the summary's disclosure control: how much it hides, whether it holds, how long it takes.

For the demo (19 sites, 2010) and the national scale of ``bench/freeze.py`` (``--scale 1``: 320 sites, five
years; its data generator is imported, not copied), both rules are run on the same tallies:

- before: ``disclosure.publish`` on each table on its own (the rule up to issue 14);
- after: ``disclosure.publish_linked``, every table together (what ``summarise`` uses).

Printed for each: the share of published count cells (men enrolled, attending, active, leaving, answering, paired
and every breakdown's counts, over every place and period) that are hidden; how many hidden counts from 1 to k-1 the
linear-programming attack of ``tests/test_disclosure_attack.py`` recovers exactly, out of how many it tried (at
national scale a random sample of them: solving every one takes too long); and the seconds the suppression takes.

Run: ``.venv/bin/python bench/disclosure.py [--sample 300] [--skip-demo] [--skip-national]``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from portal import create_app  # noqa: E402
from portal.db import get_registry  # noqa: E402
from portal.disclosure import SMALL, WITHHELD, publish, publish_linked  # noqa: E402
from portal.freeze import read_site  # noqa: E402
from portal.indicators import combine, finish  # noqa: E402
from portal.registry import list_sites  # noqa: E402
from portal.summary.model import summarise  # noqa: E402

from test_disclosure_attack import attack, count_paths, value_at, worked_out  # noqa: E402

K = 5


def site_tallies_of(instance: Path) -> list:
    app = create_app({"INSTANCE_PATH": instance})
    with app.app_context():
        return [read_site(str(instance), site) for site in list_sites(get_registry())]


def tables_of(sites: list) -> tuple[dict, dict]:
    """Every (scope, period) tally as the summary has it, and each scope's parent."""
    summary = summarise(sites, K, "bench")
    parents = {key: scope.parent for key, scope in summary.scopes.items() if scope.periods}
    members = {key: [s for s in sites if key in ("all", f"state:{s.state}", f"site:{s.code}")] for key in parents}
    tallies = {(key, period): combine(s.tallies.get(period, Counter()) for s in members[key])
               for key in parents for period in summary.scopes[key].periods}
    return tallies, parents


def measure(name: str, tallies: dict, parents: dict, sample: int | None) -> None:
    truth = {}
    for (scope, period), tally in tallies.items():
        values = finish(tally)
        for path in count_paths():
            truth[(scope, period, path)] = value_at(values, path)
    start = time.perf_counter()
    before = {key: publish(tally, K) for key, tally in tallies.items()}
    before_s = time.perf_counter() - start
    start = time.perf_counter()
    after = publish_linked(tallies, parents, K)
    after_s = time.perf_counter() - start
    cells = len(tallies) * len(count_paths())
    count_set = set(count_paths())
    for label, published, seconds in (("before", before, before_s), ("after", after, after_s)):
        data = {"suppression_k": K, "records": [{"scope": scope, "period": period, **values,
                                                  "suppressed": list(hidden)}
                                                 for (scope, period), (values, hidden) in published.items()]}
        hidden = sum(path in hidden for _values, hidden in published.values() for path in count_paths())
        shown_small = {(scope, period, path) for (scope, period), (_values, hidden) in published.items()
                       for path, why in hidden.items() if why == SMALL}
        withheld = sum(why == WITHHELD for (_values, hidden) in published.values()
                       for path, why in hidden.items() if path in count_set)
        start = time.perf_counter()
        found = attack(data, parents, truth, shown_small, sample)
        attack_s = time.perf_counter() - start
        small = sum(1 for (scope, period), (_values, hidden) in published.items() for path in count_paths()
                    if path in hidden and 0 < truth[(scope, period, path)] < K)
        tried = f"a random sample of {len(found)} of the {small}" if sample and small > len(found) else \
            f"all {len(found)}"
        print(f"{name:9} {label:6}: hidden {hidden:7,} of {cells:8,} count cells ({100 * hidden / cells:5.1f} %); "
              f"recovered exactly {len(worked_out(found)):5,} of {tried} hidden counts from 1 to {K - 1} "
              f"(attack {attack_s:5.1f} s); suppression {seconds:5.2f} s; {withheld:,} small counts shown as "
              f"hidden instead of <{K}")
        levels = {"country": "all", "states": "state", "sites": "site"}
        shares = []
        for level, kind in levels.items():
            tables = [hidden for (scope, _period), (_values, hidden) in published.items()
                      if scope.partition(":")[0] == kind]
            level_hidden = sum(path in hidden for hidden in tables for path in count_paths())
            shares.append(f"{level} {100 * level_hidden / max(1, len(tables) * len(count_paths())):.1f} %")
        print(f"{'':9} {'':6}  hidden count cells by level: " + ", ".join(shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=300, help="hidden small counts attacked at national scale")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT / "instance") as tmp:
        if not args.skip_demo:
            demo = Path(tmp) / "demo"
            app = create_app({"INSTANCE_PATH": demo})
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            measure("demo", *tables_of(site_tallies_of(demo)), None)
        if not args.skip_national:
            import freeze as freeze_bench  # bench/freeze.py: its data generator
            national = Path(tmp) / "national"
            freeze_bench.prepare(national, 1)
            measure("national", *tables_of(site_tallies_of(national)), args.sample)


if __name__ == "__main__":
    main()
