"""The whole journey in Debian's chromium at phone size, with and without JavaScript.

A facilitator registers a man and prints his slip; the man opens the code on a 360x640
screen, answers the intake with a skip rule in play and sends it; the code then refuses a
second use; sessions with and without him make the at-risk mark appear; the exit changes
his status. Every page passes axe-core's WCAG 2.1 A/AA rules (checked in the run with
JavaScript, since axe-core is itself a script; the pages are the same HTML in both runs).
"""
import re
import subprocess

import pytest
from browser import PHONE, axe_violations, no_horizontal_scroll
from conftest import PASSWORDS, REC_ITEMS
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser


class Journey:
    def __init__(self, page, base, audit=True):
        self.page = page
        self.base = base
        self.audit = audit  # axe-core runs as a script: only where the page allows scripts
        self.violations = {}
        self.console_errors = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error"
                and "status of 422" not in m.text and "status of 401" not in m.text else None)

    def check(self):
        """Each page: fits the phone, no accessibility violation."""
        assert no_horizontal_scroll(self.page), self.page.url
        found = axe_violations(self.page) if self.audit else []
        if found:
            self.violations[self.page.url] = found

    def goto(self, path):
        self.page.goto(self.base + path)
        self.check()

    def click(self, role, name):
        self.page.get_by_role(role, name=name).first.click()
        self.page.wait_for_load_state()
        self.check()


def answer_visible(page, answers):
    """Answer the questions on this page from ``answers`` by their field names."""
    for name, value in answers.items():
        field = page.locator(f'[name="{name}"]:not([type=hidden])')
        if field.count() == 0:
            continue
        kind = field.first.get_attribute("type")
        if kind in ("radio", "checkbox"):
            for v in value.split():
                page.locator(f'[name="{name}"][value="{v}"]').check()
        else:
            field.first.fill(value)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.slow
def test_the_whole_journey_on_a_phone(chromium, live, tmp_path, javascript):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=javascript)
    staff = Journey(context.new_page(), live.url, audit=javascript)
    page = staff.page

    # The facilitator signs in and registers a man.
    staff.goto("/entrar")
    page.get_by_label("Nombre de usuario").fill("fac_a")
    page.get_by_label("Contraseña").fill(PASSWORDS["fac_a"])
    staff.click("button", "Iniciar sesión")
    staff.click("link", "Registrar a un hombre")
    page.get_by_label("Grupo").select_option("2026-A")
    page.get_by_label("Fecha de ingreso").fill("2026-11-02")
    staff.click("button", "Registrar y seguir con la entrevista de ingreso")
    man = re.search(r"/participantes/([A-Z0-9-]+)/", page.url).group(1)
    assert man == "SITE-A-2026-0001"
    assert page.get_by_text(f"{man} quedó registrado").is_visible()

    # His entry interview.
    answer_visible(page, {"interview_date": "2026-11-02", "consent_given": "yes", "eligible": "yes",
                          "risk_factors": "none", "risk_level": "low", "partner_contact_safe": "yes",
                          "substance_use": "none", "legal_status": "none"})
    staff.click("button", "Guardar")
    assert page.get_by_text("Guardado: Entrevista de ingreso").is_visible()

    # The slip with a one-time code, printed.
    staff.click("button", "Darle un código para contestarlo")
    code = page.locator("#codigo").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.locator("svg.qr").is_visible()
    pdf = tmp_path / "slip.pdf"
    page.pdf(path=str(pdf), format="Letter")
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert code in printed and "Cerrar sesión" not in printed and "Imprimir" not in printed

    # The man, on his own phone, arrives from the QR code.
    man_context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=javascript)
    him = Journey(man_context.new_page(), live.url, audit=javascript)
    him.goto(f"/c/{code.replace('-', '')}")
    assert him.page.title() == "Cuestionario"
    assert him.page.get_by_label("Su código").input_value() == code
    him.click("button", "Empezar")
    answers = {"age": "34", "education": "primary", "works": "no", "relationship_status": "free_union",
               "lives_with_partner": "yes", "has_children": "yes", "children_count": "2", "lives_with_children": "yes",
               "referral_source": "partner_invitation", "main_reason": "stop_violence", "previous_help": "no",
               **{name: "yes" for name in REC_ITEMS}}
    seen_labels = []
    for _ in range(15):
        assert him.page.get_by_text(re.compile(r"Parte \d+ de \d+")).is_visible()
        seen_labels.append(him.page.locator("main").inner_text())
        answer_visible(him.page, answers)
        last = him.page.get_by_role("button", name="Enviar mis respuestas").count()
        him.click("button", "Enviar mis respuestas" if last else "Siguiente")
        if "/gracias" in him.page.url:
            break
    assert him.page.get_by_role("heading", name="Gracias").is_visible()
    assert not any("¿A qué se dedica" in text or "Qué tipo de trabajo" in text for text in seen_labels)  # skipped
    # Back button after sending: the browser kept nothing (no-store), so no answers show.
    try:
        him.page.go_back()
    except PlaywrightError as exc:
        assert "ERR_CACHE_MISS" in str(exc)
    shown = him.page.locator("body").inner_text()
    assert "Sí" not in shown and "34" not in shown and "¿" not in shown
    # A second use of the code is refused.
    him.goto("/cuestionario/")
    him.page.get_by_label("Su código").fill(code)
    him.click("button", "Empezar")
    assert him.page.get_by_text("Sus respuestas con este código ya se recibieron").is_visible()
    man_context.close()

    # Sessions: with him, then twice without him: the at-risk mark appears.
    staff.goto("/sitio/SITE-A/participantes/nuevo")
    page.get_by_label("Grupo").select_option("2026-A")
    page.get_by_label("Fecha de ingreso").fill("2026-11-02")
    staff.click("button", "Registrar y seguir con la entrevista de ingreso")
    other = "SITE-A-2026-0002"
    for number, day, present in [(1, "2026-11-03", [man, other]), (2, "2026-11-10", [other]),
                                 (3, "2026-11-17", [other])]:
        staff.goto("/sitio/SITE-A/sesiones/nueva?grupo=2026-A")
        page.get_by_label("Número de sesión").fill(str(number))
        page.get_by_label("Fecha de la sesión").fill(day)
        page.get_by_label("Espacio comunitario" if number == 2 else "Centro de salud").check()
        for code_present in present:
            page.get_by_label(code_present).check()
        staff.click("button", "Guardar la sesión")
        assert page.get_by_text(f"Se guardó la sesión {number}").is_visible()
    staff.goto("/sitio/SITE-A/participantes/")
    row = page.locator("tr", has_text=man)
    assert "En riesgo: faltó a las últimas 2 sesiones" in row.inner_text()
    assert "1 de 24" in row.inner_text()
    staff.goto("/sitio/SITE-A/seguimiento/")
    assert page.get_by_role("link", name=man).is_visible()

    # The exit: status follows.
    staff.goto(f"/sitio/SITE-A/participantes/{man}/")
    staff.click("link", "Registrar el egreso")
    answer_visible(page, {"exit_date": "2026-11-20", "exit_reason": "dropped_out"})
    if javascript is False or page.locator('[name="dropout_reason"]').count():
        answer_visible(page, {"dropout_reason": "work_schedule", "goals_met": "no", "new_violence_reported": "no",
                              "referral_made": "none"})
    staff.click("button", "Guardar")
    assert "Abandonó" in page.locator(".facts").inner_text()
    staff.goto("/sitio/SITE-A/participantes/")
    assert "En riesgo" not in page.locator("tr", has_text=man).inner_text()  # no longer active

    context.close()
    assert not staff.violations, staff.violations
    assert not him.violations, him.violations
    assert not staff.console_errors and not him.console_errors


def test_the_questionnaire_can_be_answered_with_the_keyboard_alone(chromium, live, app):
    from conftest import Facilitator

    fac = Facilitator(app.test_client())
    code = fac.issue_code(fac.register(), "intake")
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live.url + "/cuestionario/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "codigo"
    page.keyboard.type(code)
    with page.expect_navigation(url="**/cuestionario/parte/1"):
        page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "age"
    page.keyboard.type("41")
    page.keyboard.press("Tab")  # into the first radio group
    assert page.evaluate("document.activeElement.name") == "education"
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # the second option
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "works"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Siguiente"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Parte 2 de").is_visible(), page.locator("main").inner_text()
    assert not page.locator(".error").count()
    context.close()
