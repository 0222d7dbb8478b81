"""The production server (``make serve``) under a mixed load of men and facilitators.

Starts ``python -m portal.serve`` as ``make serve`` does (waitress, one process, 8 threads,
secure cookies) on a free port, with a temporary instance filled by ``flask --app portal demo``
and --men new men registered at four of its sites, each with a one-time code for the intake.
Then, all at once (with no --think, a closed loop: the hardest case for 2 cores):

- men, from --men-threads browsers: type the code, open each part, send it (after --think
  seconds), until the thanks page; one man in four stops after two parts (his answers stay
  as a draft);
- facilitators, from --staff-threads browsers: read their site's roster and download the
  monthly sheet of May 2010 (a PDF), in turn, until the men are done.

Prints requests per second and p50/p95 per kind of request, then stops the server and checks
that the site files hold one intake for every man who reached the thanks page, and none for
those who stopped.

    .venv/bin/python bench/serve.py [--men 120] [--men-threads 6] [--staff-threads 2] [--think 0]

Exit status: 0 when every acknowledged questionnaire is stored (whatever the timings), 1 if not.
"""
from __future__ import annotations

import argparse
import http.client
import os
import queue
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from common import scratch_parent  # noqa: E402  (this folder's shared helper)

from portal import access_codes, clock, create_app, groups, storage  # noqa: E402
from portal.demo import DEMO_USERS, fill  # noqa: E402
from portal.participants import register  # noqa: E402

MEN_SITES = ("CDMX-IZT", "JAL-GDL", "MEX-ECA", "NL-MTY")
STAFF = [(user, password, site) for user, role, site, password in DEMO_USERS if role == "facilitator"]
SHEET_MONTH = "2010-05"
STOP_AFTER_PARTS = 2  # men who stop half-way
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
INPUT_RE = re.compile(r'<(?:input (?:(?!type="hidden")[^>])*|textarea[^>]*)name="([a-z_]+)"')


class Browser:
    """One person's browser: a kept-alive connection and its cookies; every request timed by kind."""

    def __init__(self, port: int, timings: dict):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.timings = timings

    def request(self, kind: str, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, text)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        self.timings[kind].append(time.perf_counter() - started)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        text = data.decode("utf-8", "replace") if response.headers.get_content_type() == "text/html" else ""
        return response.status, response.headers.get("Location", ""), text


def answer_intake(browser: Browser, code: str, answers: dict, stop_after: int | None, think: float) -> bool:
    """A man answers (reading each part for ``think`` seconds); True when he reached the thanks page."""
    _, _, page = browser.request("man: code page", "GET", "/cuestionario/")
    status, url, _ = browser.request("man: send code", "POST", "/cuestionario/",
                                     {"codigo": code, "csrf_token": TOKEN_RE.search(page).group(1)})
    assert status == 303 and "/parte/" in url, (status, url)
    sent = 0
    while "/parte/" in url:
        if sent == stop_after:
            return False
        _, _, page = browser.request("man: open part", "GET", url)
        form = {"csrf_token": TOKEN_RE.search(page).group(1), "accion": "siguiente"}
        form.update({name: answers[name] for name in set(INPUT_RE.findall(page)) if name in answers})
        time.sleep(think)
        status, url, _ = browser.request("man: send part", "POST", url, form)
        assert status == 303, status
        sent += 1
    status, _, _ = browser.request("man: thanks", "GET", url)
    return url == "/cuestionario/gracias" and status == 200


def facilitator(port: int, user: str, password: str, site: str, timings: dict, done: threading.Event) -> None:
    browser = Browser(port, timings)
    _, _, page = browser.request("staff: sign in", "GET", "/entrar")
    status, _, _ = browser.request("staff: sign in", "POST", "/entrar", {
        "username": user, "password": password, "csrf_token": TOKEN_RE.search(page).group(1)})
    assert status == 302, f"{user} could not sign in"
    while not done.is_set():
        status, _, _ = browser.request("staff: roster", "GET", f"/sitio/{site}/participantes/")
        assert status == 200, status
        status, _, _ = browser.request("staff: sheet PDF", "GET", f"/sitio/{site}/hoja-mensual?mes={SHEET_MONTH}")
        assert status == 200, status


def prepare(instance: Path, men: int) -> list[tuple[str, str, dict]]:
    """The demo, then new men with a code each: (site, participant code, one-time code, answers)."""
    env = {**os.environ, "PORTAL_INSTANCE": str(instance)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "demo"], cwd=PROJECT_ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    app = create_app({"INSTANCE_PATH": instance})
    questionnaire = app.extensions["questionnaires"]["intake"]
    rng = random.Random(15)
    prepared = []
    with app.app_context():
        for site in MEN_SITES:
            groups.create(storage.store_for_site(instance, site), "BENCH", clock.today(), 24, "bench")
        for i in range(men):
            site = MEN_SITES[i % len(MEN_SITES)]
            man = register(storage.store_for_site(instance, site), site, "BENCH", clock.today(), "bench")
            code, _ = access_codes.issue(access_codes.codes_store(instance), app.secret_key, site=site,
                                         participant_code=man, questionnaire="intake", user="bench")
            raw = fill(questionnaire, rng, {"age": str(rng.randint(18, 70))}, clock.today())
            answers = {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in raw.items()}
            prepared.append((site, man, code, answers))
    return prepared


def start_server(instance: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PORTAL_INSTANCE": str(instance), "HOST": "127.0.0.1", "PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "portal.serve"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def stored_intakes(instance: Path, men: list) -> set[str]:
    found = set()
    for site in MEN_SITES:
        snapshot = storage.store_for_site(instance, site).read()
        found |= {r["participant_code"] for r in snapshot.find("responses", questionnaire="intake")}
    return found & {man for _, man, _, _ in men}


def report(timings: dict, elapsed: float) -> None:
    print(f"{'request':<18}{'n':>6}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in sorted(timings):
        values = timings[kind]
        p95 = statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]
        print(f"{kind:<18}{len(values):>6}{len(values) / elapsed:>8.1f}{statistics.median(values) * 1000:>9.0f}"
              f"{p95 * 1000:>9.0f}")
    total = sum(len(v) for v in timings.values())
    print(f"{'all':<18}{total:>6}{total / elapsed:>8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--men", type=int, default=120)
    parser.add_argument("--men-threads", type=int, default=6, help="men answering at the same time")
    parser.add_argument("--staff-threads", type=int, default=2)
    parser.add_argument("--think", type=float, default=0.0, help="seconds a man spends on each part")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-serve-", dir=scratch_parent()))
    instance = folder / "instance"
    try:
        men = prepare(instance, args.men)
        server, port = start_server(instance)
        timings: dict = defaultdict(list)
        acknowledged, stopped = set(), set()
        work: queue.Queue = queue.Queue()
        for i, man in enumerate(men):
            work.put((man, STOP_AFTER_PARTS if i % 4 == 3 else None))
        done = threading.Event()

        def man_thread():
            while True:
                try:
                    (_, man, code, answers), stop_after = work.get_nowait()
                except queue.Empty:
                    return
                finished = answer_intake(Browser(port, timings), code, answers, stop_after, args.think)
                (acknowledged if finished else stopped).add(man)

        staff = [threading.Thread(target=facilitator, args=(port, *STAFF[i % len(STAFF)], timings, done))
                 for i in range(args.staff_threads)]
        answering = [threading.Thread(target=man_thread) for _ in range(args.men_threads)]
        started = time.perf_counter()
        for thread in staff + answering:
            thread.start()
        for thread in answering:
            thread.join()
        done.set()
        for thread in staff:
            thread.join()
        elapsed = time.perf_counter() - started
        server.terminate()
        server.wait(timeout=30)

        print(f"make serve (waitress, 8 threads) on {os.cpu_count()} cores: {args.men} men from "
              f"{args.men_threads} browsers ({args.think:g} s per part), {args.staff_threads} facilitators, "
              f"{elapsed:.1f} s")
        report(timings, elapsed)
        stored = stored_intakes(instance, men)
        print(f"questionnaires acknowledged: {len(acknowledged)}, stored: {len(stored)}; "
              f"men who stopped half-way: {len(stopped)}, of them stored: {len(stored & stopped)}")
        ok = stored == acknowledged
        print("OK: every acknowledged questionnaire is stored, and only those" if ok else "LOST OR EXTRA RESPONSES")
        return 0 if ok else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
