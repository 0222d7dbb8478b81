"""The frozen summary opened from its folder (file://) in Debian's chromium, as a coordinator opens it from a
USB stick: every link of every page leads to a file of the folder, nothing is asked of the network, no
console error, and the home page and a period page fit a phone."""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser import no_horizontal_scroll
from test_summary import demo_summary

pytestmark = pytest.mark.browser

BRAND_BLUE = "rgb(11, 90, 138)"  # the header of summary.css: the stylesheet was found and applied


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo year's summary (19 sites, 8 states, about 400 pages)."""
    _app, out, _report = demo_summary(tmp_path_factory)
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
    assert len(pages) > 300
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
    """The home page, the methodology, a state's and a site's overview, and a year and a month of each kind
    of scope (country, state, site): every template the site has."""
    pages = ["index.html", "metodologia.html"]
    for pattern in ("nacional", "estado-*", "sitio-*"):
        folder = sorted(root.glob(pattern))[0]
        if (folder / "index.html").is_file():
            pages.append(f"{folder.name}/index.html")
        years = sorted(p.name for p in folder.glob("[0-9][0-9][0-9][0-9].html"))
        months = sorted(p.name for p in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].html"))
        pages += [f"{folder.name}/{years[0]}", f"{folder.name}/{months[len(months) // 2]}"]
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
    assert '"suppression_k": 5' in page.locator("body").inner_text()
    page.goto(watch.url("index.html"))
    with page.expect_download() as download:
        page.get_by_role("link", name="indicators.csv").click()
    assert Path(download.value.path()).read_bytes() == (site / "data" / "indicators.csv").read_bytes()

    # a coordinator's way down by clicking: a state, one of its sites, a year, a month, and back home
    page.goto(watch.url("index.html"))
    steps = [(page.locator("ul.places a").first, r"/estado-\d\d/index\.html"),
             (page.locator("ul.places a").first, r"/sitio-[A-Z0-9-]+/index\.html"),
             (page.locator("table.compare a").first, r"/sitio-[A-Z0-9-]+/\d{4}\.html"),
             (page.locator("nav.periods a").last, r"/sitio-[A-Z0-9-]+/\d{4}-\d\d\.html"),
             (page.get_by_role("link", name="Cómo se hacen las cifras").first, r"/metodologia\.html"),
             (page.get_by_role("link", name="Todos los sitios").first, r"/resumen/index\.html")]
    for target, where in steps:
        target.click()
        page.wait_for_load_state()
        assert re.search(where + "$", page.url), (where, page.url)
        if re.search(r"/\d{4}-\d\d\.html$", page.url):  # a month's page holds every table
            assert page.locator("table.indicators").count() >= 5
    assert page.url == watch.url("index.html")

    assert len(watch.requests) > 20
    assert not watch.outside(), watch.outside()[:5]
    assert not watch.errors, watch.errors[:5]
    watch.context.close()


def test_home_and_period_pages_fit_a_phone(phone, site):
    states = sorted(site.glob("estado-*"))
    for rel in ("index.html", "nacional/2010-03.html", f"{states[0].name}/2010.html", "metodologia.html"):
        response = phone.goto((site / rel).as_uri())
        assert response is not None and response.ok, rel
        assert phone.evaluate("window.innerWidth") == 360
        assert no_horizontal_scroll(phone), rel
    # the comparison tables are wider than a phone: they scroll inside their own box, the page does not
    phone.goto((site / "nacional/2010-03.html").as_uri())
    assert phone.locator(".table-wrap").count() >= 1
    assert no_horizontal_scroll(phone)
    assert not phone.console_errors, phone.console_errors
