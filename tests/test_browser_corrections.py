"""A facilitator at a desktop puts a mistyped answer right and sees it in the man's history."""
import pytest
from browser import axe_violations, sign_in
from conftest import FACILITATOR_INTAKE, INTAKE_ANSWERS, Facilitator

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.slow
def test_a_facilitator_corrects_a_mistyped_age_and_sees_it_in_his_history(chromium, live, app):
    helper = Facilitator(app.test_client())
    man = helper.register(enrolled_on="2026-11-02")
    helper.enter(man, "facilitator_intake", dict(FACILITATOR_INTAKE, interview_date="2026-11-02", risk_level="high"))
    helper.enter(man, "intake", dict(INTAKE_ANSWERS, age="81"), paper_date="2026-11-03")
    other = helper.register(enrolled_on="2026-11-02")

    context = chromium.new_context(viewport=DESKTOP, locale="es-MX")
    page = context.new_page()
    sign_in(page, live.url, "fac_a")
    page.goto(live.url + "/sitio/SITE-A/participantes/")
    row = page.locator("tr", has_text=man)
    assert "Riesgo alto: protocolo de seguridad de la pareja" in row.inner_text()
    assert "Riesgo alto" not in page.locator("tr", has_text=other).inner_text()
    row.get_by_role("link", name=man).click()
    assert page.get_by_role("alert").filter(has_text="Riesgo alto de violencia grave").is_visible()

    intake = page.locator("li", has=page.get_by_role("heading", name="Cuestionario de inicio"))
    intake.get_by_text("Ver sus respuestas").click()
    assert intake.get_by_text("81", exact=True).is_visible()
    intake.get_by_role("link", name="Corregirlo").click()
    assert page.get_by_label("¿Cuántos años cumplidos tiene?").input_value() == "81"
    page.get_by_label("¿Cuántos años cumplidos tiene?").fill("18")
    page.get_by_role("button", name="Guardar la corrección").click()
    # a reason is required: the message sits next to the reason box, the page scrolled there, the top links to it
    assert page.locator("#reason-error").get_by_text("Escriba el motivo de este cambio").is_visible()
    assert page.evaluate("document.activeElement.id") == "reason"
    box = page.locator("#reason-error").bounding_box()
    assert 0 <= box["y"] <= page.viewport_size["height"]
    assert page.locator(".error-summary a[href='#reason']").count() == 1
    assert page.get_by_label("¿Cuántos años cumplidos tiene?").input_value() == "18"  # nothing typed is lost
    page.get_by_label("Motivo de la corrección").fill("En el papel dice 18; se capturó al revés")
    page.get_by_role("button", name="Guardar la corrección").click()
    assert page.get_by_text(f"Corregido: Cuestionario de inicio de {man}.").is_visible()
    history = page.locator("table.history")
    assert "¿Cuántos años cumplidos tiene?: 81 → 18" in history.inner_text()
    assert "En el papel dice 18; se capturó al revés" in history.inner_text()
    assert "fac_a" in history.inner_text()
    assert not axe_violations(page)

    page.get_by_role("link", name="Historial de cambios").click()
    assert "81 → 18" in page.locator("table.history").inner_text()
    assert not axe_violations(page)
    context.close()
