"""The coordinators' static summary (``flask --app portal freeze``): disclosure control, what the
pages and data files say, what never leaves a site, the zip and its checksums, rebuilds, the command."""
import csv
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import date
from html.parser import HTMLParser

import pytest
from fixtures import make_app
from summary_data import YEAR, fill_sites, freeze, record_of, site_data

from portal import FORMS_FOLDER
from portal.attendance import save_session
from portal.db import get_site_store
from portal.disclosure import flatten
from portal.freeze import create_summary_app
from portal.indicators import compute, pct, select_scope
from portal.storage import site_path
from portal.summary.model import Record, summarise
from portal.summary.pages import cell

# PRODUCT.md section 8: every record of data/indicators.json has these, by these names.
INDICATOR_KEYS = ("enrolled", "mean_age", "referral_source", "main_reason", "risk_level", "sessions_held",
                  "attendances", "mean_attendance_per_session", "sessions_outside_health_centre_pct",
                  "active_participants", "attended_any_pct", "attended_13_plus_pct", "attended_over_75_pct",
                  "mean_sessions_attended", "exits", "exit_reason", "exit_questionnaires", "strategy_used_pct",
                  "family_change_better_pct", "paired", "recognition_intake_mean", "recognition_exit_mean",
                  "recognition_change_mean")
BREAKDOWN_VALUES = {
    "referral_source": ("friends", "partner_invitation", "health_staff", "justice", "media", "self", "other"),
    "main_reason": ("improve_family", "stop_violence", "partner_request", "legal", "other"),
    "risk_level": ("low", "medium", "high"),
    "exit_reason": ("completed", "dropped_out", "transferred", "other"),
}
MONTHS = ("Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic")
MAN_CODE = re.compile(rb"SITE-[A-C]-\d{4}-\d{4}")
PLANTED = re.compile(rb"XQZ", re.IGNORECASE)  # in every free-text answer of the crafted data


# --- reading the output back ----------------------------------------------------------------------------------

class Tables(HTMLParser):
    """Every table of a page: its caption and its rows, each cell as (text, CSS classes inside it). A breakdown's
    cell holds the men and, in a ``pct`` part of its own, their percent: ``own`` and ``pct`` hold the two."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.cell, self.in_caption, self.pct_depth = [], None, False, 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = {"text": "", "classes": classes, "own": {"text": "", "classes": set()},
                         "pct": {"text": "", "classes": set()}}
            self.tables[-1]["rows"][-1].append(self.cell)
        elif self.cell is not None:
            if tag == "span" and (self.pct_depth or "pct" in classes):
                self.pct_depth += 1
            self.cell["classes"] |= classes
            self.cell["pct" if self.pct_depth else "own"]["classes"] |= classes - {"pct"}

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th"):
            self.cell, self.pct_depth = None, 0
        elif tag == "span" and self.pct_depth:
            self.pct_depth -= 1

    def handle_data(self, data):
        if self.in_caption:
            self.tables[-1]["caption"] += data
        elif self.cell is not None:
            self.cell["text"] += data
            self.cell["pct" if self.pct_depth else "own"]["text"] += data

    @staticmethod
    def headers(table):
        return [c["text"].strip() for c in table["rows"][0]] if table["rows"] else []

    def row(self, label):
        """The cells after the row heading ``label`` (the only row with it; a section's heading is no row)."""
        found = [row[1:] for table in self.tables for row in table["rows"]
                 if len(row) > 1 and row[0]["text"].strip() == label]
        assert len(found) == 1, (label, len(found))
        return found[0]

    def at(self, label, column):
        """The cell of the row ``label`` in the column headed ``column`` (a year's "Año 2025", a month's "Sep")."""
        found = [row[self.headers(table).index(column)] for table in self.tables if column in self.headers(table)
                 for row in table["rows"][1:] if len(row) > 1 and row[0]["text"].strip() == label]
        assert len(found) == 1, (label, column, len(found))
        return found[0]

    def column(self, column):
        """Every cell under the heading ``column``, in every table that has it."""
        return [row[self.headers(table).index(column)] for table in self.tables if column in self.headers(table)
                for row in table["rows"][1:] if len(row) > self.headers(table).index(column)]

    def breakdown(self, labels, column):
        """{label: (men, percent)} in the column ``column`` of the section whose rows are exactly these answers."""
        for table in self.tables:
            sections, rows = [], []
            for row in table["rows"][1:] + [[None]]:
                if len(row) == 1:  # a section's heading (or the end): the rows before it are a section
                    sections.append(rows)
                    rows = []
                else:
                    rows.append(row)
            for rows in sections:
                if [row[0]["text"].strip() for row in rows] == labels:
                    i = self.headers(table).index(column)
                    return {row[0]["text"].strip(): (row[i]["own"], row[i]["pct"]) for row in rows}
        raise AssertionError(f"no section with the rows {labels}")


# what the summary's tables call the answers of each breakdown: the men in the third person, never the
# questionnaires' wording
PUBLIC_LABELS = {
    "referral_source": ("Un amigo, familiar o conocido", "Una invitación a su pareja", "Lo envió el centro de salud",
                        "Lo envió un juez, el Ministerio Público u otra autoridad",
                        "Radio, televisión, internet o un cartel", "Lo buscó por su cuenta", "Otra forma"),
    "main_reason": ("Mejorar la relación con su familia", "Dejar atrás la violencia", "Su pareja se lo pidió",
                    "Un asunto legal (juez o Ministerio Público)", "Otra razón"),
    "risk_level": ("Riesgo bajo", "Riesgo medio", "Riesgo alto"),
    "exit_reason": ("Terminó el programa", "Abandonó el programa", "Se cambió a otra sede o servicio",
                    "Otra razón"),
}


def public_labels(name):
    """{answer: the label the summary's tables show}."""
    return dict(zip(BREAKDOWN_VALUES[name], PUBLIC_LABELS[name]))


def values_of(record):
    return {key: value for key, value in record.items() if key not in ("scope", "period", "suppressed", "exact")}


def csv_rows(out):
    with open(out / "data" / "indicators.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def files_of(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def pct_shown(text, value):
    """The percentage ``value`` (one decimal) written anywhere in ``text`` as a number of its own."""
    whole, decimal = f"{value:.1f}".split(".")
    return re.search(rf"(?<![\d.,]){whole}[.,]{decimal}(?!\d)", text) is not None


def sha256sum_check(folder):
    return subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)


# --- the frozen site of the crafted data ----------------------------------------------------------------------

def test_every_figure_is_shown_and_small_ones_are_marked_and_within_the_declared_change(crafted):
    out, data = crafted["out"], crafted["json"]
    assert data["disclosure"] == {"method": "cell-key perturbation", "k": 5, "max_change": 2, "exact": ["all-year"]}
    reasons = public_labels("main_reason")
    # September 2025 at SITE-A: 12 men joined; 6 to improve their family, 5 to stop violence, 1 for another reason
    truth = {"improve_family": 6, "stop_violence": 5, "other": 1}
    for scope, page in (("site:SITE-A", "sitio-SITE-A/2025.html"), ("state:09", "estado-09/2025.html"),
                        ("all", "nacional/2025.html")):
        html = (out / page).read_text(encoding="utf-8")
        assert "oculto" not in html and "&lt;5" not in html
        tables = Tables(html)
        record = record_of(data, scope, "2025-09")
        for reason, true in truth.items():
            count, _share = tables.breakdown(list(reasons.values()), "Sep")[reasons[reason]]
            shown = record["main_reason"][reason]["count"]
            assert count["text"].strip() == str(shown) and abs(shown - true) <= 2 and shown not in (1, 2)
            assert ("few" in count["classes"]) == (0 < shown <= 6)
        assert abs(record["enrolled"] - 12) <= 2 and not record["suppressed"]
        total = record["enrolled"]
        for reason in truth:  # percentages of the published counts
            assert record["main_reason"][reason]["pct"] == pct(record["main_reason"][reason]["count"], total)
    # the same men, the same figure: the site is its state's only site with men in September in Mexico City
    assert record_of(data, "site:SITE-A", "2025-09")["enrolled"] == record_of(data, "state:09", "2025-09")["enrolled"]
    # One man joined SITE-B in November: shown as 0 (a count of 1 is never published), nothing hidden
    record = record_of(data, "site:SITE-B", "2025-11")
    assert record["enrolled"] == 0 and record["mean_age"] is None and not record["suppressed"]
    # a year of the whole country is exact
    year = record_of(data, "all", "2025")
    assert year["exact"] is True and "exact" not in record_of(data, "all", "2025-09")


def test_no_participant_code_or_free_text_leaves_the_site(crafted):
    out, codes, texts = crafted["out"], crafted["codes"], crafted["texts"]
    # the data really hold them: a scan that finds nothing must be looking at something
    stored = b"".join(site_path(crafted["app"].instance_path, code).read_bytes() for code in ("SITE-A", "SITE-B"))
    assert all(code.encode() in stored for code in codes) and all(t.encode() in stored for t in texts)

    def scan(name, content):
        assert not MAN_CODE.search(content), (name, MAN_CODE.search(content).group())
        assert not PLANTED.search(content), name
        for text in texts:
            assert text.encode() not in content and text.lower().encode() not in content.lower(), name
        assert b"Anselmo" not in content and b"Quiroga" not in content, name

    for rel in files_of(out):
        scan(rel, (out / rel).read_bytes())
        scan(rel, rel.encode())
    with zipfile.ZipFile(crafted["report"].zip_path) as archive:
        for info in archive.infolist():
            scan(info.filename, info.filename.encode())
            scan(info.filename, archive.read(info))


def assert_agrees_with_indicator_module(data, sites):
    """Every record's counts are within the declared change of what ``indicators.compute`` gives for the scope and
    period (exact for the country's years where k or more), figures about sessions are as they are, percentages
    are those of the published counts, and nothing else is blank than a figure about fewer than k men."""
    days = [d for s in sites for d in [p["enrolled_on"] for p in s.participants] + [x["date"] for x in s.sessions]
            + [r["submitted_on"] for r in s.responses]]
    assert set(data) >= {"generated_at", "data_as_of", "disclosure", "records"}
    k, change = data["disclosure"]["k"], data["disclosure"]["max_change"]
    assert data["data_as_of"] == max(days)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)?", data["generated_at"])
    assert len(data["records"]) == len({(r["scope"], r["period"]) for r in data["records"]})
    moved = exact = 0
    for record in data["records"]:
        scope, period = record["scope"], record["period"]
        assert set(values_of(record)) == set(INDICATOR_KEYS), (scope, period)
        for name, categories in BREAKDOWN_VALUES.items():
            assert set(record[name]) == set(categories)
            assert all(set(cell) == {"count", "pct"} for cell in record[name].values())
        members = select_scope(sites, scope)
        assert members, scope
        plain = dict(flatten(compute(members, period, data["data_as_of"])))
        shown = dict(flatten(values_of(record)))
        counts = [path for path in plain if path in COUNT_PATHS or path.endswith(".count")]
        for path in counts:
            assert abs(shown[path] - plain[path]) <= change and shown[path] not in (1, 2), (scope, period, path)
            moved += shown[path] != plain[path]
            if scope == "all" and len(period) == 4 and plain[path] >= k:
                assert shown[path] == plain[path], (period, path)
                exact += 1
        for path in ("sessions_held", "sessions_outside_health_centre_pct"):
            assert shown[path] == plain[path]
        for name, whole in (("referral_source", "enrolled"), ("main_reason", "enrolled"), ("exit_reason", "exits")):
            for c in BREAKDOWN_VALUES[name]:
                expected = pct(min(record[name][c]["count"], record[whole]), record[whole]) if record[whole] >= k \
                    else None
                assert record[name][c]["pct"] == expected, (scope, period, name, c)
        for path in record["suppressed"]:  # blank only for want of men
            assert shown[path] is None and plain[path] is not None
    assert moved and exact  # both kinds were really compared


COUNT_PATHS = ("enrolled", "attendances", "active_participants", "exits", "exit_questionnaires", "paired")


@pytest.mark.parametrize("dataset", ["crafted", "demo"])
def test_indicators_json_agrees_with_the_indicator_module(dataset, request):
    if dataset == "crafted":
        crafted = request.getfixturevalue("crafted")
        app, out, report = crafted["app"], crafted["out"], crafted["report"]
    else:
        app, out, report = request.getfixturevalue("demo_summary")
    data = json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))
    sites = site_data(app)
    assert data["disclosure"]["k"] == 5
    assert len(data["records"]) == report.records
    assert_agrees_with_indicator_module(data, sites)
    assert data["data_as_of"] == report.data_as_of


def test_every_scope_has_its_years_and_months_and_a_page_for_each_year(crafted):
    out, data = crafted["out"], crafted["json"]
    periods = {}
    for record in data["records"]:
        periods.setdefault(record["scope"], []).append(record["period"])
    assert set(periods) == {"all", "state:09", "state:14", "site:SITE-A", "site:SITE-B"}  # SITE-C has no data yet
    last = {"site:SITE-A": 10, "state:09": 10, "site:SITE-B": 11, "state:14": 11, "all": 11}
    first = {"site:SITE-A": 9, "state:09": 9, "site:SITE-B": 10, "state:14": 10, "all": 9}
    slugs = {"all": "nacional", "state:09": "estado-09", "state:14": "estado-14", "site:SITE-A": "sitio-SITE-A",
             "site:SITE-B": "sitio-SITE-B"}
    for scope, found in periods.items():
        assert "2025" in found and len(found) == len(set(found))
        months = sorted(p for p in found if len(p) == 7)
        assert {f"2025-{m:02d}" for m in range(first[scope], last[scope] + 1)} <= set(months), scope
        assert months[-1] == f"2025-{last[scope]:02d}", scope  # no month after the scope's latest record
        # a page per year, its months as columns up to the scope's latest record; no page per month
        pages = {p.stem for p in (out / slugs[scope]).glob("*.html") if p.stem != "index"}
        assert pages == {p for p in found if len(p) == 4}, scope
        tables = Tables((out / slugs[scope] / "2025.html").read_text(encoding="utf-8"))
        by_month = [t for t in tables.tables if t["caption"] == "Cifras de 2025, mes por mes"]
        assert len(by_month) == 1, scope
        assert tables.headers(by_month[0])[1:] == ["Año 2025"] + [MONTHS[int(m[5:]) - 1] for m in months], scope
    assert data["data_as_of"] == "2025-11-11"
    assert (out / "estado-09" / "index.html").is_file() and (out / "sitio-SITE-A" / "index.html").is_file()
    overview = (out / "estado-14" / "index.html").read_text(encoding="utf-8")
    assert "Centro de Salud B" in overview and "Centro Comunitario C" in overview  # a new site is listed
    assert "Centro de Salud A" in (out / "estado-09" / "index.html").read_text(encoding="utf-8")

    # a year without a child's data: the child is named without a link, its dashes explained
    page = (out / "estado-14" / "2025.html").read_text(encoding="utf-8")
    rows = {re.sub(r"<[^>]+>", "", row).split(" (")[0]: row for row in re.findall(r'<th scope="row">(.*?)</th>', page)}
    assert rows["Centro de Salud B"] == '<a href="../sitio-SITE-B/2025.html">Centro de Salud B</a>'
    assert rows["Centro Comunitario C"] == \
        'Centro Comunitario C <span class="muted">(sin datos registrados en este periodo)</span>'
    national = (out / "nacional" / "2025.html").read_text(encoding="utf-8")
    assert '<a href="../estado-09/2025.html">Ciudad de México</a>' in national
    assert '<a href="../estado-14/2025.html">Jalisco</a>' in national

    # a state's and a site's front page show their latest year right away, and link to every year
    for folder in ("estado-09", "sitio-SITE-B"):
        overview = (out / folder / "index.html").read_text(encoding="utf-8")
        assert "2025, el año más reciente" in overview and f'<a href="../{folder}/2025.html">2025</a>' in overview
        assert "Cifras de 2025, mes por mes" in overview and overview.count('<figure class="chart">') == 4
        record = record_of(data, {"estado-09": "state:09", "sitio-SITE-B": "site:SITE-B"}[folder], "2025")
        assert Tables(overview).at("Hombres que ingresaron", "Año 2025")["text"] == str(record["enrolled"])
        assert abs(record["enrolled"] - {"estado-09": 12, "sitio-SITE-B": 7}[folder]) <= 2  # adjusted, within 2
    assert "Todo el país en 2025, el año más reciente" in (out / "index.html").read_text(encoding="utf-8")
    assert "Cifras de 2025" not in (out / "sitio-SITE-C" / "index.html").read_text(encoding="utf-8")  # no data


def test_indicators_csv_holds_the_same_as_the_json(crafted):
    out, data = crafted["out"], crafted["json"]
    rows = csv_rows(out)
    assert list(rows[0]) == ["scope", "period", "key", "value", "suppressed"]
    expected = [(r["scope"], r["period"], path, "" if value is None else str(value),
                 "true" if path in r["suppressed"] else "false")
                for r in data["records"] for path, value in flatten(values_of(r))]
    assert [tuple(row.values()) for row in rows] == expected
    assert any(row["suppressed"] == "true" for row in rows) and any(row["value"] == "0" for row in rows)


def test_the_zip_holds_the_folder_and_the_checksums_verify(crafted, tmp_path):
    out, report = crafted["out"], crafted["report"]
    assert report.zip_path == out.with_name("resumen.zip") and report.zip_path.is_file()
    files = files_of(out)
    assert {"index.html", "metodologia.html", "SHA256SUMS", "data/indicators.json", "data/indicators.csv"} <= set(files)
    with zipfile.ZipFile(report.zip_path) as archive:
        assert archive.testzip() is None
        names = [n for n in archive.namelist() if not n.endswith("/")]
        assert sorted(names) == [f"resumen/{rel}" for rel in files]
        for rel in files:
            assert archive.read(f"resumen/{rel}") == (out / rel).read_bytes(), rel
    manifest = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("  ", 1)[1] for line in manifest) == [f for f in files if f != "SHA256SUMS"]
    assert all(re.fullmatch(r"[0-9a-f]{64}  \S.*", line) for line in manifest)
    check = sha256sum_check(out)
    assert check.returncode == 0, check.stdout + check.stderr

    copy_of = tmp_path / "copia"
    shutil.copytree(out, copy_of)
    page = copy_of / "sitio-SITE-A" / "2025.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>13</p></main>", 1), encoding="utf-8")
    check = sha256sum_check(copy_of)
    assert check.returncode != 0 and "sitio-SITE-A/2025.html: FAILED" in check.stdout
    (copy_of / "data" / "indicators.csv").unlink()
    assert sha256sum_check(copy_of).returncode != 0


def test_pages_are_in_spanish(crafted):
    out = crafted["out"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Todo el país" in index and "Todos los sitios" not in index and "Cómo se hacen las cifras" in index
    methodology = (out / "metodologia.html").read_text(encoding="utf-8")
    assert "<h1>Cómo se hacen las cifras</h1>" in methodology and "k = 5" in methodology
    english = ["All sites", "How the figures are made", "Men who joined", "Sessions held", "Breakdowns", "hidden<",
               "Charts", "Data up to", "Year by year", "fewer than", "month by month", "latest year", ">Year "]
    # the answers are named for the public, not as the questionnaires word them for a man or a facilitator
    questionnaire_words = ["explíquelo", "Observaciones", "Me lo recomendó", "Me envió", "mi familia", "Mi pareja"]
    for rel in files_of(out):
        if rel.endswith(".html"):
            html = (out / rel).read_text(encoding="utf-8")
            assert '<html lang="es">' in html, rel
            assert not [word for word in english if word in html], rel
            assert not [words for words in questionnaire_words if words in html], rel
    year = (out / "sitio-SITE-A" / "2025.html").read_text(encoding="utf-8")
    assert '<abbr title="Septiembre de 2025">Sep</abbr>' in year and "Año 2025" in year


def test_figures_are_written_as_the_sheet_and_the_portal_write_them(crafted):
    """portal/numbers.py: the percent sign right after the number, decimals with a point (no "58.3 %")."""
    out = crafted["out"]
    tables = Tables((out / "sitio-SITE-A" / "2025.html").read_text(encoding="utf-8"))
    referrals = public_labels("referral_source")
    record = record_of(crafted["json"], "site:SITE-A", "2025-09")
    friends = record["referral_source"]["friends"]["pct"]  # 7 of 12 men, as published
    assert tables.breakdown(list(referrals.values()), "Sep")[referrals["friends"]][1]["text"] == f"{friends:.1f}%"
    assert tables.at("Sesiones fuera del centro de salud", "Sep")["text"] == "20.0%"
    assert tables.at("Edad promedio al ingresar", "Sep")["text"] == "36.5"
    for rel in files_of(out):
        if rel.endswith(".html"):
            html = (out / rel).read_text(encoding="utf-8")
            assert not re.search(r"\d(\s|&nbsp;|&#160;)+%|\d,\d%", html), rel


def test_a_small_figure_is_marked_a_figure_about_too_few_men_is_a_dash(crafted):
    """Counts that may stand for fewer than k men carry the legend's mark (not at an exact level); a figure
    with nothing (or too few men) to compute it from is a dash."""
    summary_app = create_summary_app(summarise([], 5, "2025-12-01T10:00:00-06:00"),
                                     crafted["app"].extensions["questionnaires"], crafted["out"])
    tally = Counter({"enrolled": 4, "#enrolled": 0, "age_n": 4, "#age_n": 0, "age_sum": 140})
    with summary_app.test_request_context():
        adjusted, exact = Record(tally, 5), Record(tally, 5, exact=True)
        assert str(cell(adjusted, "enrolled", "count")) == '<span class="few">3</span>'
        assert str(cell(exact, "enrolled", "count")) == '<span class="few">3</span>'  # small: adjusted there too
        assert str(cell(Record(Counter(enrolled=40, **{"#enrolled": 0}), 5, exact=True), "enrolled", "count")) == "40"
        assert str(cell(adjusted, "mean_age", "mean")) == '<span class="absent">—</span>'


def test_the_summary_app_holds_the_summary_pages_alone(crafted):
    app = crafted["app"]
    summary_app = create_summary_app(summarise([], 5, "2025-12-01T10:00:00-06:00"), app.extensions["questionnaires"],
                                     crafted["out"])
    endpoints = {rule.endpoint for rule in summary_app.url_map.iter_rules()}
    assert endpoints and all(e.startswith("summary.") for e in endpoints), endpoints
    assert {"summary.home", "summary.methodology"} <= endpoints
    portal_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    staff_like = {e for e in portal_endpoints if not e.startswith("summary.")}
    assert staff_like and not staff_like & endpoints  # the portal's own pages (sign-in, sites, forms) are not there
    rules = [rule.rule for rule in summary_app.url_map.iter_rules()]
    assert not [r for r in rules if re.search(r"entrar|salir|sitio/|cuestionario|admin", r)], rules


# --- the command ----------------------------------------------------------------------------------------------

def test_freeze_command_prints_spanish_and_applies_k(crafted, tmp_path):
    runner = crafted["app"].test_cli_runner()
    result = runner.invoke(args=["freeze", "--out", str(tmp_path / "resumen")])
    assert result.exit_code == 0, result.output
    assert re.search(r"Resumen de 3 sitios: \d+ páginas", result.output), result.output
    assert "sha256sum -c SHA256SUMS" in result.output and str(tmp_path / "resumen.zip") in result.output
    data = json.loads((tmp_path / "resumen" / "data" / "indicators.json").read_text(encoding="utf-8"))
    assert data["disclosure"]["k"] == 5
    assert_agrees_with_indicator_module(data, site_data(crafted["app"]))

    result = runner.invoke(args=["freeze", "--out", str(tmp_path / "k3"), "--k", "3"])
    assert result.exit_code == 0, result.output
    k3 = json.loads((tmp_path / "k3" / "data" / "indicators.json").read_text(encoding="utf-8"))
    assert k3["disclosure"]["k"] == 3
    assert_agrees_with_indicator_module(k3, site_data(crafted["app"]))
    # a mean or percentage over 3 or 4 men (as published) is shown with k = 3, blank with k = 5
    blank5 = {(r["scope"], r["period"], path) for r in data["records"] for path in r["suppressed"]}
    blank3 = {(r["scope"], r["period"], path) for r in k3["records"] for path in r["suppressed"]}
    assert blank3 < blank5
    html = (tmp_path / "k3" / "metodologia.html").read_text(encoding="utf-8")
    assert "k = 3" in html
    assert "k = 3" in (tmp_path / "k3" / "metodologia.html").read_text(encoding="utf-8")

    result = runner.invoke(args=["freeze", "--out", str(tmp_path / "k1"), "--k", "1"])
    assert result.exit_code != 0 and not (tmp_path / "k1" / "index.html").exists()


def test_freeze_command_refuses_a_folder_with_other_files(crafted, tmp_path):
    runner = crafted["app"].test_cli_runner()
    busy = tmp_path / "documentos"
    busy.mkdir()
    (busy / "informe.docx").write_bytes(b"not mine")
    result = runner.invoke(args=["freeze", "--out", str(busy)])
    assert result.exit_code != 0
    assert "ya tiene otros archivos" in result.output and str(busy) in result.output
    assert (busy / "informe.docx").read_bytes() == b"not mine" and sorted(busy.iterdir()) == [busy / "informe.docx"]
    assert not busy.with_name("documentos.zip").exists()

    empty = tmp_path / "vacia"
    empty.mkdir()
    result = runner.invoke(args=["freeze", "--out", str(empty)])
    assert result.exit_code == 0, result.output
    assert (empty / "index.html").is_file() and (empty / "SHA256SUMS").is_file()
    result = runner.invoke(args=["freeze", "--out", str(empty)])  # an earlier summary: brought up to date
    assert result.exit_code == 0, result.output
    assert sha256sum_check(empty).returncode == 0

    # a file where the folder should go: a clear message, not a traceback
    (tmp_path / "memoria").write_bytes(b"")
    result = runner.invoke(args=["freeze", "--out", str(tmp_path / "memoria" / "resumen")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "No se hizo el resumen" in result.output and "Revise que haya espacio libre" in result.output
    assert "hay un archivo con el nombre que necesita una carpeta" in result.output
    assert "Traceback" not in result.output


# --- rebuilding -----------------------------------------------------------------------------------------------

def snapshot(folder):
    return {rel: ((folder / rel).stat().st_mtime_ns, (folder / rel).read_bytes()) for rel in files_of(folder)}


def test_a_rebuild_renders_only_the_pages_that_changed(app, tmp_path):
    fill_sites(app)
    out = tmp_path / "resumen"
    first = freeze(app, out, generated_at="2025-11-12T09:00:00-06:00")
    assert first.rendered == first.pages and first.pages == len([f for f in files_of(out) if f.endswith(".html")])
    before = snapshot(out)

    again = freeze(app, out, generated_at="2025-11-12T09:30:00-06:00")  # nothing changed but the time
    assert again.rendered <= 3 and again.pages == first.pages
    after = snapshot(out)
    assert set(after) == set(before)
    moved = {rel for rel in after if after[rel][1] != before[rel][1]}
    assert moved <= {"index.html", "data/indicators.json", "SHA256SUMS"}, moved
    touched = {rel for rel in after if after[rel][0] != before[rel][0]}
    assert not [rel for rel in touched if rel.endswith(".html") and rel != "index.html"], touched
    assert "2025-11-12T09:30:00-06:00" in (out / "data" / "indicators.json").read_text(encoding="utf-8")
    assert sha256sum_check(out).returncode == 0

    # a session more at SITE-A (Ciudad de México) in October
    with app.app_context():
        store = get_site_store("SITE-A")
        men = sorted(p["code"] for p in store.read().all("participants"))
        save_session(store, group_code="2025-A", number=10, held_on=date(YEAR, 10, 29), venue="online",
                     present=men[:7], sessions_in_program=24, user="fac_a")
    third = freeze(app, out, generated_at="2025-11-12T10:00:00-06:00")
    after = snapshot(out)
    changed = {rel for rel in after if after[rel][1] != before[rel][1]}
    touched = {rel for rel in after if after[rel][0] != before[rel][0]}
    for rel in ("sitio-SITE-A/2025.html", "sitio-SITE-A/index.html", "estado-09/2025.html", "estado-09/index.html",
                "nacional/2025.html",
                "index.html", "data/indicators.json", "data/indicators.csv", "SHA256SUMS"):
        assert rel in changed, rel
    other_state = {rel for rel in after if rel.startswith(("estado-14/", "sitio-SITE-B/"))}
    assert other_state and not other_state & (changed | touched)  # Jalisco's pages were left alone
    assert "static/summary.css" not in changed
    may_change = {rel for rel in after if rel.endswith(".html") and
                  rel.startswith(("sitio-SITE-A/", "estado-09/", "nacional/", "index.html", "metodologia.html"))}
    html_changed = {rel for rel in changed if rel.endswith(".html")}
    assert html_changed <= may_change
    assert len(html_changed) <= third.rendered <= len(may_change) < third.pages

    data = json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))
    assert record_of(data, "site:SITE-A", "2025-10")["sessions_held"] == 5
    assert record_of(data, "all", "2025-10")["sessions_held"] == 5 + 4
    tables = Tables((out / "sitio-SITE-A" / "2025.html").read_text(encoding="utf-8"))
    assert tables.at("Sesiones realizadas", "Oct")["text"].strip() == "5"
    assert sha256sum_check(out).returncode == 0
    with zipfile.ZipFile(third.zip_path) as archive:  # the data files' records of Jalisco were copied packed
        assert archive.testzip() is None
        for rel in ("sitio-SITE-A/2025.html", "SHA256SUMS", "data/indicators.json", "data/indicators.csv"):
            assert archive.read(f"resumen/{rel}") == (out / rel).read_bytes(), rel

    # the data files changed by hand: the next build writes them again from the figures, not from what it finds
    for rel, marker in (("data/indicators.json", '"sessions_held": 5,'), ("data/indicators.csv", "sessions_held,5,")):
        text = (out / rel).read_text(encoding="utf-8")
        assert marker in text, rel
        (out / rel).write_text(text.replace(marker, marker.replace("5", "50")), encoding="utf-8")
    mended = freeze(app, out)
    assert json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))["records"] == data["records"]
    assert "sessions_held,50," not in (out / "data" / "indicators.csv").read_text(encoding="utf-8")
    with zipfile.ZipFile(mended.zip_path) as archive:
        for rel in ("data/indicators.json", "data/indicators.csv"):
            assert archive.read(f"resumen/{rel}") == (out / rel).read_bytes(), rel

    # a page lost from the folder comes back
    (out / "sitio-SITE-B" / "2025.html").unlink()
    freeze(app, out)
    assert (out / "sitio-SITE-B" / "2025.html").read_bytes() == before["sitio-SITE-B/2025.html"][1]

    # a page changed by hand is written again, not vouched for by the new manifest; a file slipped into the
    # folder (or its data/) is removed
    edited = out / "sitio-SITE-B" / "index.html"
    edited.write_text(edited.read_text(encoding="utf-8").replace("</h1>", " (cifras corregidas)</h1>", 1),
                      encoding="utf-8")
    (out / "data" / "notas.txt").write_text("SITE-B-2025-0001", encoding="utf-8")
    (out / "sitio-SITE-B" / "extra.html").write_text("<p>hola</p>", encoding="utf-8")
    rebuilt = freeze(app, out)
    assert edited.read_bytes() == before["sitio-SITE-B/index.html"][1]
    assert not (out / "data" / "notas.txt").exists() and not (out / "sitio-SITE-B" / "extra.html").exists()
    assert rebuilt.rendered < rebuilt.pages
    assert sha256sum_check(out).returncode == 0
    with zipfile.ZipFile(rebuilt.zip_path) as archive:
        assert archive.read("resumen/sitio-SITE-B/index.html") == edited.read_bytes()
        assert "resumen/data/notas.txt" not in archive.namelist()


def test_the_summary_names_answers_in_its_own_words_whatever_the_questionnaire_says(app, tmp_path):
    """Staff reword an answer in forms/intake.yaml and run the freeze again: the public tables keep their own
    label for it (a man's first-person wording never reaches them), and every page is still the summary's."""
    fill_sites(app)
    out = tmp_path / "resumen"
    result = app.test_cli_runner().invoke(args=["freeze", "--out", str(out)])
    assert result.exit_code == 0, result.output
    old, public = "Me lo recomendó un amigo, un familiar o un conocido", "Un amigo, familiar o conocido"
    page = (out / "sitio-SITE-B" / "2025.html").read_text(encoding="utf-8")
    assert public in page and old not in page
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_FOLDER, forms)
    intake = (forms / "intake.yaml").read_text(encoding="utf-8")
    assert intake.count(old) == 1
    reworded_text = intake.replace(old, "Por recomendación de alguien cercano")
    # a changed definition carries a new version (form_versions.py), or the portal does not start
    (forms / "intake.yaml").write_text(reworded_text.replace('version: "2026.1"', 'version: "2026.2"'), encoding="utf-8")
    reworded = make_app(app.instance_path, FORMS_FOLDER=str(forms))
    result = reworded.test_cli_runner().invoke(args=["freeze", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = [(out / rel).read_text(encoding="utf-8") for rel in files_of(out) if rel.endswith(".html")]
    assert not [html for html in pages if old in html or "Por recomendación de alguien cercano" in html]
    assert public in (out / "sitio-SITE-B" / "2025.html").read_text(encoding="utf-8")
    assert sha256sum_check(out).returncode == 0


def test_two_summaries_built_in_turn_each_keep_a_zip_equal_to_their_folder(app, tmp_path):
    """A coordinator's copy with k = 3 and the usual one with k = 5, built one after the other from the same
    instance: neither build may take the other's record of what its zip holds."""
    fill_sites(app)
    usual, other = tmp_path / "resumen", tmp_path / "otro" / "resumen"
    freeze(app, usual, k=5)
    freeze(app, other, k=3)
    report = freeze(app, usual, k=3)  # now the pages of `usual` are those `other` has
    assert (usual / "sitio-SITE-B" / "2025.html").read_bytes() == \
        (other / "sitio-SITE-B" / "2025.html").read_bytes()
    with zipfile.ZipFile(report.zip_path) as archive:
        stale = [rel for rel in files_of(usual) if archive.read(f"resumen/{rel}") != (usual / rel).read_bytes()]
    assert not stale, stale[:5]


def test_no_page_for_a_year_without_data():
    from collections import Counter

    from portal.summary.model import SiteTallies, summarise

    tallies = {"2010": Counter(enrolled=7), "2010-03": Counter(enrolled=7),
               "2026": Counter(enrolled=6), "2026-11": Counter(enrolled=6)}
    summary = summarise([SiteTallies("SITE-A", "Centro A", "09", tallies, "2010-03-02", "2026-11-20")], 5,
                        "2026-12-03T10:00:00-06:00")
    assert summary.scopes["site:SITE-A"].years == ["2010", "2026"]
    assert summary.scopes["all"].years == ["2010", "2026"]
    assert "2017" not in {period for _key, period in summary.records}
