"""What a man's phone waits for on the participant questionnaire, against a bare HTML form (issue 11).

Each figure is measured in the same run, under the same emulation, on the portal and on a bare
HTML form of the same questions (same labels, inputs, hints and notes; no CSS, no script, no
session), served as /bare/<n> by the same werkzeug server process through a small WSGI wrapper
in front of the portal app (loopback, temporary instance folder). Browser: Debian's chromium
through Playwright, as in tests/browser.py, emulating a 360x640 phone (is_mobile, scale 2), CPU
4x slower (CDP Emulation.setCPUThrottlingRate), 400 kbit/s down and up with 400 ms latency (CDP
Network.emulateNetworkConditions). Each figure is the median of --runs cold runs: a new browser
context per run, cache cleared and disabled.

1. cold load of part 1 (/cuestionario/parte/1, the code entered unthrottled before) to its first
   question visible, against the bare part 1. Target: at most 1.5 times the bare form.
2. "Siguiente" to part 2's first question visible, against the bare part 1 posted (303 to a GET
   of the bare part 2).
3. the phone's Back button (page.go_back) to part 1's first question visible, and the requests
   the page saw meanwhile, against Back from the bare part 2.
4. /c/<code> in a new context, then "Empezar", to the part he reached (part 3; parts 1 and 2
   answered unthrottled), and the redirects it took, against one cold load of the bare part 1.
5. on part 1 (still throttled, cache disabled), tapping the first question's "Escuchar" button to
   its sound starting (the audio element's 'playing' event, both moments read in the page).
   Target: at most 1.5 s.
And the weight of part 1's HTML, on the wire (headers + body as received) and decoded, and the
bytes of part 1's clips (every distinct clip its players name, as served). The clips are made
first, into the temporary instance, with ``flask --app portal audio``'s own function (timed).

"Visible" is read in the page: the first contentful paint if the first question's label or
legend was in the document by then, else the end of the first frame after it was inserted; as
performance.timeOrigin + that time, minus the moment Python started the action (same clock).
Buttons are clicked in the page (element.click()): Playwright's actionability checks are not
timed. Answers: the first option of each choice, 35 for a number, "Prueba" for text.

    .venv/bin/python bench/participant_page.py [--runs 5]     (from the project folder; minutes)

Exit status: 0 when the target of 1 is met, 1 when not, 2 when the flow could not be walked.
"""
from __future__ import annotations

import argparse
import html
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
for folder in (PROJECT_ROOT, PROJECT_ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from browser import CHROMIUM, CHROMIUM_ARGS, LiveServer  # noqa: E402  (tests/browser.py: same browser as the tests)
from common import scratch_parent  # noqa: E402  (this folder's shared helper)
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright

from portal import access_codes, clock, create_app, groups  # noqa: E402
from portal.audio import media  # noqa: E402
from portal.audio.synth import build  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.participants import register  # noqa: E402
from portal.questionnaires import localized  # noqa: E402
from portal.registry import add_site, add_user, check_site  # noqa: E402

SITE = "BENCH-01"
PHONE = {"width": 360, "height": 640}
CPU_SLOWDOWN = 4
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
TARGET_RATIO = 1.5
TARGET_LISTEN_MS = 1500

# In every document before its own content: when the first question's label (or the code's label)
# entered the document, the first contentful paint, and the moment it was painted.
MARK_FIRST_QUESTION = """(() => {
  const bench = window.__bench = {};
  let fcp = null;
  const settle = () => {
    if (bench.inserted === undefined || fcp === null) return;
    if (bench.inserted <= fcp) bench.painted = fcp;
    else if (bench.frameAfter !== undefined) bench.painted = bench.frameAfter;
  };
  new PerformanceObserver(list => list.getEntries().forEach(e => {
    if (e.name === 'first-contentful-paint') { fcp = e.startTime; settle(); }
  })).observe({type: 'paint', buffered: true});
  const observer = new MutationObserver(() => {
    if (!document.querySelector('label[for], legend')) return;
    observer.disconnect();
    bench.inserted = performance.now();
    requestAnimationFrame(() => setTimeout(() => { bench.frameAfter = performance.now(); settle(); }, 0));
  });
  observer.observe(document, {childList: true, subtree: true});
  document.addEventListener('playing', () => { if (bench.playing === undefined) bench.playing = performance.now(); },
                            true);
})();"""
# Tap the first question's big "Escuchar" button, noting the moment in the page's own clock.
TAP_LISTEN = """() => {
  const button = document.querySelector('.question .listen-button');
  window.__bench.tapped = performance.now();
  button.click();
}"""
# First option of each choice left empty, 35 in a number box, "Prueba" in other empty text boxes.
ANSWER = """() => {
  for (const el of document.querySelectorAll('form input:not([type=hidden]), form textarea')) {
    if (el.type === 'radio' || el.type === 'checkbox') {
      if (!el.form.querySelector(`[name="${el.name}"]:checked`)) el.checked = true;
    } else if (!el.value) el.value = ['numeric', 'decimal'].includes(el.inputMode) ? '35' : 'Prueba';
  }
}"""
PRESS = "label => [...document.querySelectorAll('button')].find(b => b.textContent.trim() === label).click()"


# ---------------------------------------------------------------- the portal and the bare form

def bare_html(questionnaire, number: int) -> bytes:
    """Part ``number``'s questions as a plain form: label or legend, input, hint and notes as text."""
    rows = []
    for q in questionnaire.pages[number - 1].items:
        text = html.escape(localized(q.label, "es"))
        hint = f"<br><small>{html.escape(localized(q.hint, 'es'))}</small>" if q.hint else ""
        if not q.answerable:
            rows.append(f"<p>{text}{hint}</p>")
        elif q.choices:
            kind = "checkbox" if q.type == "select_multiple" else "radio"
            options = "".join(f'<label><input type="{kind}" name="{q.name}" value="{c.name}"> '
                              f'{html.escape(localized(c.label, "es"))}</label><br>' for c in q.choices)
            rows.append(f'<fieldset id="q-{q.name}"><legend>{text}</legend>{hint}{options}</fieldset>')
        else:
            mode = {"integer": "numeric", "decimal": "decimal"}.get(q.type, "text")
            rows.append(f'<div id="q-{q.name}"><label for="{q.name}">{text}</label>{hint}<br>'
                        f'<input type="text" id="{q.name}" name="{q.name}" inputmode="{mode}"></div>')
    return ('<!doctype html><html lang="es"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Cuestionario</title>'
            f'<link rel="icon" href="data:,"></head><body><form method="post" action="/bare/{number}">'
            + "\n".join(rows) + '\n<p><button name="accion" value="siguiente">Siguiente</button></p>'
            '</form></body></html>').encode()


def with_bare_forms(app, questionnaire, parts: int):
    """The portal, plus /bare/<n>: GET the bare part n; POST answers 303 to /bare/<n+1>."""
    pages = {n: bare_html(questionnaire, n) for n in range(1, parts + 1)}

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/bare/"):
            return app(environ, start_response)
        number = int(path.rsplit("/", 1)[1])
        if environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response("303 See Other", [("Location", f"/bare/{number + 1}"), ("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(pages[number])))])
        return [pages[number]]
    return wsgi


class Portal:
    def __init__(self, instance: Path):
        self.app = create_app({"INSTANCE_PATH": instance, "SESSION_COOKIE_SECURE": False})
        started = time.perf_counter()
        self.clips = build(self.app.extensions["audio"].synthetic, self.app.extensions["audio"].all_texts())
        self.clips_seconds = time.perf_counter() - started
        with self.app.app_context():
            add_site(get_registry(), check_site(SITE, "Centro de Salud", "09", 24))
            add_user(get_registry(), "fac", "facilitator", "bench-password-1", SITE)
            groups.create(get_site_store(SITE), "2026-A", clock.today(), 24, "fac")
        questionnaire = self.app.extensions["questionnaires"]["intake"]
        self.wsgi = with_bare_forms(self.app, questionnaire, parts=2)
        # part n's first question (the same id on the bare form): its page shows when this is painted
        self.first = {n: f"#q-{page.questions[0].name}" for n, page in enumerate(questionnaire.pages[:3], start=1)}

    def new_code(self) -> str:
        """A newly registered man and a one-time code for his intake questionnaire."""
        with self.app.app_context():
            man = register(get_site_store(SITE), SITE, "2026-A", clock.today(), "fac")
            plain, _ = access_codes.issue(access_codes.codes_store(self.app.instance_path), self.app.secret_key,
                                          site=SITE, participant_code=man, questionnaire="intake", user="fac")
        return plain


# ---------------------------------------------------------------- the phone

class Phone:
    """A new browser context on the emulated phone, and the requests its page sees."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                           locale="es-MX")
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.page.add_init_script(MARK_FIRST_QUESTION)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.requests = []
        self.page.on("request", lambda r: self.requests.append(r) if r.url.startswith("http") else None)

    def throttle(self, on: bool = True):
        """Cache cleared and disabled; CPU and network of the cheap phone (or none)."""
        self.cdp.send("Network.clearBrowserCache")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN if on else 1})
        self.cdp.send("Network.emulateNetworkConditions",
                      NETWORK if on else {"offline": False, "latency": 0, "downloadThroughput": -1,
                                          "uploadThroughput": -1})

    def timed(self, action, selector: str) -> tuple[float, list]:
        """Run ``action``; ms until ``selector``'s page shows its first question, and the requests seen."""
        self.requests.clear()
        start = time.time() * 1000
        action()
        try:
            self.page.wait_for_function("s => document.querySelector(s) && window.__bench && "
                                        "window.__bench.painted !== undefined", arg=selector, polling="raf")
        except PlaywrightError as exc:
            errors = self.page.locator(".error, .error-summary").all_inner_texts()
            raise RuntimeError(f"{selector} never shown; the browser is at {self.page.url}, "
                               f"messages: {errors}") from exc
        painted = self.page.evaluate("() => performance.timeOrigin + window.__bench.painted")
        self.page.wait_for_load_state("load")
        return painted - start, [seen(r) for r in self.requests]

    def press(self, label: str, selector: str) -> tuple[float, list]:
        return self.timed(lambda: self.page.evaluate(PRESS, label), selector)

    def goto(self, url: str, selector: str) -> tuple[float, list]:
        return self.timed(lambda: self.page.goto(url, wait_until="commit"), selector)

    def answer(self):
        self.page.evaluate(ANSWER)

    def listen(self) -> float:
        """Tap the first question's "Escuchar": ms until its sound starts."""
        self.page.evaluate(TAP_LISTEN)
        self.page.wait_for_function("() => window.__bench.playing !== undefined", polling="raf", timeout=30_000)
        return self.page.evaluate("() => window.__bench.playing - window.__bench.tapped")

    def clip_names(self) -> list[str]:
        """Every distinct clip the page's players name."""
        return self.page.evaluate("() => [...new Set([...document.querySelectorAll('audio')].map("
                                  "a => a.getAttribute('src').split('/').pop()))]")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.context.close()


def seen(request) -> dict:
    """One request of a step: method, path, status; for a page, the weight of its HTML."""
    response = request.response()
    out = {"method": request.method, "path": "/" + request.url.split("/", 3)[-1],
           "status": response.status if response else None}
    if request.resource_type == "document" and out["status"] == 200:
        sizes = request.sizes()  # on the wire: headers + body as received; decoded: the body's length
        out["weight"] = {"headers": sizes["responseHeadersSize"], "body": sizes["responseBodySize"],
                         "decoded": len(response.body()),
                         "encoding": response.headers.get("content-encoding", "none")}
    return out


def chain(requests) -> str:
    """'POST /a 303 -> GET /b 200': the requests of one step."""
    return " -> ".join(f"{r['method']} {r['path']} {r['status'] or 'no response'}" for r in requests)


# ---------------------------------------------------------------- one run of each

def walk(phone, url: str, first: dict) -> dict:
    """Cold load of part 1, its answers, "Siguiente" to part 2, Back to part 1: each timed."""
    load, load_requests = phone.goto(url, first[1])
    phone.answer()
    step, next_requests = phone.press("Siguiente", first[2])
    back, back_requests = phone.timed(lambda: phone.page.go_back(wait_until="commit"), first[1])
    return {"load": load, "load_requests": load_requests, "next": step, "next_requests": next_requests,
            "back": back, "back_requests": back_requests}


def portal_run(browser, portal, base) -> dict:
    """1 to 3 on the portal (the code entered unthrottled first), then 4 with the same code."""
    code = portal.new_code()
    with Phone(browser) as phone:
        phone.page.goto(base + "/cuestionario/")
        phone.page.fill("#codigo", code)
        phone.press("Empezar", portal.first[1])
        phone.page.goto("about:blank")
        phone.throttle()
        out = walk(phone, base + "/cuestionario/parte/1", portal.first)
        phone.page.goto(base + "/cuestionario/parte/1")  # throttled still: the part, then "Escuchar"
        phone.page.wait_for_function("() => window.__bench && window.__bench.painted !== undefined "
                                     "&& document.querySelector('.listen-button')", polling="raf")
        audio = portal.app.extensions["audio"]
        clips = [audio.path(name) for name in phone.clip_names()]
        out["clips"] = (len(clips), sum(c.stat().st_size for c in clips), sum(media.probe(c).duration for c in clips))
        out["listen"] = phone.listen()
        out["back_answers"] = phone.page.evaluate("() => document.querySelectorAll('form input:checked').length")
        phone.throttle(on=False)  # on to part 3 unthrottled, for the reopened code
        for number in (2, 3):
            phone.answer()
            phone.press("Siguiente", portal.first[number])
    return reopen(browser, portal, base, code, out)


def reopen(browser, portal, base, code, out) -> dict:
    """A new context: /c/<code> to the code box painted, then "Empezar" to the part he reached."""
    with Phone(browser) as phone:
        phone.throttle()
        out["qr"], _ = phone.goto(f"{base}/c/{code}", "#codigo")
        out["qr_code_shown"] = access_codes.normalise(phone.page.input_value("#codigo")) == code
        out["empezar"], out["reopen_requests"] = phone.press("Empezar", portal.first[3])
        out["reopen"] = out["qr"] + out["empezar"]
        out["reopen_url"] = phone.page.url.removeprefix(base)
    return out


def bare_run(browser, portal, base) -> dict:
    with Phone(browser) as phone:
        phone.throttle()
        return walk(phone, base + "/bare/1", portal.first)


# ---------------------------------------------------------------- report

def cell(runs, key) -> str:
    values = [r[key] for r in runs]
    return f"{statistics.median(values):6.0f} ms ({min(values):.0f}-{max(values):.0f})"


def row(title, portal_runs, bare_runs, key, bare_key=None) -> float:
    """One line: portal and bare medians (min-max) and the ratio of the medians."""
    bare_key = bare_key or key
    ratio = statistics.median(r[key] for r in portal_runs) / statistics.median(r[bare_key] for r in bare_runs)
    print(f"   {title:<42} {cell(portal_runs, key):<23} {cell(bare_runs, bare_key):<23} {ratio:5.2f}")
    return ratio


def counts(runs, key, redirects=False) -> str:
    """How many requests (or redirects) a step took, e.g. '1' or '1 or 2' when runs differ."""
    found = {sum(1 for q in r[key] if not redirects or 300 <= (q["status"] or 0) < 400) for r in runs}
    return " or ".join(str(n) for n in sorted(found))


def weight(name, requests) -> str:
    w = next(r["weight"] for r in requests if "weight" in r)
    return (f"   {name}: {w['headers'] + w['body']:,} B on the wire ({w['headers']:,} B headers + {w['body']:,} B "
            f"body, content-encoding {w['encoding']}), {w['decoded']:,} B decoded")


def report(portal_runs, bare_runs, portal) -> int:
    first, bare = portal_runs[0], bare_runs[0]
    count, size, seconds = first["clips"]
    print(f"\nSPEECH: {portal.clips.total} clips made for the participant questionnaires and the practice page in "
          f"{portal.clips_seconds:.1f} s; part 1 names {count} clips, {size:,} B in all "
          f"({seconds:.1f} s of speech, {size / seconds / 1000:.2f} KB a second), fetched only when tapped")
    print("\nPAGE WEIGHT (cold load of part 1, cache disabled)")
    print(weight("portal part 1 HTML", first["load_requests"]))
    print(f"   requests for the whole page: {counts(portal_runs, 'load_requests')} ({chain(first['load_requests'])};"
          " CSS inline, icon a data: address)")
    print(weight("bare part 1 HTML", bare["load_requests"]))

    print(f"\nTIMES, median (min-max) of {len(portal_runs)} cold runs  {'portal':<23} {'bare form':<23} ratio")
    ratio = row("1. part 1 cold load -> first question", portal_runs, bare_runs, "load")
    print(f"      {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}: part 1 takes {ratio:.2f} times the bare form "
          f"(target: at most {TARGET_RATIO})")
    row("2. 'Siguiente' -> part 2 first question", portal_runs, bare_runs, "next")
    print(f"      portal: {chain(first['next_requests'])}; bare: {chain(bare['next_requests'])}")
    row("3. Back -> part 1 first question", portal_runs, bare_runs, "back")
    print(f"      requests during Back: portal {counts(portal_runs, 'back_requests')} "
          f"({chain(first['back_requests'])}), bare {counts(bare_runs, 'back_requests')} "
          f"({chain(bare['back_requests'])})")
    shown = sorted({r["back_answers"] for r in portal_runs})
    print(f"      part 1 after Back shows his answers: {'yes' if all(shown) else 'NO'} ({shown} choices checked)")
    row("4. reopen: /c/<code>, 'Empezar' -> part", portal_runs, bare_runs, "reopen", "load")
    row("   of which /c/<code> -> code box painted", portal_runs, bare_runs, "qr", "load")
    row("   of which 'Empezar' -> first question", portal_runs, bare_runs, "empezar", "load")
    print("      (bare column of 4: one cold load of the bare part 1)")
    print(f"      reached {', '.join(sorted({r['reopen_url'] for r in portal_runs}))}; code pre-filled: "
          f"{'yes' if all(r['qr_code_shown'] for r in portal_runs) else 'NO'}; redirects after 'Empezar': "
          f"{counts(portal_runs, 'reopen_requests', redirects=True)} ({chain(first['reopen_requests'])})")
    listen = [r["listen"] for r in portal_runs]
    print(f"   5. 'Escuchar' -> sound starts (part 1)      {cell(portal_runs, 'listen')}")
    print(f"      {'PASS' if statistics.median(listen) <= TARGET_LISTEN_MS else 'FAIL'}: the sound starts "
          f"{statistics.median(listen):.0f} ms after the tap (target: at most {TARGET_LISTEN_MS} ms)")
    print("\nBack: Playwright starts chromium with --disable-back-forward-cache: no page comes from that cache here.")
    return 0 if ratio <= TARGET_RATIO and statistics.median(listen) <= TARGET_LISTEN_MS else 1


def measure(browser, portal, base, runs):
    """Portal and bare runs alternated, so both meet the same machine load."""
    portal_runs, bare_runs = [], []
    for _ in range(runs):
        portal_runs.append(portal_run(browser, portal, base))
        bare_runs.append(bare_run(browser, portal, base))
    return portal_runs, bare_runs


def header(browser, base):
    print(f"bench/participant_page.py - {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"{platform.system()} {platform.release()}; chromium {browser.version} (headless), "
          f"Python {platform.python_version()}")
    print(f"phone {PHONE['width']}x{PHONE['height']}, scale 2, is_mobile; CPU {CPU_SLOWDOWN}x slower, 400 kbit/s "
          f"down and up, {NETWORK['latency']} ms latency; cache disabled, new context per run")
    print(f"portal and bare form (/bare/<n>: plain HTML of the same questions) on {base}, one werkzeug process")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold runs per figure (median), default 5")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines in the figures
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-participant-", dir=scratch_parent(),
                                     ignore_cleanup_errors=True) as instance:
        portal = Portal(Path(instance))
        with LiveServer(portal.wsgi) as live, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            header(browser, live.url)
            try:
                portal_runs, bare_runs = measure(browser, portal, live.url, args.runs)
            except (PlaywrightError, RuntimeError) as exc:
                print(f"\nFAIL: the questionnaire could not be walked: {exc}")
                return 2
            finally:
                browser.close()
    status = report(portal_runs, bare_runs, portal)
    print(f"(total run {time.perf_counter() - t_start:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
