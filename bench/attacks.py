"""Issue 22's attacks, tried again: for each, what was tried and what happened; then the cost of the checks on
a normal import and a normal submission, against the code before issue 22.

The attacks run in this process against the portal's own app (Flask's test client, one instance folder each in
a temporary folder), except the million-row ZIP file, which the import command reads in a process of its own
so that its peak memory (VmHWM) can be read:

1. a facilitator's sync whose manifest erases a man (lines deleted, code added to ``erased``, sums written
   again), and an export dated 9999-12-31;
2. a 2.4 MB ZIP file of a million plausible rows of participants.csv;
3. an erasure while the man has a draft, a code and an upload waiting: the files of the instance that still
   name him afterwards;
4. a backup carrying a config.py with its sum and size in the backup's manifest;
5. 40 simultaneous wrong passwords for one user from one address; 200 user names from one address; 20 wrong
   passwords from 4 addresses, then the owner's right password from a fifth;
6. one site file damaged five ways (a 5,000-digit number, 100,000-deep nesting, a revision "abc", an odd
   withdrawal, a 4,000-digit number in a record): the site's page, another site's page, /coordinacion/;
7. another process holding one site's lock for 20 s while 10 registrations queue for it on 8 threads (as
   waitress serves): what the registrations get, and how long another site's home page takes meanwhile;
8. a full disk while the portal's identity is made;
9. GET /hoja-mensual, an import of a man registered in 1899, the mode of a new instance folder.

Costs: a normal import (the busy site's year of bench/import_site.py: 200 men, 4,800 marks, 800
questionnaires, into an empty instance, in process) and a normal submission (a man's intake saved part by part
at that site), each the median of --runs, measured by this same script in a copy of the code before issue 22
(``git archive BASE``; BASE is --base, default main) and in this tree. The issue's goal: at most 10 % slower.

    .venv/bin/python bench/attacks.py [--runs 5] [--rounds 3] [--base main] [--skip-attacks | --skip-costs]
"""
from __future__ import annotations

import argparse
import errno
import hashlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from portal import create_app  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.registry import add_site, add_user, check_site  # noqa: E402

PASSWORD = "bench-password-1"


def line(what: str, tried: str, happened: str) -> None:
    print(f"- {what}\n    tried:    {tried}\n    happened: {happened}")


def portal_at(folder: Path, sites=("SITE-A", "SITE-B")):
    app = create_app({"TESTING": True, "INSTANCE_PATH": folder, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False, "LOGIN_SLOW_SECONDS": 0})
    app.logger.disabled = True  # the damaged files are logged as errors: this prints what happened instead
    with app.app_context():
        for code in sites:
            add_site(get_registry(), check_site(code, f"Centro {code}", "09", 24))
        add_user(get_registry(), "admin", "admin", PASSWORD)
        add_user(get_registry(), "fac_a", "facilitator", PASSWORD, "SITE-A")
    return app


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/entrar", data={"username": user, "password": PASSWORD}).status_code == 302
    return client


def men_at(app, n, site="SITE-A", year=2026):
    from portal.participants import register
    with app.app_context():
        return [register(get_site_store(site), site, f"{year}-A", date(year, 10, 1), "bench") for _ in range(n)]


def site_bytes(app, site="SITE-A"):
    path = Path(app.instance_path, "sites", f"{site}.json")
    return path.read_bytes() if path.exists() else None


def upload(client, site, files, mode):
    data = {"modo": mode, "archivos": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/sitio/{site}/datos/importar", data=data, content_type="multipart/form-data")


# ----------------------------------------------------------------------------------------------- the attacks

def forged_erasure(work: Path) -> None:
    site = portal_at(work / "site")
    man = men_at(site, 3)[0]
    export = work / "export"
    site.test_cli_runner().invoke(args=["export", "--site", "SITE-A", "--out", str(export)])
    state = portal_at(work / "state", ("SITE-A",))
    state.test_cli_runner().invoke(args=["import", "--site", "SITE-A", "--sync", str(export)])
    manifest = json.loads((export / "manifest.json").read_text())
    for name in manifest["files"]:
        kept = [row for row in (export / name).read_text(encoding="utf-8-sig").splitlines(True) if man not in row]
        (export / name).write_text("".join(kept), encoding="utf-8-sig")
        manifest["files"][name] = hashlib.sha256((export / name).read_bytes()).hexdigest()
    manifest["erased"].append(man)
    (export / "manifest.json").write_text(json.dumps(manifest))
    before = site_bytes(state)
    fac = signed_in(state, "fac_a")
    checked = upload(fac, "SITE-A", [(p.name, p.read_bytes()) for p in export.iterdir()], "sincronizar")
    review = fac.get(checked.headers["Location"])
    token = re.search(r'name="token" value="([^"]+)"', review.get_data(as_text=True)).group(1)
    forced = fac.post("/sitio/SITE-A/datos/confirmar", data={"token": token})
    still = site_bytes(state) == before
    line("1. a facilitator's sync with a forged erasure",
         "lines of a man deleted, his code added to 'erased', sums written again; uploaded and confirmed by fac_a",
         f"the check page says it waits for an administrator: {'espera a uno' in review.get_data(as_text=True)}, "
         f"confirm button: {'Confirmar y sincronizar' in review.get_data(as_text=True)}; a forced confirmation answers "
         f"{forced.status_code}; the site file {'unchanged' if still else 'CHANGED'}")
    admin = signed_in(state, "admin")
    done = admin.post("/sitio/SITE-A/datos/confirmar", data={"token": token})
    with state.app_context():
        tomb = get_site_store("SITE-A").read().first("erased", code=man)
    line("   ... then an administrator of the state's portal", "confirms the waiting sync",
         f"{done.status_code}; tombstone by {tomb and tomb['by']!r}")
    manifest["exported_at"] = "9999-12-31T00:00:00+00:00"
    (export / "manifest.json").write_text(json.dumps(manifest))
    result = state.test_cli_runner().invoke(args=["import", "--site", "SITE-A", "--sync", str(export)])
    line("   an export dated 9999-12-31", "import --sync", f"exit {result.exit_code}: "
         f"{'refused as later than now' if 'posterior a este momento' in result.output else result.output[-200:]}")


def million_rows(work: Path) -> None:
    from scratch import run_measured

    portal_at(work / "million")
    rows = "\r\n".join(f"SITE-A-{1900 + i % 100}-{i % 10000:04d},G{i // 10000},{1900 + i % 100}-01-01"
                       for i in range(1_000_000))
    target = work / "million.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("participants.csv", "participant_code,group_code,enrolled_on\r\n" + rows + "\r\n")
    env = dict(os.environ, PORTAL_INSTANCE=str(work / "million"))
    with open(work / "million.txt", "wb") as out:
        status, seconds, peak = run_measured([sys.executable, "-m", "flask", "--app", "portal", "import", "--site",
                                              "SITE-A", str(target)], env, out)
    said = (work / "million.txt").read_text(encoding="utf-8")
    wrote = (work / "million" / "sites" / "SITE-A.json").exists()
    line("2. a small ZIP file of a million men", f"import of {target.stat().st_size / 1e6:.1f} MB "
         "(a million rows of participants.csv) by the command",
         f"exit {status} in {seconds:.1f} s, peak {peak:.0f} MB (start-up included), site file written: {wrote}; "
         f"says: {next((x for x in said.splitlines() if 'filas' in x), said[-150:]).strip()[:170]}")


def erasure_traces(work: Path) -> None:
    from portal import answering, corrections, drafts, erasing
    from portal.transfer import pending

    app = portal_at(work / "erase")
    man = men_at(app, 1)[0]
    with app.app_context():
        from portal import access_codes
        access_codes.issue(access_codes.codes_store(app.instance_path), app.secret_key, site="SITE-A",
                           participant_code=man, questionnaire="intake", user="bench")
        intake = app.extensions["questionnaires"]["intake"]
        answering.save_part(get_site_store("SITE-A"), intake, man, 0, {"age": "34"}, False, date(2026, 10, 2))
        pending.keep(app.instance_path, "SITE-A", "fac_a", "merge", {"participants.csv": man.encode()})
        corrections.erase_participant(get_site_store("SITE-A"), man, "Lo pidió él", "admin")
        erasing.clear_traces(app.instance_path, "SITE-A", [man])
        try:
            answering.save_part(get_site_store("SITE-A"), intake, man, 0, {"age": "35"}, False, date(2026, 10, 2))
            late = "saved"
        except ValueError:
            late = "refused"
        tables = get_site_store("SITE-A").read()
        left = [p.relative_to(app.instance_path) for p in Path(app.instance_path).rglob("*") if p.is_file()
                and man.encode() in p.read_bytes()]
        drafts_left = len(tables.find(drafts.TABLE, participant_code=man))
    line("3. an erasure while he had a code, a draft and an upload waiting",
         "the administrator's erasure, then a part he sends afterwards",
         f"the late part {late}; drafts left {drafts_left}; files naming him: "
         f"{[str(p) for p in left]} (the site file keeps only the fact of the erasure)")


def backup_with_code(work: Path) -> None:
    app = portal_at(work / "backed")
    men_at(app, 2)
    out = work / "copia.zip"
    app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    with zipfile.ZipFile(out) as zin:
        files = {n: zin.read(n) for n in zin.namelist() if n != "backup-manifest.json"}
        manifest = json.loads(zin.read("backup-manifest.json"))
    files["config.py"] = b"import os\nos.system('id > /tmp/bench-pwned')\n"
    manifest["files"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in files.items()}
    with zipfile.ZipFile(out, "w") as zout:
        for name, data in files.items():
            zout.writestr(name, data)
        zout.writestr("backup-manifest.json", json.dumps(manifest))
    target = create_app({"TESTING": True, "INSTANCE_PATH": work / "restored"})
    result = target.test_cli_runner().invoke(args=["restore", str(out)])
    line("4. a backup carrying code", "config.py added with its sum and size in the backup's manifest; restore",
         f"exit {result.exit_code}; config.py in the instance: {(work / 'restored' / 'config.py').exists()}; "
         f"site files restored: {len(list((work / 'restored' / 'sites').glob('*.json')))}")


def guessing(work: Path) -> None:
    from portal.auth import routes

    app = portal_at(work / "guess")
    judged = []
    real = routes.authenticate

    def counting(*args, **kwargs):
        judged.append(1)
        return real(*args, **kwargs)

    routes.authenticate = counting
    try:
        def attempt(user, password, address):
            return app.test_client().post("/entrar", data={"username": user, "password": password},
                                          environ_base={"REMOTE_ADDR": address}).status_code

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: attempt("fac_a", f"wrong-{i}-xxxxx", "10.1.1.1"), range(40)))
        line("5. guessing: a race", "40 simultaneous wrong passwords for one user from one address (8 threads)",
             f"{len(judged)} judged (limit 5)")
        judged.clear()
        for i in range(200):
            attempt(f"nombre{i}", "guess-password-1", "10.2.2.2")
        line("   a spray", "200 different user names from one address", f"{len(judged)} judged (limit 30)")
        judged.clear()
        for address in ("10.3.0.1", "10.3.0.2", "10.3.0.3", "10.3.0.4"):
            for i in range(5):
                attempt("admin", f"wrong-{i}-xxxxx", address)
        own = attempt("admin", PASSWORD, "10.9.9.9")
        again = attempt("admin", PASSWORD, "10.3.0.1")
        line("   a lock-out", "20 wrong passwords from 4 addresses, then the right one from a fifth and from a guesser",
             f"from the fifth: {own} ({'signed in' if own == 302 else 'refused'}); from a guessing address: {again}")
    finally:
        routes.authenticate = real


DAMAGE = {
    "a 5,000-digit number": lambda t: re.sub(r'"revision": \d+', '"revision": ' + "9" * 5000, t),
    "100,000-deep nesting": lambda t: t.replace('"status": "active"', '"status": "active", "x": '
                                                + "[" * 100_000 + "]" * 100_000, 1),
    'a revision "abc"': lambda t: re.sub(r'"revision": \d+', '"revision": "abc"', t),
    "an odd withdrawal": lambda t: t.replace('"status": "active"', '"status": "active", "withdrawn": {"at": 3}', 1),
    "a 4,000-digit number in a record": lambda t: t.replace('"status": "active"', '"status": "active", "age": ' + "9" * 4000, 1),
}


def damaged(work: Path) -> None:
    for i, (what, change) in enumerate(DAMAGE.items()):
        app = portal_at(work / f"damaged-{i}")
        men_at(app, 2)
        men_at(app, 1, "SITE-B")
        path = Path(app.instance_path, "sites", "SITE-A.json")
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        client = signed_in(app, "admin")
        codes = [client.get(url).status_code for url in ("/sitio/SITE-A/", "/sitio/SITE-B/", "/coordinacion/")]
        line(f"6. a damaged site file: {what}", "GET the site's home, another site's home, /coordinacion/",
             f"{codes[0]}, {codes[1]}, {codes[2]}")


def held_lock(work: Path, hold_seconds: float = 20) -> None:
    from portal.participants import register

    app = portal_at(work / "held")
    men_at(app, 5)
    men_at(app, 5, "SITE-B")
    with app.app_context():
        lock = str(get_site_store("SITE-A").lock_path)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom filelock import FileLock\n"
                               f"with FileLock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep({hold_seconds})",
                               lock], stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    outcomes, page = [], []

    def registration(_):
        started = time.perf_counter()
        with app.app_context():
            try:
                register(get_site_store("SITE-A"), "SITE-A", "2026-A", date(2026, 10, 1), "bench")
                what = "saved"
            except Exception as exc:  # the answer each request gets
                what = type(exc).__name__
        outcomes.append((what, time.perf_counter() - started))

    client = signed_in(app, "admin")
    with ThreadPoolExecutor(8) as pool:  # waitress's 8 threads
        futures = [pool.submit(registration, i) for i in range(10)]
        time.sleep(1)
        started = time.perf_counter()
        other = pool.submit(lambda: client.get("/sitio/SITE-B/").status_code)
        status = other.result()
        page.append(time.perf_counter() - started)
        for future in futures:
            future.result()
    holder.kill()
    holder.wait()
    holder.stdout.close()
    kinds = {k: sum(1 for w, _ in outcomes if w == k) for k in {w for w, _ in outcomes}}
    line("7. a held lock", f"another process holds SITE-A's lock {hold_seconds:.0f} s; 10 registrations at once on 8 "
         "threads, then another site's home page on the same pool",
         f"registrations: {kinds}, the longest answered in {max(s for _, s in outcomes):.1f} s; SITE-B's home "
         f"page {status} in {page[0]:.2f} s")


def full_disk(work: Path) -> None:
    from portal.identity import read_portal_id

    instance = work / "full"
    instance.mkdir()
    (instance / "secret_key").write_text("a" * 64 + "\n")
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    os.fsync = full
    try:
        create_app({"TESTING": True, "INSTANCE_PATH": instance})
        made = "started"
    except OSError:
        made = "refused to start"
    finally:
        os.fsync = real
    left = (instance / "portal_id").exists()
    create_app({"TESTING": True, "INSTANCE_PATH": instance})
    line("8. a full disk", "the portal's first start with every fsync failing with ENOSPC, then a start with room",
         f"first: {made}, portal_id left behind: {left}; then the id is {read_portal_id(instance)!r}")


def smaller(work: Path) -> None:
    app = portal_at(work / "small")
    men_at(app, 1)
    client = signed_in(app, "fac_a")
    before = site_bytes(app)
    status = client.get("/sitio/SITE-A/hoja-mensual?mes=2026-10").status_code
    folder = work / "old"
    folder.mkdir()
    (folder / "participants.csv").write_text("participant_code,group_code,enrolled_on\nSITE-A-1899-0001,1899-A,"
                                             "1899-03-01\n")
    result = app.test_cli_runner().invoke(args=["import", "--site", "SITE-A", str(folder)])
    fresh = work / "fresh-instance"
    create_app({"TESTING": True, "INSTANCE_PATH": fresh})
    line("9. smaller ones", "GET /hoja-mensual; import a man registered in 1899; a new instance folder's mode",
         f"{status}, site file changed: {site_bytes(app) != before}; import exit {result.exit_code}; "
         f"mode {oct(fresh.stat().st_mode & 0o777)}")


# ----------------------------------------------------------------------------------------------- the costs

def costs(work: Path, runs: int) -> dict:
    """The import of the busy year and a man's submission, in the code this script runs from (median seconds)."""
    from flask_babel import force_locale
    from import_site import SITE, build_year, new_instance

    from portal import transfer
    from portal.answering import SENT, save_part
    from portal.participants import register
    from portal.registry import get_site

    source = new_instance(work / "source")
    with source.app_context(), force_locale("es"):
        questionnaires = source.extensions["questionnaires"]
        records = build_year(questionnaires)
        get_site_store(SITE).write(lambda tx: [tx.insert(t, d) for t in ("groups", "participants", "sessions",
                                                                           "responses") for d in records[t]])
        transfer.write_export(work / "export", transfer.export_site(SITE, get_site_store(SITE).read(), questionnaires))
    imports, parts, reads = [], [], []
    for i in range(runs):
        target = new_instance(work / f"target-{i}")
        with target.app_context(), force_locale("es"):
            site = get_site(get_registry(), SITE)
            started = time.perf_counter()
            batch = transfer.read_batch(transfer.files_in(work / "export"), questionnaires)
            transfer.import_batch(get_site_store(SITE), site, questionnaires, batch, user="bench")
            imports.append(time.perf_counter() - started)
            store = get_site_store(SITE)
            for _ in range(3):  # the file read again, as after another process wrote it: parse and shapes
                store.close()
                started = time.perf_counter()
                store.read()
                reads.append(time.perf_counter() - started)
            intake = questionnaires["intake"]
            import random

            from portal.demo import fill
            rng = random.Random(i)
            for _ in range(5):
                man = register(store, SITE, "2026-Z", date(2026, 1, 12), "bench")
                answers = fill(intake, rng, {"age": "30"}, date(2026, 1, 12))
                part = 0
                while part != SENT:
                    raw = {q.name: answers.get(q.name) for q in intake.pages[part].questions}
                    started = time.perf_counter()
                    part = save_part(store, intake, man, part, raw, False, date(2026, 1, 12))
                    parts.append(time.perf_counter() - started)
    return {"import": statistics.median(imports), "part": statistics.median(parts), "read": statistics.median(reads),
            "parts": len(parts)}


def base_tree(base: str, work: Path) -> Path:
    """The code at ``base`` in a folder of its own, with its catalog compiled and this script beside its bench."""
    tree = work / "base-tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", base], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "compile", "-d", str(tree / "translations")],
                   check=True)
    shutil.copy(__file__, tree / "bench" / "attacks.py")
    return tree


def measured_in(tree: Path, work: Path, runs: int) -> dict:
    done = subprocess.run([sys.executable, str(tree / "bench" / "attacks.py"), "--costs-only", "--runs", str(runs),
                           "--work", str(work)], cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", default="main", help="the commit before issue 22 (default main)")
    parser.add_argument("--costs-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--skip-costs", action="store_true", help="only the attacks")
    parser.add_argument("--skip-attacks", action="store_true", help="only the costs")
    parser.add_argument("--rounds", type=int, default=3, help="before and after measured in turn, this many times")
    options = parser.parse_args()
    if options.costs_only:
        print(json.dumps(costs(Path(options.work), options.runs)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-attacks-"))
    try:
        print("Attacks of issue 22, tried again on this code:")
        for attack in () if options.skip_attacks else (
                forged_erasure, million_rows, erasure_traces, backup_with_code, guessing, damaged, held_lock,
                full_disk, smaller):
            folder = work / attack.__name__
            folder.mkdir()
            attack(folder)
        if options.skip_costs:
            return 0
        print(f"\nCost of the checks (median of {options.runs} runs, the best of {options.rounds} rounds taken in turn; "
              f"before = {options.base}):")
        tree = base_tree(options.base, work)
        rounds = [(measured_in(tree, work / f"before-{i}", options.runs),
                   measured_in(ROOT, work / f"after-{i}", options.runs)) for i in range(options.rounds)]
        # before and after taken in turn, the best of each kept: the machine is shared, and a busy moment
        # must not be counted against either side
        before = {key: min(b[key] for b, _a in rounds) for key in ("import", "part", "read")}
        after = {key: min(a[key] for _b, a in rounds) for key in ("import", "part", "read")}
        for key, what in (("import", "import of the busy year into an empty site"),
                          ("part", "a man's intake part saved (a submission)"),
                          ("read", "the year's site file read after another process wrote it")):
            change = 100 * (after[key] / before[key] - 1)
            print(f"  {what}: before {before[key] * 1000:.0f} ms, now {after[key] * 1000:.0f} ms ({change:+.1f} %)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
