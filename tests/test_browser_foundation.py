"""A facilitator signs in and previews the intake on a 360x640 phone, in a real browser."""
import pytest
from browser import axe_violations, no_horizontal_scroll, sign_in

pytestmark = pytest.mark.browser


def test_facilitator_previews_the_intake_on_a_phone(live, phone):
    page = phone
    sign_in(page, live.url, "fac_a")
    assert page.get_by_role("heading", name="Centro de Salud A").is_visible()
    page.get_by_role("link", name="Cuestionarios").first.click()
    page.get_by_role("link", name="Cuestionario de inicio").click()
    assert page.url.endswith("/cuestionarios/intake/vista-previa")
    assert no_horizontal_scroll(page)
    age = page.get_by_label("¿Cuántos años cumplidos tiene?")
    assert age.is_visible()
    box = age.bounding_box()
    assert box["height"] >= 44 and box["width"] <= 360  # a large touch target that fits the screen
    assert not axe_violations(page)

    # An impossible age and a missing answer get Spanish messages next to their questions.
    age.fill("12")
    page.get_by_role("button", name="Revisar las respuestas").click()
    assert page.get_by_text("Escriba una edad entre 15 y 99 años.").is_visible()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("¿Cuántos años cumplidos tiene?").get_attribute("aria-invalid") == "true"
    assert no_horizontal_scroll(page)
    assert not axe_violations(page)
    assert not page.console_errors


def test_sign_in_page_is_accessible_and_fits_a_phone(live, phone):
    phone.goto(live.url + "/entrar")
    assert phone.title().startswith("Iniciar sesión")
    assert no_horizontal_scroll(phone)
    assert not axe_violations(phone)
