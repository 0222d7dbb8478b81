import json
import re
import subprocess

import pytest
from fixtures import PASSWORDS, copy_instance, fill_demo_instance, fill_test_instance, make_app
from summary_data import fill_sites, freeze, new_instance

from portal import registry
from portal.db import get_registry
from portal.registry import add_site, check_site

pytest_plugins = ["browser"]  # the real-browser fixtures: chromium, live, phone

# Passwords hashed at a small cost in this process: hundreds of sign-ins at 0.1 s of scrypt each were a good part
# of the run. The portal's own strength is checked by test_auth's test of a real command, in its own process.
registry.PASSWORD_METHOD = "scrypt:1024:8:1"


@pytest.fixture(scope="session")
def test_instance(tmp_path_factory):
    """The test instance (``fixtures.fill_test_instance``), made once for the run; ``app`` copies it."""
    folder = tmp_path_factory.mktemp("test-instance") / "instance"
    fill_test_instance(make_app(folder))
    return folder


@pytest.fixture
def app(tmp_path, test_instance):
    """The portal on a copy of the test instance of its own, in ``tmp_path / "instance"``."""
    return make_app(copy_instance(test_instance, tmp_path / "instance"))


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory):
    """The demo instance (``flask --app portal demo``), made once for the run: (its folder, what the command
    printed). Never written to: a test that writes works on a copy (``fixtures.copy_instance``)."""
    folder = tmp_path_factory.mktemp("demo") / "instance"
    return folder, fill_demo_instance(make_app(folder))


@pytest.fixture(scope="session")
def demo_summary(demo_instance, tmp_path_factory):
    """The demo's summary (19 sites in 8 states, 2010 and the year in progress), frozen once for the run from a copy
    of the demo instance: (the app, the summary's folder, the freeze's report)."""
    root = tmp_path_factory.mktemp("demo-summary")
    app = make_app(copy_instance(demo_instance[0], root / "instance"))
    return app, root / "resumen", freeze(app, root / "resumen")


@pytest.fixture(scope="session")
def crafted(tmp_path_factory):
    """The summary's crafted data set (``summary_data.fill_sites``: SITE-A and SITE-B with records, SITE-C without)
    and its summary, made once for the run: the app, the folder, the report, the men's codes, the free texts
    planted and the summary's indicators.json."""
    root = tmp_path_factory.mktemp("crafted")
    app = new_instance(root / "instance")
    with app.app_context():
        add_site(get_registry(), check_site("SITE-C", "Centro Comunitario C", "14", 24))
    codes, texts = fill_sites(app)
    out = root / "resumen"
    report = freeze(app, out)
    return {"app": app, "out": out, "report": report, "codes": codes, "texts": texts,
            "json": json.loads((out / "data" / "indicators.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    """The synthetic clips of every participant text (and the practice page), made once for the whole run."""
    from portal.audio.synth import build

    folder = tmp_path_factory.mktemp("speech")
    app = make_app(tmp_path_factory.mktemp("speech-instance"), AUDIO_FOLDER=folder)
    build(folder, app.extensions["audio"].all_texts())
    return folder


@pytest.fixture
def spoken(app, speech):
    """The test portal with its questionnaires' speech (the clips made once for the run)."""
    app.extensions["audio"].synthetic = speech
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


class Staff:
    """A person at the portal: signs in and out, posts forms with their token."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password=None):
        page = self.client.get("/entrar")
        response = self.client.post("/entrar", data={
            "username": username,
            "password": password if password is not None else PASSWORDS[username],
            "csrf_token": csrf_token(page),
        })
        if password is None:
            assert response.status_code == 302, f"{username} could not sign in"
        return response

    def logout(self):
        page = self.client.get("/cuestionarios/")
        return self.client.post("/salir", data={"csrf_token": csrf_token(page)})

    def post_form(self, url, data):
        page = self.client.get(url)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page)})


@pytest.fixture
def staff(client):
    return Staff(client)


REC_ITEMS = ["rec_insults", "rec_jealousy_control", "rec_threats", "rec_isolation", "rec_push_hit",
             "rec_throw_objects", "rec_forced_sex", "rec_withhold_money", "rec_take_belongings",
             "rec_children_leverage"]

INTAKE_ANSWERS = {"age": "34", "education": "secondary", "works": "yes", "occupation_type": "employee",
                  "relationship_status": "married", "lives_with_partner": "yes", "has_children": "no",
                  "referral_source": "friends", "main_reason": "improve_family", "previous_help": "no",
                  **{name: "no" for name in REC_ITEMS}}
FACILITATOR_INTAKE = {"interview_date": "2026-11-02", "consent_given": "yes", "eligible": "yes",
                      "risk_factors": "none", "risk_level": "medium", "partner_contact_safe": "yes",
                      "substance_use": "alcohol", "substance_treatment_referral": "yes", "legal_status": "none"}
FACILITATOR_EXIT = {"exit_date": "2026-11-20", "exit_reason": "dropped_out", "dropout_reason": "work_schedule",
                    "goals_met": "no", "new_violence_reported": "no", "referral_made": "none"}


def page_inputs(html: str):
    """Names of the questions shown on a participant page."""
    visible = set(re.findall(r'<input (?:(?!type="hidden")[^>])*name="([a-z_]+)"', html))
    visible |= set(re.findall(r'<textarea[^>]*name="([a-z_]+)"', html))
    return visible - {"codigo"}


class Facilitator(Staff):
    """A facilitator at his site, working through the portal's pages."""

    def __init__(self, client, username="fac_a", site="SITE-A"):
        super().__init__(client)
        self.site = site
        self.login(username)

    def url(self, path=""):
        return f"/sitio/{self.site}/{path}"

    def register(self, group="2026-A", enrolled_on="2026-11-02"):
        response = self.post_form(self.url("participantes/nuevo"), {"group": group, "enrolled_on": enrolled_on})
        assert response.status_code == 302, response.get_data(as_text=True)
        return re.search(r"/participantes/([A-Z0-9-]+)/cuestionario/", response.headers["Location"]).group(1)

    def record_session(self, group, number, held_on, present, venue="health_centre", session_id=None,
                       reason="Corrección de la lista de asistencia"):
        url = self.url(f"sesiones/{session_id}/" if session_id else f"sesiones/nueva?grupo={group}")
        data = {"number": str(number), "held_on": held_on, "venue": venue, "present": list(present)}
        if session_id:
            data["reason"] = reason
        response = self.post_form(url, data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def code_for_new_man(self, questionnaire="intake"):
        """Register a man, hand him a code, and leave the device to him."""
        man = self.register()
        code = self.issue_code(man, questionnaire)
        self.logout()
        return man, code

    def issue_code(self, participant_code, questionnaire="intake"):
        page = self.client.get(self.url(f"participantes/{participant_code}/"))
        response = self.client.post(self.url(f"participantes/{participant_code}/codigo"),
                                    data={"cuestionario": questionnaire, "csrf_token": csrf_token(page)},
                                    follow_redirects=True)
        assert response.status_code == 200
        return re.search(r'<p class="slip-code" id="codigo">([A-Z0-9-]+)</p>', response.get_data(as_text=True)).group(1)

    def enter(self, participant_code, qid, answers, paper_date=None):
        data = dict(answers)
        if paper_date:
            data["fecha_papel"] = paper_date
        return self.post_form(self.url(f"participantes/{participant_code}/cuestionario/{qid}"), data)


class Participant:
    """A man with his code, answering part by part as the pages ask (each part has its own address)."""

    def __init__(self, client):
        self.client = client
        self.pages_seen = []

    def start(self, code):
        """Type the code and press Empezar: the response is a redirect (to his part, or back with a message)."""
        page = self.client.get("/cuestionario/")
        return self.client.post("/cuestionario/", data={"codigo": code, "csrf_token": csrf_token(page)})

    def open(self, code):
        """Type the code and follow where it leads: (the address he lands on, the page's text)."""
        response = self.start(code)
        assert response.status_code == 303, response.status_code
        return self.follow(response)

    def follow(self, response):
        url = response.headers["Location"]
        while True:
            page = self.client.get(url)
            if page.status_code != 303:
                return url, page.get_data(as_text=True)
            url = page.headers["Location"]

    def send_part(self, url, html, answers, action="siguiente"):
        """Answer the questions shown on this part from ``answers`` and press a button: the 303 response."""
        form = {"csrf_token": csrf_token_from(html), "accion": action}
        for name in page_inputs(html):
            if name in answers:
                value = answers[name]
                form[name] = value.split() if isinstance(value, str) and " " in value else [value]
        response = self.client.post(url, data=form)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def answer(self, code, answers, max_pages=30, stop_at=None):
        """Open the code and answer every part; the response that ends on the thanks page, or
        (when ``stop_at`` parts were sent) the address of the part he reached."""
        url, html = self.open(code)
        for sent in range(max_pages):
            if stop_at is not None and sent == stop_at:
                return url
            assert "/cuestionario/parte/" in url, url
            self.pages_seen.append(sorted(page_inputs(html)))
            response = self.send_part(url, html, answers)
            if response.headers["Location"] == "/cuestionario/gracias":
                return response
            url, html = self.follow(response)
        raise AssertionError("the questionnaire never ended")


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def read_pdf(path):
    """A PDF read back as a person would see it: (text laid out, page count, Letter size?)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return text, int(re.search(r"Pages:\s+(\d+)", info).group(1)), "612 x 792 pts" in info
