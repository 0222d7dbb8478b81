"""The frozen summary opened from its folder (file://) in Debian's chromium, as a coordinator opens it from a
USB stick: every link of every page leads to a file of the folder, nothing is asked of the network, no
console error, the pages fit a phone (a year's months scroll sideways in their own box), and every chart has a
visible title, its values written on it and text a phone can read."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser import axe_violations, no_horizontal_scroll

from portal.db import get_registry
from portal.registry import list_sites

pytestmark = pytest.mark.browser

BRAND_BLUE = "rgb(11, 90, 138)"  # the header of summary.css: the stylesheet was found and applied


@pytest.fixture(scope="module")
def site(demo_summary):
    """The demo's summary (19 sites, 8 states, 2010 and the year in progress: 64 pages)."""
    _app, out, _report = demo_summary
    return out.resolve()


class Links(HTMLParser):
    """Every URL a page refers to, as (tag, attribute, value, rel), and the ids it holds."""

    URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "srcset", "poster", "data", "background"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value is not None:
                self.links.append((tag, name, value, attributes.get("rel") or ""))

    handle_startendtag = handle_starttag


def crawl(root: Path):
    """Follow every link from index.html: (files reached, problems found). A link must be relative, stay in
    the folder and name a file that exists (a folder link would show a listing from disk, not its page)."""
    parsed: dict[str, Links] = {}

    def page(rel):
        if rel not in parsed:
            parsed[rel] = Links((root / rel).read_text(encoding="utf-8"))
        return parsed[rel]

    reached, queue, problems = set(), ["index.html"], []
    while queue:
        rel = queue.pop()
        if rel in reached:
            continue
        reached.add(rel)
        if not rel.endswith(".html"):
            continue
        here = page(rel)
        for tag, attribute, value, link_rel in here.links:
            where = f"{rel}: <{tag} {attribute}={value!r}>"
            parts = urlsplit(value)
            if value.startswith("#"):
                if value[1:] not in here.ids:
                    problems.append(f"{where} points to no id of the page")
                continue
            if tag == "link" and "icon" in link_rel.split() and value.startswith("data:"):
                continue  # an empty icon written in the page, so chromium asks for no favicon.ico
            if parts.scheme or parts.netloc or value.startswith(("/", "\\")):
                problems.append(f"{where} is not a relative link inside the folder")
                continue
            target = (root / rel).parent.joinpath(unquote(parts.path)).resolve()
            if not target.is_relative_to(root):
                problems.append(f"{where} leaves the folder")
            elif not target.is_file():
                problems.append(f"{where} names no file")
            else:
                target_rel = target.relative_to(root).as_posix()
                if parts.fragment and target_rel.endswith(".html") and parts.fragment not in page(target_rel).ids:
                    problems.append(f"{where} points to no id of {target_rel}")
                queue.append(target_rel)
    return reached, problems


def test_every_link_of_every_page_leads_to_a_file_of_the_folder(site):
    reached, problems = crawl(site)
    assert not problems, f"{len(problems)} broken links, e.g. {problems[:5]}"
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    # a page per scope and year, and an overview per state and site: no page per month
    records = json.loads((site / "data" / "indicators.json").read_text(encoding="utf-8"))["records"]
    slugs = {"all": "nacional", "state": "estado-", "site": "sitio-"}
    folders = {r["scope"]: slugs[r["scope"].partition(":")[0]] + r["scope"].partition(":")[2] for r in records}
    assert len(folders) == 1 + 8 + 19
    expected = {"index.html", "metodologia.html"} | {f"{f}/index.html" for f in folders.values() if f != "nacional"}
    expected |= {f"{folders[r['scope']]}/{r['period']}.html" for r in records if len(r["period"]) == 4}
    assert {"nacional/2010.html", "nacional/2026.html", "sitio-CDMX-IZT/2026.html"} <= expected
    assert pages == expected, sorted(pages ^ expected)[:5]
    assert pages <= reached, f"pages no link leads to: {sorted(pages - reached)[:5]}"
    assert {"data/indicators.json", "data/indicators.csv", "static/summary.css", "metodologia.html"} <= reached
    css = (site / "static" / "summary.css").read_text(encoding="utf-8")
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css):
        assert ref.startswith("data:") or (site / "static" / ref).resolve().is_file(), ref
    assert not re.search(r"https?:|//[a-z]", css, re.IGNORECASE)
    for rel in pages:  # nothing written to be fetched at run time
        html = (site / rel).read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.IGNORECASE), rel
        assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE), rel


def sample_pages(root: Path) -> list[str]:
    """The home page, the methodology, a state's and a site's overview, and the years of each kind of scope
    (country, state, site): every template the site has."""
    pages = ["index.html", "metodologia.html"]
    for pattern in ("nacional", "estado-*", "sitio-*"):
        folder = sorted(root.glob(pattern))[0]
        if (folder / "index.html").is_file():
            pages.append(f"{folder.name}/index.html")
        pages += sorted(f"{folder.name}/{p.name}" for p in folder.glob("[0-9][0-9][0-9][0-9].html"))
    return pages


class Watch:
    """A chromium context that records every request (and refuses any that is not file://), every failed
    load, every console error and every uncaught script error."""

    def __init__(self, chromium, root: Path, **options):
        self.root = root
        self.requests, self.errors = [], []
        self.context = chromium.new_context(accept_downloads=True, locale="es-MX", **options)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", self._failed)
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _failed(self, request):
        # a link to a file chromium saves rather than shows ends its navigation as "aborted": that is the
        # download working (the test compares the saved bytes), not a failure
        if request.failure == "net::ERR_ABORTED" and request.url.endswith(".csv"):
            return
        self.errors.append(f"failed {request.url}: {request.failure}")

    def _route(self, route):
        self.requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    def url(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    def outside(self) -> list[str]:
        """Requests that were not for a file of the folder."""
        return [url for url in self.requests if not url.startswith("file://")
                or not Path(unquote(urlsplit(url).path)).resolve().is_relative_to(self.root)]


@pytest.mark.slow
def test_the_site_opens_from_disk_in_chromium_without_network_or_errors(chromium, site):
    watch = Watch(chromium, site)
    page = watch.page
    for rel in sample_pages(site):
        response = page.goto(watch.url(rel))
        assert response is not None and response.ok, rel
        assert page.title() and page.locator("h1").first.is_visible(), rel
        assert page.evaluate("document.documentElement.lang") == "es"
        assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == BRAND_BLUE, rel
        # the browser's own reading of every link: a file:// URL of a file in the folder
        targets = page.eval_on_selector_all("a[href], link[href], img[src], iframe[src], script[src]",
                                            "els => els.map(e => [e.tagName, e.rel || '', e.href || e.src])")
        assert targets, rel
        for tag, link_rel, url in targets:
            if tag == "LINK" and link_rel == "icon" and url.startswith("data:"):
                continue
            assert url.startswith("file://"), (rel, url)
            target = Path(unquote(urlsplit(url).path))
            assert target.resolve().is_relative_to(site) and target.is_file(), (rel, url)
    assert {watch.url("static/summary.css")} <= set(watch.requests)

    # the data files, from the home page's links
    page.goto(watch.url("index.html"))
    with page.expect_navigation():
        page.get_by_role("link", name="indicators.json").click()
    assert page.url == watch.url("data/indicators.json")
    assert '"max_change": 2' in page.locator("body").inner_text()
    page.goto(watch.url("index.html"))
    with page.expect_download() as download:
        page.get_by_role("link", name="indicators.csv").click()
    assert Path(download.value.path()).read_bytes() == (site / "data" / "indicators.csv").read_bytes()

    # a coordinator's way down by clicking: a state, one of its sites, its latest year, an earlier year, the
    # site again from the crumbs, and back home
    page.goto(watch.url("index.html"))
    steps = [(page.locator("ul.places").get_by_role("link", name="Ciudad de México"), r"/estado-09/index\.html"),
             (page.locator("ul.places").get_by_role("link", name="Centro de Salud Iztapalapa"),
              r"/sitio-CDMX-IZT/index\.html"),
             (page.locator("table.compare a").first, r"/sitio-[A-Z0-9-]+/2026\.html"),
             (page.locator("nav.periods a").first, r"/sitio-[A-Z0-9-]+/2010\.html"),
             (page.locator("nav.crumbs a").last, r"/sitio-[A-Z0-9-]+/index\.html"),
             (page.get_by_role("link", name="Cómo se hacen las cifras").first, r"/metodologia\.html"),
             (page.get_by_role("link", name="Todo el país").first, r"/resumen/index\.html")]
    for target, where in steps:
        target.click()
        page.wait_for_load_state()
        assert re.search(where + "$", page.url), (where, page.url)
        if re.search(r"/2010\.html$", page.url):  # a year's page: its figures and answers, a column a month
            heads = page.locator("table.by-month").first.locator("thead th").all_inner_texts()
            assert heads[1:] == ["Año 2010", "Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct",
                                 "Nov", "Dic"], heads
            assert page.locator("table.by-month").count() == 2
    assert page.url == watch.url("index.html")

    assert len(watch.requests) > 20
    assert not watch.outside(), watch.outside()[:5]
    assert not watch.errors, watch.errors[:5]
    watch.context.close()


@pytest.mark.slow
def test_pages_fit_a_phone_and_a_years_months_scroll_in_their_own_box(phone, site):
    states = sorted(site.glob("estado-*"))
    for rel in ("index.html", "nacional/2010.html", f"{states[0].name}/2010.html", f"{states[0].name}/index.html",
                "sitio-CDMX-IZT/index.html", "metodologia.html"):
        response = phone.goto((site / rel).as_uri())
        assert response is not None and response.ok, rel
        assert phone.evaluate("window.innerWidth") == 360
        assert no_horizontal_scroll(phone), rel
    # twelve months are wider than a phone: the table scrolls inside its own box, the page does not, and the
    # names of the rows stay in view while the months go by
    phone.goto((site / "nacional/2010.html").as_uri())
    box = phone.locator(".months-wrap").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth + 100")
    name = box.locator("th[scope=row]").first
    december = box.locator("thead th").last
    before = name.bounding_box()
    assert december.inner_text() == "Dic" and december.bounding_box()["x"] > 360
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    after, last = name.bounding_box(), december.bounding_box()
    assert after["x"] == pytest.approx(before["x"], abs=1) and after["width"] == pytest.approx(before["width"])
    assert 0 <= last["x"] and last["x"] + last["width"] <= 360 + 1
    assert no_horizontal_scroll(phone)
    assert not phone.console_errors, phone.console_errors
    # (axe reads the stylesheet with a request that file:// refuses: its console message is not the page's)
    for rel in ("nacional/2010.html", "sitio-CDMX-IZT/index.html"):  # tables, charts and their captions
        phone.goto((site / rel).as_uri())
        assert not axe_violations(phone), rel


CHARTS = """() => [...document.querySelectorAll('main svg')].map(svg => {
  const figure = svg.closest('figure'), caption = figure && figure.querySelector('figcaption');
  const texts = [...svg.querySelectorAll('text')];
  return {caption: caption && caption.offsetHeight > 0 ? caption.innerText.trim() : null,
          labels: texts.filter(t => !t.classList.contains('value')).map(t => t.textContent),
          values: texts.filter(t => t.classList.contains('value')).map(t => t.textContent),
          bars: svg.querySelectorAll('rect').length,
          smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))};
})"""


@pytest.mark.slow
def test_every_chart_has_a_visible_title_its_values_and_text_a_phone_can_read(phone, site):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    seen = 0
    for rel in pages:
        phone.goto((site / rel).as_uri())
        charts = phone.evaluate(CHARTS)
        if rel.endswith("2010.html") or rel == "index.html" or rel.endswith("/index.html"):
            assert len(charts) == 4, rel  # a year's figures (an overview shows its latest year's)
        for chart in charts:
            seen += 1
            assert chart["caption"], (rel, chart)  # a title written on the page, not a tooltip
            assert chart["labels"] and len(chart["values"]) == len(chart["labels"]), (rel, chart)
            assert all(v.strip() for v in chart["values"]) and chart["bars"] <= len(chart["values"]), (rel, chart)
            assert chart["smallest"] >= 12, (rel, chart["caption"], chart["smallest"])
    assert seen > 100
    # a chart says what the table beside it says: the men who joined each month of 2010, in the whole country
    phone.goto((site / "nacional/2010.html").as_uri())
    enrolment = phone.evaluate(CHARTS)[0]
    assert enrolment["caption"] == "Hombres que ingresaron, mes por mes, 2010"
    row = phone.locator("table.by-month tr", has=phone.locator("th", has_text=re.compile("^Hombres que ingresaron$")))
    cells = row.locator("td").all_inner_texts()
    assert enrolment["labels"] == ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"]
    assert enrolment["values"] == cells[1:] and cells[0] == "1,257"  # the year's 1,257 men, as PRODUCT.md says
    assert not phone.console_errors, phone.console_errors


def test_a_states_own_summary_opens_from_disk_and_leads_only_to_that_state(chromium, demo_summary, tmp_path_factory):
    """Ciudad de México's coordinator opens the summary built with --state 09 from a USB stick."""
    app, _out, _report = demo_summary
    out = (tmp_path_factory.mktemp("state") / "resumen-09").resolve()
    result = app.test_cli_runner().invoke(args=["freeze", "--state", "09", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reached, problems = crawl(out)
    assert not problems, problems[:5]
    with app.app_context():
        codes = {site.code for site in list_sites(get_registry()) if site.state == "09"}
    folders = {rel.split("/")[0] for rel in reached if "/" in rel} - {"static", "data"}
    assert len(codes) >= 2 and folders == {"nacional", "estado-09"} | {f"sitio-{code}" for code in codes}, folders
    assert {p.name for p in out.iterdir() if p.is_dir()} == folders | {"static", "data"}

    watch = Watch(chromium, out)
    page = watch.page
    page.goto(watch.url("index.html"))
    assert "Ciudad de México" in page.locator("p.lead").inner_text()
    # the country's figures are named as the whole country (not "all sites": the summary holds one state's)
    assert page.get_by_role("navigation", name="Menú principal").get_by_role("link").all_inner_texts()[:2] == \
        ["Ciudad de México", "Todo el país"]
    assert page.get_by_role("heading", name=re.compile(r"^Todo el país en \d{4}, el año más reciente, para comparar$")
                            ).is_visible()
    assert "Todos los sitios" not in page.content()
    page.get_by_role("link", name="Ver las cifras de Ciudad de México y sus sitios").click()
    page.wait_for_load_state()
    assert page.url.endswith("/estado-09/index.html")
    assert page.locator("nav.crumbs a").first.inner_text() == "Todo el país"
    sites = page.locator("ul.places a")
    assert sites.count() >= 1
    sites.first.click()
    page.wait_for_load_state()
    assert re.search(r"/sitio-CDMX-[A-Z]+/index\.html$", page.url), page.url
    assert page.locator("h1").first.is_visible()
    page.go_back()
    page.wait_for_load_state()
    assert page.url.endswith("/estado-09/index.html")
    # the country's year page says why its table of states holds one row
    page.goto(watch.url(next(rel for rel in sorted(reached) if re.fullmatch(r"nacional/\d{4}\.html", rel))))
    assert page.get_by_text(re.compile(r"Las cifras principales de Ciudad de México en \d{4} \(este resumen es para "
                                       r"su coordinación: no incluye ningún otro estado\)")).is_visible()
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Ciudad de México").click()
    page.wait_for_load_state()
    assert page.url.endswith("/estado-09/index.html")
    assert not watch.outside() and not watch.errors, (watch.outside()[:3], watch.errors[:3])
    watch.context.close()
