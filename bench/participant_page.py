"""Benchmark of what a man's phone loads and waits for on the participant questionnaire.

What it measures, against a live portal on loopback (temporary instance folder,
removed at the end) and Debian's chromium driven by Playwright:

1. Page weight. Every response the browser receives for one navigation (HTML,
   CSS, scripts, fonts, images, favicon), with the browser cache disabled:
   bytes on the wire from CDP ``Network.loadingFinished.encodedDataLength``
   (headers + body; the header part from ``Network.responseReceived``) and
   decoded body bytes from Playwright's ``response.body()``. Measured on the
   first page of the intake questionnaire (GET /cuestionario/preguntas) and on
   every following page, reached by answering generically (first option of
   each choice, 35 for the age, 2 children) and pressing "Siguiente"; the
   last page ("Enviar mis respuestas") is measured but never submitted.
   Target: at most 50 KB (1 KB = 1000 bytes) on every page.
2. Time to the first question, on an emulated cheap phone (360x640, mobile,
   CPU slowed 4x with CDP ``Emulation.setCPUThrottlingRate``, 400 kbit/s down
   and up with 400 ms latency with ``Network.emulateNetworkConditions``),
   median of 5 runs, each in a new browser context:
   a. cold first page: the code is posted unthrottled, then the cache is
      cleared and disabled, the throttling switched on and the browser
      navigates to /cuestionario/preguntas;
   b. the whole flow, throttled from an empty cache (cache on): the start page,
      then from pressing "Empezar" (code already typed) to the first question,
      then from pressing "Siguiente" to the next page's first question.
   Reported: first-contentful-paint (``performance.getEntriesByType('paint')``),
   the first question's label painted (in-page: FCP when the label was in the
   document by then, otherwise the first frame after it was inserted), the
   wall clock from the navigation's start to Playwright seeing the label
   visible and to the in-page painted mark, and the load event (navigation
   timing). The same figures without throttling are printed for reference.
   Target: the first question visible within 1 s (cold first page, the later
   of the in-page and the wall-clock medians).
3. The reference figures quoted in the issue (not measured here).

Run from the project folder (about a minute):

    .venv/bin/python bench/participant_page.py [--runs 5]

Exit status: 0 when both targets are met, 1 when one is not, 2 when the
questionnaire could not be walked through.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import re
import shutil
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
from playwright.sync_api import sync_playwright  # noqa: E402

from portal import access_codes, create_app  # noqa: E402
from portal.db import get_registry, get_site_store  # noqa: E402
from portal.participants import register  # noqa: E402
from portal.registry import add_site, add_user, check_site  # noqa: E402

SITE = "BENCH-01"
PHONE = {"width": 360, "height": 640}
DEVICE_SCALE_FACTOR = 2
CPU_SLOWDOWN = 4
KBITS = 400
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": KBITS * 1000 / 8,
           "uploadThroughput": KBITS * 1000 / 8}
WEIGHT_TARGET_BYTES = 50_000
FIRST_QUESTION_TARGET_MS = 1000
FIRST_QUESTION_TEXT = "¿Cuántos años cumplidos tiene?"
QUESTION_LABEL = ".question > label, .question legend"  # the first match is the page's first question
MAX_PAGES = 40

# Runs in every document before its own content (CDP scripts are not subject to the page's CSP): notes
# when the first question's label (or the code's label on the start page) enters the document, then the
# end of the first frame after that.
MARK_FIRST_LABEL = """
(() => {
  const SELECTOR = '.question > label, .question legend, label[for="codigo"]';
  const bench = window.__bench = {};
  const found = () => {
    const el = document.querySelector(SELECTOR);
    if (!el) return false;
    bench.inserted = performance.now();
    bench.text = el.textContent.trim();
    requestAnimationFrame(() => setTimeout(() => { bench.frameAfter = performance.now(); }, 0));
    return true;
  };
  const observer = new MutationObserver(() => { if (found()) observer.disconnect(); });
  observer.observe(document, {childList: true, subtree: true});
})();
"""

METRICS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const bench = window.__bench || {};
  const fcpTime = fcp ? fcp.startTime : null;
  let painted = null;
  if (bench.inserted !== undefined) {
    painted = (fcpTime !== null && bench.inserted <= fcpTime) ? fcpTime : (bench.frameAfter ?? null);
  }
  return {
    type: nav.type, requestStart: nav.requestStart, responseStart: nav.responseStart,
    responseEnd: nav.responseEnd, domInteractive: nav.domInteractive,
    domContentLoaded: nav.domContentLoadedEventStart, load: nav.loadEventStart,
    redirectCount: nav.redirectCount, fcp: fcpTime, inserted: bench.inserted ?? null,
    frameAfter: bench.frameAfter ?? null, painted: painted, text: bench.text ?? null,
    resources: performance.getEntriesByType('resource').map(e => ({
      name: e.name, start: e.startTime, requestStart: e.requestStart, responseStart: e.responseStart,
      end: e.responseEnd, transfer: e.transferSize, blocking: e.renderBlockingStatus})),
  };
}
"""

CPU_PROBE = """
() => { const t = performance.now(); let x = 0; for (let i = 0; i < 2e7; i++) { x = (x + i * 7) % 1000003; }
        return performance.now() - t; }
"""


# ---------------------------------------------------------------- the portal

class Portal:
    def __init__(self, instance: Path):
        self.app = create_app({"INSTANCE_PATH": instance, "SESSION_COOKIE_SECURE": False})
        with self.app.app_context():
            add_site(get_registry(), check_site(SITE, "Centro de Salud", "09", 24))
            add_user(get_registry(), "fac", "facilitator", "bench-password-1", SITE)

    def new_code(self) -> str:
        """A newly registered man and a one-time code for his intake questionnaire."""
        with self.app.app_context():
            man = register(get_site_store(SITE), SITE, "2026-A", datetime.date.today(), "fac")
            plain, _ = access_codes.issue(access_codes.codes_store(self.app.instance_path), self.app.secret_key,
                                          site=SITE, participant_code=man, questionnaire="intake", user="fac")
        return plain


# ---------------------------------------------------------------- what the browser receives

class Recorder:
    """Responses of the current navigation: CDP for bytes on the wire, Playwright for decoded bodies."""

    def __init__(self, page, cdp):
        self.page = page
        self.entries: dict[str, dict] = {}
        self.order: list[dict] = []
        self.pw_responses: list = []
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        page.on("response", lambda response: self.pw_responses.append(response))

    def reset(self):
        self.entries.clear()
        self.order.clear()
        self.pw_responses.clear()

    def _request(self, p):
        redirect = p.get("redirectResponse")
        if redirect and p["requestId"] in self.entries:  # the earlier hop of this request ended in a redirect
            e = self.entries.pop(p["requestId"])
            self._fill(e, redirect)
            e["wire"] = redirect.get("encodedDataLength", 0) or e["header_bytes"]
            e["done"] = True
            e["redirect"] = True
        e = {"id": p["requestId"], "url": p["request"]["url"], "method": p["request"]["method"],
             "type": p.get("type", "?"), "status": None, "header_bytes": 0, "wire": None, "done": False,
             "redirect": False, "encoding": "", "content_length": None, "mime": ""}
        self.entries[p["requestId"]] = e
        self.order.append(e)

    @staticmethod
    def _fill(e, response):
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        e["status"] = response.get("status")
        e["mime"] = response.get("mimeType", "")
        e["header_bytes"] = response.get("encodedDataLength", 0) or 0
        e["encoding"] = headers.get("content-encoding", "")
        e["content_length"] = int(headers["content-length"]) if headers.get("content-length", "").isdigit() else None
        e["cache_control"] = headers.get("cache-control", "")
        e["from_cache"] = bool(response.get("fromDiskCache") or response.get("fromPrefetchCache"))

    def _response(self, p):
        e = self.entries.get(p["requestId"])
        if e is not None:
            self._fill(e, p["response"])

    def _finished(self, p):
        e = self.entries.get(p["requestId"])
        if e is not None:
            e["wire"] = p["encodedDataLength"]
            e["done"] = True

    def _failed(self, p):
        e = self.entries.get(p["requestId"])
        if e is not None:
            e["done"] = True
            e["failed"] = p.get("errorText", "failed")
            e["wire"] = 0

    def settle(self, timeout_s=10.0):
        """Wait until the network is quiet (the favicon comes after the load event) and every response ended."""
        self.page.wait_for_load_state("networkidle")
        deadline = time.monotonic() + timeout_s
        while not all(e["done"] for e in self.order) and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)

    def collect(self) -> list[dict]:
        """One row per response, in request order, with the decoded body size."""
        bodies: dict[str, list[int | None]] = {}
        for response in self.pw_responses:
            try:
                size = len(response.body())
            except Exception:  # a redirect has no body the browser keeps
                size = None
            bodies.setdefault(response.url, []).append(size)
        rows = []
        for e in self.order:
            sizes = bodies.get(e["url"], [])
            decoded = None
            if not e["redirect"] and sizes:
                decoded = sizes.pop(0)
            elif e["redirect"] and sizes and sizes[0] is None:
                sizes.pop(0)
            if decoded is None and e["redirect"]:
                decoded = e["content_length"]
            wire = e["wire"] or 0
            rows.append({**e, "wire": wire, "body_wire": max(wire - e["header_bytes"], 0),
                         "decoded": decoded or 0})
        return rows


def totals(rows):
    return {"n": len(rows), "wire": sum(r["wire"] for r in rows), "headers": sum(r["header_bytes"] for r in rows),
            "body_wire": sum(r["body_wire"] for r in rows), "decoded": sum(r["decoded"] for r in rows)}


# ---------------------------------------------------------------- browser helpers

def new_phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=DEVICE_SCALE_FACTOR, is_mobile=True,
                                  has_touch=True, locale="es-MX")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.add_init_script(MARK_FIRST_LABEL)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    return context, page, cdp


def throttle(cdp):
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    cdp.send("Network.emulateNetworkConditions", NETWORK)


def cold_cache(cdp, disabled: bool):
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": disabled})


def enter_code(page, base, code):
    page.goto(base + "/cuestionario/")
    page.locator("#codigo").fill(code)
    page.get_by_role("button", name="Empezar").click()
    page.locator(QUESTION_LABEL).first.wait_for(state="visible")


def answer_page(page):
    """The first option of every choice; 35 for the age, 2 children, a word in other text boxes."""
    seen = set()
    for box in page.locator("input[type=radio]:visible, input[type=checkbox]:visible").all():
        name = box.get_attribute("name")
        if name not in seen:
            seen.add(name)
            box.check()
    for box in page.locator("input[type=text]:visible, textarea:visible").all():
        name = box.get_attribute("name")
        if not box.input_value():
            box.fill({"age": "35", "children_count": "2"}.get(name, "Prueba"))


def next_button(page):
    return page.locator('button[name="accion"][value="siguiente"]')


def wait_painted(page, condition="true"):
    """Until the page's first question (or code label) has been in a produced frame and the browser has
    reported the first-contentful-paint (it does so after the frame is presented); polled each frame."""
    page.wait_for_function(f"() => ({condition}) && window.__bench && window.__bench.frameAfter !== undefined"
                           " && performance.getEntriesByName('first-contentful-paint').length > 0", polling="raf")


def ms(seconds):
    return seconds * 1000.0


# ---------------------------------------------------------------- 1. page weight

def measure_weight(browser, portal, base):
    context, page, cdp = new_phone(browser)
    try:
        recorder = Recorder(page, cdp)
        enter_code(page, base, portal.new_code())
        cold_cache(cdp, disabled=True)
        page.goto("about:blank")
        sheets: dict[str, str] = {}  # styleSheetId -> address, for the CSS rules the pages use
        cdp.on("CSS.styleSheetAdded", lambda p: sheets.__setitem__(p["header"]["styleSheetId"],
                                                                   p["header"].get("sourceURL", "")))
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        cdp.send("CSS.startRuleUsageTracking")
        used: dict[str, set] = {}  # address -> (start, end) of the rules used on at least one page
        css_text: dict[str, str] = {}
        recorder.reset()
        page.goto(base + "/cuestionario/preguntas")
        recorder.settle()
        pages = []
        for _ in range(MAX_PAGES):
            for rule in cdp.send("CSS.takeCoverageDelta")["coverage"]:
                url = sheets.get(rule["styleSheetId"], "")
                if rule["used"] and url:
                    used.setdefault(url, set()).add((int(rule["startOffset"]), int(rule["endOffset"])))
                    if url not in css_text:
                        css_text[url] = cdp.send("CSS.getStyleSheetText",
                                                 {"styleSheetId": rule["styleSheetId"]})["text"]
            rows = recorder.collect()
            document = next((r for r in rows if r["type"] == "Document"), None)
            label = page.locator(".progress-text").first.inner_text() + " - " + page.locator("h1").first.inner_text()
            button = next_button(page).inner_text().strip()
            pages.append({"label": label, "rows": rows, "button": button,
                          "first": page.locator(QUESTION_LABEL).first.inner_text().strip()
                          if page.locator(QUESTION_LABEL).count() else "(no question)"})
            if document is None or document["status"] != 200:
                status = document["status"] if document else "none"
                errors = page.locator(".error").all_inner_texts()
                raise RuntimeError(f"page {len(pages)}: document status {status}; errors shown: {errors}")
            if button != "Siguiente":  # the last page: never sent
                break
            answer_page(page)
            recorder.reset()
            with page.expect_navigation():
                next_button(page).click()
            recorder.settle()
        else:
            raise RuntimeError(f"no last page after {MAX_PAGES} pages")
        cdp.send("CSS.stopRuleUsageTracking")
        coverage = {url: (covered_bytes(ranges), len(css_text[url].encode()), css_text[url], ranges)
                    for url, ranges in used.items()}
        return pages, coverage
    finally:
        context.close()


def covered_bytes(ranges) -> int:
    """Characters covered by the union of (start, end) ranges."""
    total, reach = 0, 0
    for start, end in sorted(ranges):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def unused_selectors(text, ranges, limit=12):
    """The selectors of top-level rules no questionnaire page used (a rough reading of the sheet)."""
    out = []
    for match in re.finditer(r"(?:^|})\s*([^{}@/][^{}]*?)\s*{", text):
        start = match.start(1)
        if not any(s <= start < e for s, e in ranges):
            out.append(" ".join(match.group(1).split()))
    return out[:limit], len(out)


def print_rows(rows):
    print(f"    {'type':<11} {'status':>6} {'wire total':>11} {'headers':>8} {'body wire':>10} {'decoded':>9}"
          f"  {'encoding':<8} resource")
    for r in rows:
        path = r["url"].split("/", 3)[-1]
        print(f"    {r['type']:<11} {r['status'] or '-':>6} {r['wire']:>9,} B {r['header_bytes']:>6,} B "
              f"{r['body_wire']:>8,} B {r['decoded']:>7,} B  {r['encoding'] or 'none':<8} /{path}"
              + (f"  [{r['method']}]" if r["method"] != "GET" else "")
              + (f"  FAILED {r['failed']}" if r.get("failed") else ""))
    t = totals(rows)
    print(f"    {'total':<11} {t['n']:>6} {t['wire']:>9,} B {t['headers']:>6,} B {t['body_wire']:>8,} B "
          f"{t['decoded']:>7,} B  ({t['wire'] / 1000:.1f} KB on the wire, {t['decoded'] / 1000:.1f} KB decoded)")


# ---------------------------------------------------------------- 2. time to the first question

def run_cold_first_page(browser, portal, base, throttled, probe_cpu=False):
    context, page, cdp = new_phone(browser)
    try:
        enter_code(page, base, portal.new_code())  # unthrottled: it only gives this context its session
        page.goto("about:blank")
        cold_cache(cdp, disabled=True)
        if throttled:
            throttle(cdp)
        start = time.perf_counter()
        page.goto(base + "/cuestionario/preguntas", wait_until="commit")
        committed = time.perf_counter()
        page.locator(QUESTION_LABEL).first.wait_for(state="visible")
        visible = time.perf_counter()
        wait_painted(page)
        painted = time.perf_counter()
        page.wait_for_load_state("load")
        m = page.evaluate(METRICS)
        m.update(wall_commit=ms(committed - start), wall_visible=ms(visible - start),
                 wall_painted=ms(painted - start))
        if probe_cpu:
            m["cpu_probe"] = min(page.evaluate(CPU_PROBE) for _ in range(3))  # best of 3: JIT warm-up, noise
        return m
    finally:
        context.close()


def timed_step(page, recorder, out, name, button, painted, shown=None):
    """Click ``button`` and time the page it leads to: into ``out``, ``<name>_visible_wall`` (when ``shown``
    is visible, if given), ``<name>_wall`` (when ``painted`` holds and is painted), ``<name>`` (the page's
    metrics) and ``<name>_rows`` (its requests)."""
    recorder.reset()
    start = time.perf_counter()
    button.click()
    if shown is not None:
        shown.wait_for(state="visible")
        out[f"{name}_visible_wall"] = ms(time.perf_counter() - start)
    wait_painted(page, painted)
    out[f"{name}_wall"] = ms(time.perf_counter() - start)
    page.wait_for_load_state("load")
    out[name] = page.evaluate(METRICS)
    recorder.settle()
    out[f"{name}_rows"] = recorder.collect()


def run_flow(browser, portal, base, throttled):
    """Start page, code, first question, Siguiente, next page: throttled from an empty cache (cache on)."""
    context, page, cdp = new_phone(browser)
    try:
        recorder = Recorder(page, cdp)
        code = portal.new_code()
        cold_cache(cdp, disabled=False)
        if throttled:
            throttle(cdp)
        out = {}
        t0 = time.perf_counter()
        page.goto(base + "/cuestionario/", wait_until="commit")
        page.locator("#codigo").wait_for(state="visible")
        wait_painted(page)
        out["start_wall"] = ms(time.perf_counter() - t0)
        page.wait_for_load_state("load")
        out["start"] = page.evaluate(METRICS)

        page.locator("#codigo").fill(code)
        button = page.get_by_role("button", name="Empezar")
        button.wait_for(state="visible")
        timed_step(page, recorder, out, "code", button, "document.querySelector('.question')",
                   shown=page.locator(QUESTION_LABEL).first)
        answer_page(page)
        timed_step(page, recorder, out, "next", next_button(page),
                   "(document.querySelector('input[name=pagina]') || {}).value !== '0'")
        return out
    finally:
        context.close()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def spread(values):
    values = [v for v in values if v is not None]
    return f"{median(values):7.0f} ms  (min {min(values):5.0f}, max {max(values):5.0f})" if values else "n/a"


def stylesheet(m):
    """The render-blocking stylesheet's resource timing entry (ms from navigation start), if any."""
    return next((r for r in m["resources"] if r["name"].endswith("/static/portal.css")), None)


def css_end(m):
    r = stylesheet(m)
    return r["end"] if r else None


def css_took(m):
    r = stylesheet(m)
    return r["end"] - r["start"] if r else None


def print_waterfall(m):
    print("    navigation start                         0 ms")
    print(f"    HTML request sent / first byte / last    {m['requestStart']:5.0f} / {m['responseStart']:5.0f} / "
          f"{m['responseEnd']:5.0f} ms")
    for r in m["resources"]:
        path = "/" + r["name"].split("/", 3)[-1]
        print(f"    {path:<40} {r['start']:5.0f} -> first byte {r['responseStart']:5.0f} -> "
              f"end {r['end']:5.0f} ms  ({r['transfer']:,} B, {r['blocking']})")
    print(f"    DOM interactive {m['domInteractive']:.0f} ms, first-contentful-paint {m['fcp']:.0f} ms, "
          f"first question painted {m['painted']:.0f} ms, load event {m['load']:.0f} ms")


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per timing figure (median), default 5")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines in the figures

    t_start = time.perf_counter()
    instance = Path(tempfile.mkdtemp(prefix="bench-participant-"))
    try:
        portal = Portal(instance)
        with LiveServer(portal.app) as live, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                return report(browser, portal, live.url, args.runs, t_start)
            finally:
                browser.close()
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def report(browser, portal, base, runs, t_start) -> int:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"bench/participant_page.py - {os.cpu_count()} CPUs ({affinity} usable), "
          f"{platform.system()} {platform.release()}, {platform.machine()}")
    print(f"chromium {browser.version} (headless, {CHROMIUM}), Python {platform.python_version()}, "
          f"portal on {base} (werkzeug, threaded)")
    print(f"phone: {PHONE['width']}x{PHONE['height']} CSS px, scale {DEVICE_SCALE_FACTOR}, is_mobile; throttled = "
          f"CPU {CPU_SLOWDOWN}x slower, {KBITS} kbit/s down and up, {NETWORK['latency']} ms latency")

    # 1. weight
    print("\n1. WEIGHT OF THE INTAKE QUESTIONNAIRE PAGES (cache disabled: everything the browser receives)")
    print("   wire total = CDP encodedDataLength (headers + body as sent); decoded = response.body() length")
    try:
        pages, coverage = measure_weight(browser, portal, base)
    except Exception as exc:
        print(f"   FAIL: could not walk through the questionnaire: {exc}")
        return 2
    first = pages[0]
    print(f"\n   first page ({first['label']}; first question: {first['first']!r}):")
    print_rows(first["rows"])
    print("\n   every page (answered with the first option of each question, then 'Siguiente'):")
    print(f"    {'page':<52} {'requests':>8} {'wire total':>11} {'HTML wire':>10} {'decoded':>9}")
    for p in pages:
        t = totals(p["rows"])
        html = sum(r["wire"] for r in p["rows"] if r["type"] == "Document")
        print(f"    {p['label'][:52]:<52} {t['n']:>8} {t['wire']:>9,} B {html:>8,} B {t['decoded']:>7,} B")
    heaviest = max(pages, key=lambda p: max(totals(p["rows"])["wire"], totals(p["rows"])["decoded"]))
    print(f"\n   heaviest page ({heaviest['label']}; button {heaviest['button']!r}):")
    print_rows(heaviest["rows"])
    encodings = sorted({r["encoding"] or "none" for p in pages for r in p["rows"]})
    static_cache = sorted({r.get("cache_control", "") for p in pages for r in p["rows"]
                           if "/static/" in r["url"]})
    print(f"   content-encoding seen: {', '.join(encodings)}; Cache-Control of /static/ files: "
          f"{', '.join(repr(c) for c in static_cache)}")
    for url, (used_bytes, size, text, ranges) in coverage.items():
        selectors, count = unused_selectors(text, ranges)
        print(f"   CSS used by the intake pages ({url.split('/', 3)[-1]}): rules covering {used_bytes:,} of "
              f"{size:,} characters ({100 * used_bytes / size:.0f}%); {count} rules matched nothing during the walk "
              f"(some are :focus or error states), e.g. {', '.join(selectors[:8])}")
    first_weight = max(totals(first["rows"])["wire"], totals(first["rows"])["decoded"])
    max_weight = max(totals(heaviest["rows"])["wire"], totals(heaviest["rows"])["decoded"])

    # 2. time
    print(f"\n2. TIME TO THE FIRST QUESTION (median of {runs} runs, each a new browser context)")
    results = {}
    for throttled in (True, False):
        name = "throttled phone" if throttled else "no throttling (reference)"
        cold = [run_cold_first_page(browser, portal, base, throttled, probe_cpu=(i == 0)) for i in range(runs)]
        flows = [run_flow(browser, portal, base, throttled) for _ in range(runs)]
        results[throttled] = (cold, flows)
        print(f"\n   {name}: cold first page, GET /cuestionario/preguntas (cache cleared and disabled)")
        print(f"    HTML first byte (responseStart)             {spread([m['responseStart'] for m in cold])}")
        print(f"    HTML last byte (responseEnd)                {spread([m['responseEnd'] for m in cold])}")
        print(f"    portal.css received (render-blocking)       {spread([css_end(m) for m in cold])}")
        print(f"    first-contentful-paint                      {spread([m['fcp'] for m in cold])}")
        print(f"    first question painted (in-page)            {spread([m['painted'] for m in cold])}")
        print(f"    wall clock: goto -> label visible (Playwright) {spread([m['wall_visible'] for m in cold])}")
        print(f"    wall clock: goto -> label painted (polled)  {spread([m['wall_painted'] for m in cold])}")
        print(f"    load event (loadEventStart)                 {spread([m['load'] for m in cold])}")
        texts = {m["text"] for m in cold}
        print(f"    (first label: {', '.join(repr(t) for t in texts)}; navigation type "
              f"{', '.join(sorted({m['type'] for m in cold}))})")
        by_painted = sorted(cold, key=lambda m: m["painted"] or 0)
        if throttled:
            print("    (Chrome's network emulation puts the 400 ms latency between first and last byte: "
                  "read the last byte)")
        print("    waterfall of the median run:")
        print_waterfall(by_painted[len(by_painted) // 2])

        print(f"\n   {name}: the whole flow from an empty cache (cache on)")
        print(f"    start page /cuestionario/: FCP             {spread([f['start']['fcp'] for f in flows])}")
        print(f"    start page: code box painted (wall clock)  {spread([f['start_wall'] for f in flows])}")
        print("    from typing the code (press 'Empezar') to first question:")
        print(f"      in-page, from navigation start: FCP      {spread([f['code']['fcp'] for f in flows])}")
        print(f"      in-page: first question painted          {spread([f['code']['painted'] for f in flows])}")
        print(f"      wall clock: click -> label visible       {spread([f['code_visible_wall'] for f in flows])}")
        print(f"      wall clock: click -> label painted       {spread([f['code_wall'] for f in flows])}")
        print(f"      load event                               {spread([f['code']['load'] for f in flows])}")
        print(f"      portal.css revalidation (render-blocking) {spread([css_took(f['code']) for f in flows])}")
        print("    press 'Siguiente' -> next page painted:")
        print(f"      wall clock                               {spread([f['next_wall'] for f in flows])}")
        print(f"      in-page: first question painted          {spread([f['next']['painted'] for f in flows])}")
        print(f"      portal.css revalidation (render-blocking) {spread([css_took(f['next']) for f in flows])}")
        sample = flows[len(flows) // 2]
        for title, rows in (("requests after 'Empezar'", sample["code_rows"]),
                            ("requests after 'Siguiente'", sample["next_rows"])):
            parts = [f"{r['method']} /{r['url'].split('/', 3)[-1]} {r['status']} {r['wire']:,} B"
                     + (" (redirect)" if r["redirect"] else " (revalidated: no body on the wire)"
                        if r["status"] in (200, 304) and r["body_wire"] == 0 else "") for r in rows]
            print(f"    {title}: " + "; ".join(parts))
        if throttled:
            throttled_cpu = cold[0]["cpu_probe"]
        else:
            plain_cpu = cold[0]["cpu_probe"]
    print(f"\n   check of the CPU slowdown (same JS loop on the measured page, best of 3): {plain_cpu:.0f} ms unthrottled, "
          f"{throttled_cpu:.0f} ms throttled ({throttled_cpu / plain_cpu:.1f}x)")

    # 3. quoted
    print("\n3. REFERENCE FIGURES QUOTED IN THE ISSUE (not measured here)")
    print("   quoted: SurveyJS form library: about 2.1 MB (about 410 KB compressed), about 10 s to the first of")
    print("           14 questions on that emulated phone")
    print("   quoted: a bare HTML form of the same questions: about 0.6 s")

    # 4. verdicts
    cold_throttled = results[True][0]
    in_page = median([m["painted"] for m in cold_throttled])
    wall = median([m["wall_painted"] for m in cold_throttled])
    wall_visible = median([m["wall_visible"] for m in cold_throttled])
    first_q = max(in_page, wall, wall_visible)
    weight_ok = max_weight <= WEIGHT_TARGET_BYTES
    time_ok = first_q <= FIRST_QUESTION_TARGET_MS
    print("\n4. TARGETS")
    print(f"   {'PASS' if weight_ok else 'FAIL'}: page weight <= {WEIGHT_TARGET_BYTES / 1000:.0f} KB: first page "
          f"{first_weight / 1000:.1f} KB, heaviest page {max_weight / 1000:.1f} KB (larger of wire and decoded)")
    print(f"   {'PASS' if time_ok else 'FAIL'}: first question visible <= {FIRST_QUESTION_TARGET_MS} ms on the "
          f"throttled phone (cold first page): {first_q:.0f} ms (later of in-page {in_page:.0f} ms, "
          f"wall clock painted {wall:.0f} ms, wall clock visible {wall_visible:.0f} ms; medians)")
    print(f"   (total run {time.perf_counter() - t_start:.1f} s)")
    return 0 if weight_ok and time_ok else 1


if __name__ == "__main__":
    sys.exit(main())
